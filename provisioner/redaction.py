"""Redaction, once: every form in which a secret can reach a message or a log line.

A secret leaks not only as itself. An error message may quote a URL (``quote``,
``quote_plus``), a SOAP body (XML-escaped, non-ASCII as ``&#NNN;``), a JSON body (escaped), an
``Authorization`` header (base64 of the secret, or of ``user:secret`` for basic auth), or ldap3's
dump of a ``unicodePwd`` value (UTF-16-LE, as bytes ``repr`` or hex). :func:`redact` blanks all
of them; :func:`forms` lists them. Used by the log filter (:mod:`provisioner.logging_setup`,
the ldap3 filter in :mod:`connectors.ad.client`), the audit trail
(:func:`provisioner.audit.service.redact`) and every connector's error translation.

Base64 of a secret inside a longer value (``user:secret``, a token after a prefix) depends on
where the secret starts modulo 3: for each of the three offsets the characters that depend on
the secret's bytes alone are blanked too, when there are at least :data:`MIN_BASE64_CORE` of
them (a secret of 9 bytes or more). Basic auth with a shorter secret: pass ``user:secret``
as a secret of its own.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

from pydantic import SecretStr

REPLACEMENT = "***"
#: Shorter base64 runs would blank ordinary words; a run this long is the secret's own.
MIN_BASE64_CORE = 8


def redact(
    text: str, secrets: Iterable[str | SecretStr | None], replacement: str = REPLACEMENT
) -> str:
    """``text`` with every form of every secret replaced (longest forms first, so no part
    of a longer encoding survives the replacement of a shorter one)."""
    every: set[str] = set()
    for secret in secrets:
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if value:
            every.update(forms(value))
    for form in sorted(every, key=len, reverse=True):
        if form in text:
            text = text.replace(form, replacement)
    return text


@lru_cache(maxsize=256)
def forms(secret: str) -> frozenset[str]:
    """Every encoding of ``secret`` that :func:`redact` blanks (never empty strings)."""
    found = {secret}
    found.update(_url_forms(secret))
    found.update(_markup_forms(secret))
    found.update(_json_forms(secret))
    try:
        utf8 = secret.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: cannot be sent anywhere encoded
        return frozenset(form for form in found if form)
    found.update(_base64_forms(utf8))
    for codec in ("utf-16-le", "utf-16-be"):
        found.update(_bytes_forms(secret.encode(codec, errors="surrogatepass")))
    return frozenset(form for form in found if form)


def _url_forms(secret: str) -> set[str]:
    try:
        return {quote(secret, safe=""), quote(secret), quote_plus(secret)}
    except UnicodeEncodeError:
        return set()


def _markup_forms(secret: str) -> set[str]:
    """XML and HTML escaping, also with non-ASCII as numeric references (ElementTree's
    ``us-ascii`` output)."""
    escaped = {
        escape(secret),
        escape(secret, {'"': "&quot;", "'": "&apos;"}),
        html.escape(secret),
    }
    refs = {e.encode("ascii", "xmlcharrefreplace").decode("ascii") for e in escaped}
    return escaped | refs


def _json_forms(secret: str) -> set[str]:
    return {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}


def _base64_forms(data: bytes) -> set[str]:
    """Standard and URL-safe base64, padded and not, and the aligned cores (module doc)."""
    found: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        if offset == 0:
            found.update({encoded, encoded.rstrip("=")})
        start = 4 if offset else 0
        core = encoded[start : (offset + len(data)) // 3 * 4]
        if len(core) >= MIN_BASE64_CORE:
            found.add(core)
    return found | {form.replace("+", "-").replace("/", "_") for form in found}


def _bytes_forms(data: bytes) -> set[str]:
    """How bytes show up in a log line: decoded as Latin-1, as ``repr`` (a quote escaped or
    not: that depends on the bytes around them), as hex."""
    return {
        data.decode("latin-1"),
        _repr_inside(data, quote_escaped=True),
        _repr_inside(data, quote_escaped=False),
        data.hex(),
        data.hex().upper(),
        data.hex(" "),
        data.hex(" ").upper(),
    }


_ESCAPES = {ord("\\"): "\\\\", ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"}


def _repr_inside(data: bytes, *, quote_escaped: bool) -> str:
    """What ``repr(bytes)`` shows for ``data`` between its quotes; ``'`` shows as ``\\'``
    when the whole value is quoted with ``'``."""
    shown = []
    for byte in data:
        if byte in _ESCAPES:
            shown.append(_ESCAPES[byte])
        elif byte == ord("'"):
            shown.append("\\'" if quote_escaped else "'")
        elif 0x20 <= byte < 0x7F:
            shown.append(chr(byte))
        else:
            shown.append(f"\\x{byte:02x}")
    return "".join(shown)
