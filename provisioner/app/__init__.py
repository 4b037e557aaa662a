"""The composition root: where the application is built and started.

Configuration in, the running pieces out: :mod:`.wiring` builds the sources, targets and the
sync engine from the configuration; :mod:`.cli` (and its ``cli_*`` command groups) is the
command line; :mod:`.service` is ``provisioner serve`` (scheduler, HTTP, the bot's front
end); :mod:`.demo` generates and runs the demo board with the emulators.

Only this package knows every part: the core (the rest of ``provisioner``) imports neither
``connectors`` nor ``bot``; ``bot`` imports the core and never this package; connectors import
only the core's interfaces. ``lint-imports`` checks it (pyproject.toml).
"""
