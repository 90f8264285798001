"""The vendored ISO 20022 schemas (schemas/README.md): safe parsing and validation of bank XML with xmlschema."""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.etree.ElementTree import Element  # noqa: S405  type only; parsing goes through xmlschema, defused

import xmlschema
from xmlschema.exceptions import XMLResourceError, XMLResourceForbidden

from lifecrm.billing.bankfiles.errors import BankFileRejected

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
ISO = "urn:iso:std:iso:20022:tech:xsd:"
# namespace → (BankFile.format, schema file)
SCHEMAS = {
    f"{ISO}pain.008.001.08": ("pain.008", "pain.008.001.08.xsd"),
    f"{ISO}pain.002.001.03": ("pain.002", "pain.002.001.03.xsd"),
    f"{ISO}pain.002.001.12": ("pain.002", "pain.002.001.12.xsd"),
    f"{ISO}camt.054.001.08": ("camt.054", "camt.054.001.08.xsd"),
}
PAIN_008 = f"{ISO}pain.008.001.08"


@cache
def schema(namespace: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_DIR / SCHEMAS[namespace][1]))


@dataclass(frozen=True)
class XmlDocument:
    format: str  # BankFile.Format value
    namespace: str
    root: Element


def _resource(content: bytes) -> xmlschema.XMLResource:
    """Parse untrusted XML: no entities, no DTD, no remote or local resource loading."""
    try:
        return xmlschema.XMLResource(io.BytesIO(content), allow="none", defuse="always")
    except XMLResourceForbidden as exc:
        raise BankFileRejected("", f"forbidden XML construct: {exc}") from None
    except XMLResourceError as exc:
        raise BankFileRejected("", f"not well-formed XML: {exc}") from None


def validate(content: bytes, *, expected: str | None = None) -> XmlDocument:
    """Check the file is an ISO 20022 message we know and valid against its XSD, else reject it whole.

    The first schema error is reported with its element path, and how many more there are.
    """
    resource = _resource(content)
    namespace = resource.namespace
    if namespace not in SCHEMAS:
        known = ", ".join(sorted(n.removeprefix(ISO) for n in SCHEMAS))
        raise BankFileRejected("", f"unsupported message {namespace or 'without namespace'!r}: expected one of {known}")
    file_format = SCHEMAS[namespace][0]
    if expected and expected != file_format:
        raise BankFileRejected("", f"a {expected} file was expected, this is {namespace.removeprefix(ISO)}")
    errors = list(schema(namespace).iter_errors(resource))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more schema errors)" if len(errors) > 1 else ""
        reason = (first.reason or first.message).strip()
        raise BankFileRejected(first.path or "/", f"{reason}{more}")
    return XmlDocument(file_format, namespace, resource.root)


def is_xml(content: bytes) -> bool:
    return content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
