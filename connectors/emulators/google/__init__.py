"""A loopback emulator of the Google Workspace APIs the Google target uses (docs/google.md).

Used by the tests, the benchmark and ``provisioner demo --target google``::

    with GoogleEmulator(GoogleEmulatorSettings(window_scale=0.01)) as emu:
        info = emu.service_account_info()  # token_uri points at the emulator
        ...  # Directory, Drive and Licensing calls to emu.root_url; emu.requests records them

What it models, after Google's public reference:

- the OAuth 2.0 token endpoint with the JWT bearer grant (RFC 7523) that google-auth's
  service-account credentials send: RS256 signature checked against the key file's key,
  ``iss``/``aud``/``iat``/``exp`` checked, ``sub`` must be the admin the client was granted
  domain-wide delegation for and every scope must be one of the delegated scopes
  (``unauthorized_client`` otherwise); every API call checks its scope (403
  ``insufficientPermissions``);
- Directory API: users (insert, get, list with ``query`` and ``pageToken``, patch, delete,
  signOut), organisational units, groups, members (:mod:`.directory`);
- Drive API v3: shared drives, folders in them, permissions (:mod:`.drive`);
- Enterprise License Manager: assignments per product and SKU (:mod:`.licensing`);
- the batch endpoints ``/batch/admin/directory_v1`` and ``/batch/drive/v3``
  (multipart/mixed, at most 1,000 calls, each call counted against the quota);
- per-user quotas per minute (Directory 2,400, Drive 12,000: Google's defaults) answered with
  403 ``userRateLimitExceeded`` in Google's error body; eventual consistency of new users;
  latency; ``lost_rate``: writes applied and then answered by a dropped connection;
  ``fault_rate``: calls answered 503 (not done) or 500 (a read not done, a write done);
- every request and answer checked against the client library's discovery documents
  (``emu.violations``, :mod:`.discovery`).

Emulator liberties: plain HTTP on loopback; ``fields`` (partial responses) is accepted and
the whole resource is returned; only folders are files.
"""

from .model import GoogleEmulatorSettings, GoogleError, RecordedRequest
from .server import SCOPES, GoogleEmulator

__all__ = ["SCOPES", "GoogleEmulator", "GoogleEmulatorSettings", "GoogleError", "RecordedRequest"]
