"""``provisioner subject``: requests of the people concerned (access, rectification, erasure,
objection) and the bundle of what the product holds about a person (docs/accountability.md)."""

from __future__ import annotations

import typer

subject_app = typer.Typer(
    help="Requests of the people concerned (inzage, correctie, verwijdering, bezwaar).",
    no_args_is_help=True,
)
