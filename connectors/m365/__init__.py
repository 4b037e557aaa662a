"""Microsoft 365 / Entra ID target over Microsoft Graph (the Graph emulator is in
:mod:`connectors.emulators.graph`)."""
