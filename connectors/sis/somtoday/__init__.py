"""Somtoday Connect as SIS source; the emulator is in :mod:`.emulator`."""

from .source import SomtodayClient, SomtodaySource

__all__ = ["SomtodayClient", "SomtodaySource"]
