"""Google Workspace for Education as a target (docs/google.md)."""
