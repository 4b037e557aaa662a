"""App-only authentication to Microsoft Graph: the settings and msal's tokens (client secret
or certificate), with msal's errors as typed errors and no secret in any message."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msal  # type: ignore[import-untyped]
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from connectors.m365.pacing import WRITE_QUOTA, WRITE_WINDOW
from provisioner.errors import FatalError, TransientError
from provisioner.redaction import redact as redact_text

PUBLIC_CLOUD = "https://login.microsoftonline.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"

TokenProvider = Callable[[bool], str]
"""Returns a bearer token; called with ``True`` after a 401 to get a fresh one, not a cached one."""


@dataclass(frozen=True)
class GraphSettings:
    """Where and as whom to reach Graph, and how patiently."""

    tenant: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: Path | None = None  # PEM with the private key and the certificate
    authority_host: str = PUBLIC_CLOUD
    graph_url: str = "https://graph.microsoft.com/v1.0"
    ca_file: Path | None = None  # trust this CA (the emulator); None = system trust
    timeout: float = 30.0
    max_attempts: int = 8
    max_wait: float = 300.0  # total seconds one request may spend waiting to retry
    concurrency: int = 4  # parallel $batch calls at most
    #: Graph's identity write quota per app and tenant (connectors.m365.pacing): writes are
    #: paced to it instead of being sent until Graph answers 429; a quota of 0 turns it off
    write_quota: float = WRITE_QUOTA
    write_window: float = WRITE_WINDOW  # seconds


class MsalTokens:
    """App-only tokens from msal with an in-memory cache; msal errors become FatalError."""

    def __init__(self, settings: GraphSettings) -> None:
        self._settings = settings
        self._credential = credential(settings)
        self._app: Any = None
        self._session: Any = None
        self._lock = threading.Lock()

    def __call__(self, refresh: bool) -> str:
        """A bearer token; with ``refresh`` the cached one is dropped first."""
        secret = self._settings.client_secret or ""
        with self._lock:
            try:
                app = self._application()
                if refresh:
                    cache = app.token_cache
                    for item in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                        cache.remove_at(item)
                result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
            except requests.RequestException as exc:
                raise TransientError(
                    redact_text(f"token endpoint unreachable ({type(exc).__name__})", [secret])
                ) from None
            except ValueError as exc:  # msal: authority not https, discovery failed
                raise FatalError(redact_text(f"msal could not start: {exc}", [secret])) from None
        if not isinstance(result, dict) or "access_token" not in result:
            result = result if isinstance(result, dict) else {}
            error = result.get("error", "unknown_error")
            description = str(result.get("error_description", "")).splitlines()[0:1]
            text = f"token request refused: {error}: {' '.join(description)}"
            raise FatalError(redact_text(text, [secret]))
        return str(result["access_token"])

    def close(self) -> None:
        """Close msal's HTTP session if this object made one."""
        if self._session is not None:
            self._session.close()

    def _application(self) -> Any:
        if self._app is None:
            s = self._settings
            host = s.authority_host.rstrip("/")
            kwargs: dict[str, Any] = {}
            if host != PUBLIC_CLOUD:
                kwargs["instance_discovery"] = False
            if s.ca_file is not None:
                # REQUESTS_CA_BUNDLE would silently override msal's ``verify``: own session.
                session = requests.Session()
                session.trust_env = False
                session.verify = str(s.ca_file)
                self._session = kwargs["http_client"] = session
            self._app = msal.ConfidentialClientApplication(
                s.client_id,
                client_credential=self._credential,
                authority=f"{host}/{s.tenant}",
                token_cache=msal.TokenCache(),
                timeout=s.timeout,
                **kwargs,
            )
        return self._app


def credential(settings: GraphSettings) -> str | dict[str, str]:
    """msal's ``client_credential``: the secret, or private key and thumbprint from a PEM."""
    if settings.certificate_path is not None:
        try:
            pem = settings.certificate_path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise FatalError(f"cannot read the certificate file: {type(exc).__name__}") from None
        blocks = [
            (m.group(1), m.group(0))
            for m in re.finditer(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", pem, re.S)
        ]
        keys = [text for kind, text in blocks if "PRIVATE KEY" in kind]
        certs = [text for kind, text in blocks if kind == "CERTIFICATE"]
        if not keys or not certs:
            raise FatalError("the certificate file needs a private key and a certificate (PEM)")
        try:
            cert = x509.load_pem_x509_certificate(certs[0].encode("ascii"))
        except ValueError:
            raise FatalError("the certificate in the certificate file cannot be read") from None
        return {"private_key": keys[0], "thumbprint": cert.fingerprint(hashes.SHA1()).hex()}
    if settings.client_secret:
        return settings.client_secret
    raise FatalError("Graph settings need a client_secret or a certificate_path")
