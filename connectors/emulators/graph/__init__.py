"""A loopback HTTPS emulator of the Microsoft Graph v1.0 subset in docs/m365.md.

Used by the tests, the benchmark and ``provisioner demo``::

    with GraphEmulator(EmulatorSettings(window_scale=0.01)) as emu:
        app = msal.ConfidentialClientApplication(
            "provisioner", client_credential="demo-secret", authority=emu.authority,
            instance_discovery=False, http_client=session_trusting(emu.ca_file))
        ...  # Graph calls to emu.graph_url; every request lands in emu.requests

What it models (faithful to the public Graph docs unless noted):

- identity platform: OpenID configuration and the client-credentials token endpoint
  (a wrong secret answers 401 ``invalid_client`` / AADSTS7000215; a ``client_assertion`` is
  accepted without checking its signature);
- users, groups, ``members@odata.bind`` (at most 20, all or nothing), ``members/{id}/$ref``,
  ``$batch`` (at most 20, per-request status, 429 inside a 200, ``dependsOn`` and 424),
  ``@odata.nextLink`` paging, ``$select``, simple ``$filter``, delta with ``@removed`` and
  ``members@delta`` (410 Gone with ``Location`` for an expired or unknown token),
  ``revokeSignInSessions``, ``assignLicense``, ``subscribedSkus``, soft delete;
- SharePoint (see :mod:`.sharepoint`): a Microsoft 365 (Unified) group gets a team site,
  ``/groups/{id}/sites/root``, ``/sites/{id}``, a site's lists (create a document library,
  409 ``nameAlreadyExists``), a library's drive, and the drive root's permissions
  (``invite`` by ``objectId``, list, delete; the site's inherited owner permission stays);
- the identity throttling budgets (see :mod:`.throttle`), eventual consistency after
  create, latency, and injected faults (429, 503, a timeout answered 504, a dropped
  connection) from a seeded random generator; ``lost_rate``: a share of writes applied and
  then answered by closing the connection (the answer is lost, the change is made).

Emulator extensions, not Graph: the ``x-ms-retry-after-ms`` header (exact milliseconds next
to the whole-second ``Retry-After`` when ``window_scale`` < 1, so tests run fast; a client
may prefer it when present) and the direct set-up and inspection methods of
:class:`GraphEmulator` (for libraries: ``access(user_id, drive_id)`` and ``drives()``).
A user without ``$select`` shows only Graph's default properties (no ``employeeId``, no
``accountEnabled``): select what you need.
"""

from .model import DEFAULT_SKUS, EmulatorSettings, RecordedRequest
from .server import GraphEmulator

__all__ = ["DEFAULT_SKUS", "EmulatorSettings", "GraphEmulator", "RecordedRequest"]
