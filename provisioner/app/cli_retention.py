"""``provisioner retention``: retention clocks, the destruction list and archive holds
(docs/accountability.md)."""

from __future__ import annotations

import typer

retention_app = typer.Typer(
    help="Retention: what must be destroyed or reviewed, by when, and archive holds.",
    no_args_is_help=True,
)
