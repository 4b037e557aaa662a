"""Loopback emulators of the systems we talk to, for the demo, the tests and the benchmarks.

Production code never imports this package (an import contract in pyproject.toml,
checked by ``lint-imports``); only :mod:`provisioner.app.demo` may start an emulator.

- :mod:`.loopback`: the HTTP(S) server they share;
- :mod:`.graph`: Microsoft Graph (users, groups, licences, SharePoint), a package;
- :mod:`.afas`, :mod:`.youforce`: the HR sources;
- :mod:`.somtoday`, :mod:`.parnassys`, :mod:`.magister`: the SIS sources;
- :mod:`.slack`: the Slack Web API and signed Slack requests.

Import the module you need; this package re-exports nothing, so importing one emulator
does not load the others.
"""
