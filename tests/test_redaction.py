"""provisioner.redaction: no encoded form of a secret survives, whatever the secret."""

from __future__ import annotations

import base64
import html
import json
import logging
from collections.abc import Callable
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from connectors.ad.client import WithholdPasswordRecords
from provisioner import logging_setup, secrets
from provisioner.audit import service as audit
from provisioner.redaction import redact

Encode = Callable[[str], str]

ENCODINGS: dict[str, Encode] = {
    "plain": lambda s: s,
    "quote": lambda s: quote(s, safe=""),
    "quote-default": quote,
    "quote_plus": quote_plus,
    "xml": escape,
    "xml-attr": lambda s: escape(s, {'"': "&quot;", "'": "&apos;"}),
    "xml-ascii": lambda s: escape(s).encode("ascii", "xmlcharrefreplace").decode(),
    "html": html.escape,
    "json": lambda s: json.dumps(s)[1:-1],
    "json-utf8": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64-url": lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
    "utf-16-le": lambda s: s.encode("utf-16-le").decode("latin-1"),
    "utf-16-be": lambda s: s.encode("utf-16-be").decode("latin-1"),
    "utf-16-le-repr": lambda s: repr(s.encode("utf-16-le"))[2:-1],
    "utf-16-le-hex": lambda s: s.encode("utf-16-le").hex(),
    "unicodePwd-repr": lambda s: repr(f'"{s}"'.encode("utf-16-le")),
}

#: no surrogates (cannot be encoded) and no control characters at the edges of a log line
encodable = st.characters(exclude_categories=["Cs"])
secret_text = st.text(alphabet=encodable, min_size=6, max_size=40)
around = st.text(alphabet=encodable, max_size=20)


@settings(max_examples=300, deadline=None)
@given(secret=secret_text, before=around, after=around, name=st.sampled_from(sorted(ENCODINGS)))
@example(secret="00000\U00019c00", before="", after="", name="unicodePwd-repr")  # a ' byte
def test_no_encoded_form_of_a_random_secret_survives(
    secret: str, before: str, after: str, name: str
) -> None:
    encoded = ENCODINGS[name](secret)
    text = f"{before}[{encoded}]{after}"

    assert encoded not in redact(text, [secret])


@settings(max_examples=200, deadline=None)
@given(secret=secret_text, user=st.text(min_size=1, max_size=20).filter(lambda u: ":" not in u))
def test_basic_auth_of_user_and_secret_is_blanked_when_the_pair_is_given(
    secret: str, user: str
) -> None:
    header = base64.b64encode(f"{user}:{secret}".encode("utf-8", "surrogatepass")).decode()
    text = f"Authorization: Basic {header}"

    assert header not in redact(text, [secret, f"{user}:{secret}"])


@settings(max_examples=200, deadline=None)
@given(
    secret=st.text(alphabet=encodable, min_size=9, max_size=40),
    prefix=st.binary(max_size=20),
    suffix=st.binary(max_size=5),
)
def test_base64_of_a_long_secret_inside_other_bytes_is_blanked(
    secret: str, prefix: bytes, suffix: bytes
) -> None:
    """``user:secret`` without knowing the user, or a token after any prefix: the run of
    characters that depends on the secret alone is gone."""
    data = secret.encode()
    encoded = base64.b64encode(prefix + data + suffix).decode()
    core_start = -(-len(prefix) // 3) * 4  # first group made of the secret's bytes only
    core_end = (len(prefix) + len(data)) // 3 * 4
    assert core_end - core_start >= 4  # 9 bytes always leave whole groups of the secret

    redacted = redact(encoded, [secret])

    assert encoded[core_start:core_end] not in redacted


def test_other_text_is_left_as_it_was() -> None:
    text = "GET /persons?page=2 answered 503; retry in 2 s"
    assert redact(text, ["s3cr3t-value", "", None]) == text


def test_the_replacement_and_secret_str_are_accepted() -> None:
    text = "token=abc%2Fdef%3D%3D and abc/def=="
    assert redact(text, [SecretStr("abc/def==")], "[redacted]") == (
        "token=[redacted] and [redacted]"
    )


@pytest.mark.parametrize("name", ["quote", "xml", "json", "base64"])
def test_longest_forms_go_first_so_no_tail_of_an_encoding_is_left(name: str) -> None:
    secret = 'a&b"c d/e+f=='
    encoded = ENCODINGS[name](secret)
    assert redact(f"<{encoded}>", [secret]) == "<***>"


# -- the three users: the log filter, the ldap3 filter, the audit trail ----------------------

USED_SECRET = "Zq9!t&Wv=pL2/x"


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("ldap3", logging.DEBUG, __file__, 1, message, (), None)


def test_log_lines_ldap3_records_and_audit_changes_lose_every_form() -> None:
    secrets.remember(USED_SECRET)
    forms = [quote_plus(USED_SECRET), escape(USED_SECRET), json.dumps(USED_SECRET)[1:-1],
             base64.b64encode(f"svc:{USED_SECRET}".encode()).decode(),
             repr(f'"{USED_SECRET}"'.encode("utf-16-le"))]  # fmt: skip
    line = " ".join(forms)

    scrubbed = logging_setup.scrub(line)
    ldap3_record = record(f"BIND request: {line}")
    WithholdPasswordRecords().filter(ldap3_record)
    audited = audit.redact({"change": {"note": line}})

    for form in forms:
        assert form not in scrubbed
        assert form not in ldap3_record.getMessage()
        assert form not in json.dumps(audited)
