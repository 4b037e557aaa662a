"""ParnasSys generic SOAP interface (GeneriekeService) as SIS source; the emulator is in
:mod:`connectors.emulators.parnassys`."""

from .source import ParnasSysClient, ParnasSysSource, school_year, translate

__all__ = ["ParnasSysClient", "ParnasSysSource", "school_year", "translate"]
