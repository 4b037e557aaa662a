"""AFAS Profit as HR source: the REST GetConnector reader and a loopback emulator of it."""

from .emulator import DEMO_TOKEN, AfasEmulator, AfasEmulatorSettings, RecordedRequest
from .source import AfasClient, AfasSource, translate

__all__ = [
    "DEMO_TOKEN",
    "AfasClient",
    "AfasEmulator",
    "AfasEmulatorSettings",
    "AfasSource",
    "RecordedRequest",
    "translate",
]
