"""XML and SOAP helpers the SIS connectors share (ParnasSys, Magister, the Somtoday HRM
Webservice): parsing an answer without a DTD, elements by local name, the SOAP 1.1 fault."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

from connectors.csv_common import clean_text


def parse_xml(body: bytes) -> ET.Element:
    """The root of an answer; a DTD is refused (no entity expansion from a server)."""
    if b"<!DOCTYPE" in body[:2048].upper() or b"<!ENTITY" in body.upper():
        raise ET.ParseError("a DTD is not accepted")
    return ET.fromstring(body)


def local(tag: str) -> str:
    """A tag without its namespace."""
    return tag.rpartition("}")[2]


def child(element: ET.Element, name: str) -> ET.Element | None:
    """The first child with local name ``name``."""
    for candidate in element:
        if local(candidate.tag) == name:
            return candidate
    return None


def child_text(element: ET.Element, name: str) -> str:
    """The clean text of child ``name``; '' when absent or empty."""
    found = child(element, name)
    return clean_text(found.text or "") if found is not None else ""


def items_at(element: ET.Element | None, path: str) -> Iterator[ET.Element]:
    """The elements at ``list/item`` under ``element`` (local names)."""
    if element is None:
        return
    outer, _, inner = path.partition("/")
    for holder in element:
        if local(holder.tag) == outer:
            for item in holder:
                if local(item.tag) == inner:
                    yield item


@dataclass(frozen=True, slots=True)
class Fault:
    """A SOAP 1.1 fault: ``code`` without its prefix (``Client``, ``Server``)."""

    code: str
    text: str


def find_fault(body: bytes) -> Fault | None:
    """The SOAP fault in an answer, or None when the answer is none (or no XML)."""
    if b"Fault" not in body:
        return None
    try:
        root = parse_xml(body)
    except ET.ParseError:
        return None
    for element in root.iter():
        if local(element.tag) == "Fault":
            code = child_text(element, "faultcode").rpartition(":")[2]
            return Fault(code, child_text(element, "faultstring")[:200])
    return None
