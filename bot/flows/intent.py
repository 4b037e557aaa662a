"""What a message is, as far as the consent and breach flows need to tell (pure).

A flow with an open question uses these in ``accepts`` to tell an answer from a new request:
"Jan de Vries gaat per 1-12 uit dienst" or "Mag de foto van Sanne op de website?" typed
while the breach intake waits for an answer is a different request, not the answer; "een
collega die uit dienst is kon nog bij de dossiers" is an answer (it only mentions leaving).
The patterns are deliberately narrower than the flows' own ``wants``: they say "this
*starts* another request", not "this mentions a word of it".
"""

from __future__ import annotations

import re

#: A breach report: what :meth:`bot.flows.breach.BreachFlow.wants` looks for.
BREACH_REPORT = re.compile(
    r"datalek|data ?breach|\blek\b|privacy.?incident|kwijt|verloren|gestolen|gehackt"
    r"|phishing|ransomware|verkeerde (ouder|persoon|ontvanger|adres|mail|e-mail|klas)"
    r"|naar de verkeerde|per ongeluk (gestuurd|verstuurd|gemaild|gedeeld)|\blost\b"
    r"|\bstolen\b|\bhacked\b|to the wrong|wrong (parent|person|recipient|address|email)"
    r"|sent .* by mistake|leaked",
    re.IGNORECASE,
)

#: Someone reported as leaving: "X gaat per 1-12 uit dienst", "X is per 1 december uit
#: dienst", "uit dienst per 31-12", "/uitdienst", "X leaves on 1 December".
OFFBOARDING_REQUEST = re.compile(
    r"^\s*/(uitdienst|offboard)\b"
    r"|\b(gaat|gaan|treedt|treden)\b[^.?!]{0,60}\buit\s+dienst\b"
    r"|\bper\s+(?!ongeluk)[^.?!]{1,30}\buit\s+dienst\b"
    r"|\buit\s+dienst\s+(per|op|vanaf|met\s+ingang\s+van)\b"
    r"|\blaatste\s+werkdag\s+(is|wordt)\b"
    r"|\b(leaves|is\s+leaving|will\s+leave)\b[^.?!]{0,40}\b(on|per|as\s+of|from|today|tomorrow)\b"
    r"|\blast\s+working\s+day\s+is\b",
    re.IGNORECASE,
)

_PHOTO = (
    r"(foto|foto's|fotos|fotootje|beeldmateriaal|video|filmpje|klassenfoto|groepsfoto|photo"
    r"|photos|picture|pictures|pic|image)"
)
#: A consent question: "Mag de foto van Sanne op de website?", "mag ik een foto van groep 5b
#: op Instagram zetten?", "Can the 7a class photo go in the newsletter?", "/toestemming".
CONSENT_QUESTION = re.compile(
    r"^\s*/(toestemming|consent)\b"
    rf"|^\s*(mag|mogen|kan|kunnen|can|may|could|is\s+it\s+ok)\b[^?]{{0,80}}\b{_PHOTO}"
    rf"|\b{_PHOTO}\b[^.?!]{{0,80}}\b(mag|mogen|kan|kunnen|can|may)\b[^.?!]{{0,40}}\?"
    r"|\b(toestemming|consent)\b[^.?!]{0,40}\b(voor|for)\b[^.?!]{0,40}\?",
    re.IGNORECASE,
)


def is_offboarding_request(text: str) -> bool:
    return bool(OFFBOARDING_REQUEST.search(text))


def is_consent_question(text: str) -> bool:
    return bool(CONSENT_QUESTION.search(text))


def is_breach_report(text: str) -> bool:
    return bool(BREACH_REPORT.search(text))
