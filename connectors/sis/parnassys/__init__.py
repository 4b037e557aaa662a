"""ParnasSys generic SOAP interface (GeneriekeService) as SIS source; the emulator is in
:mod:`.emulator`."""

from .source import ParnasSysClient, ParnasSysSource, school_year, translate

__all__ = ["ParnasSysClient", "ParnasSysSource", "school_year", "translate"]
