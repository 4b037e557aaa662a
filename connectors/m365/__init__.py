"""Microsoft 365 / Entra ID target over Microsoft Graph, and the Graph emulator."""
