"""Somtoday Connect as SIS source; the emulator is in
:mod:`connectors.emulators.somtoday`."""

from .source import SomtodayClient, SomtodaySource

__all__ = ["SomtodayClient", "SomtodaySource"]
