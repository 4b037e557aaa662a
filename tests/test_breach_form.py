"""The draft of the AP's notification form: sections, what is known, what is still unknown."""

from __future__ import annotations

from datetime import datetime, timedelta

from provisioner.app.config import ConfigWithConnectors
from provisioner.config import Config
from provisioner.privacy.breach import AMSTERDAM, BreachFacts
from provisioner.privacy.breach_form import draft, to_json, to_markdown
from provisioner.privacy.breaches import BreachRegister
from provisioner.store.db import make_engine, session_factory

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=AMSTERDAM)


def config() -> Config:
    return ConfigWithConnectors.model_validate(
        {
            "board": {"name": "Stichting Test", "domain": "test.nl"},
            "locations": [{"brin6": "12AB00", "name": "De Esch"}],
            "roles": {"Groepsleerkracht": "teacher"},
            "sources": {"hr": {"type": "hr-csv", "path": "hr.csv"}},
            "bot": {"privacy_officers": ["fg@test.nl"]},
        }
    )


def test_the_form_is_filled_from_the_register(sqlite_url: str) -> None:
    register = BreachRegister(session_factory(make_engine(sqlite_url)))
    breach = register.report(
        BreachFacts(
            narrative="Cijferlijst naar de verkeerde ouder gemaild",
            kind="misdirected",
            data_categories=("learning_results",),
            subjects_count=27,
            subjects_are_children=True,
            confidentiality_breach=True,
            discovered_at=NOW - timedelta(hours=1),
            measures="Ouder gevraagd de mail te verwijderen",
        ),
        reporter="chat:U1",
        location="12AB00",
        now=NOW,
        privacy_officer_told=True,
    )
    sections = draft(breach, config())
    answers = {f.question: f.answer for s in sections for f in s.fields}
    assert answers["Organisatie"] == "Stichting Test"
    assert answers["Contactpersoon (functionaris gegevensbescherming)"] == "fg@test.nl"
    assert answers["Kenmerk in het eigen datalekkenregister"] == breach.id
    assert answers["Wanneer is het datalek ontdekt?"] == "20-11-2026 08:00"
    assert answers["Uiterste meldtermijn AP (72 uur)"] == "23-11-2026 08:00"
    assert answers["Soort persoonsgegevens"] == "leerresultaten (cijfers)"
    assert answers["Aantal betrokkenen (eventueel bij benadering)"] == "27"
    assert answers["Maatregelen om de inbreuk aan te pakken en de gevolgen te beperken"] == (
        "Ouder gevraagd de mail te verwijderen"
    )
    assert answers["Oorzaak"] is None  # not known yet: marked for the FG
    data = to_json(breach, config())
    assert "Oorzaak" in data["unknown"]
    assert "Organisatie" not in data["unknown"]
    markdown = to_markdown(breach, config())
    assert "- **Oorzaak**: **ONBEKEND — aanvullen**" in markdown
    assert "## 9. Internationale aspecten" in markdown
