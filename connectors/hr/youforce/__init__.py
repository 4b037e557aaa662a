"""Visma Raet Youforce IAM API as HR source; the emulator is in
:mod:`connectors.emulators.youforce`."""

from .source import YouforceClient, YouforceSource

__all__ = ["YouforceClient", "YouforceSource"]
