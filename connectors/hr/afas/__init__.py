"""AFAS Profit as HR source: the REST GetConnector reader; the emulator is in
:mod:`connectors.emulators.afas`."""

from .source import AfasClient, AfasSource, translate

__all__ = ["AfasClient", "AfasSource", "translate"]
