"""Walking an ISO 20022 tree by local names while keeping the element path for error messages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element  # noqa: S405  type only

from django.utils.translation import gettext_noop as N_

from lifecrm.banking.errors import BankFileRejected


@dataclass(frozen=True)
class Node:
    elem: Element
    ns: str
    path: str

    def _tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def all(self, name: str) -> list[Node]:
        """Children named `name`, each with its 1-based position in the path."""
        return [Node(e, self.ns, f"{self.path}/{name}[{i}]") for i, e in enumerate(self.elem.findall(self._tag(name)), 1)]

    def get(self, dotted: str) -> Node | None:
        """The first descendant along `A/B/C`, or None."""
        node: Node | None = self
        for name in dotted.split("/"):
            found = node.elem.find(self._tag(name))
            if found is None:
                return None
            node = Node(found, self.ns, f"{node.path}/{name}")
        return node

    def text(self, dotted: str) -> str | None:
        node = self.get(dotted)
        return None if node is None or node.elem.text is None else node.elem.text.strip()

    def where(self, dotted: str) -> str:
        return f"{self.path}/{dotted}"

    def amount(self, dotted: str) -> tuple[Decimal | None, str | None]:
        """An `…Amt` element: (Decimal, its Ccy attribute); the schema has checked the syntax."""
        node = self.get(dotted)
        if node is None:
            return None, None
        try:
            return Decimal(node.elem.text.strip()), node.elem.get("Ccy")
        except (InvalidOperation, AttributeError):
            raise BankFileRejected(node.path, N_("amount %(value)r is not a number"), value=node.elem.text) from None

    def date(self, dotted: str) -> date | None:
        """An ISODate or ISODateTime (its calendar date as written), or a Dt/DtTm choice."""
        value = self.text(dotted) or self.text(f"{dotted}/Dt") or self.text(f"{dotted}/DtTm")
        if value is None:
            return None
        try:
            return date.fromisoformat(value[:10]) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            raise BankFileRejected(self.where(dotted), N_("%(value)r is not a date"), value=value) from None


def root_node(root: Element, ns: str) -> Node:
    return Node(root, ns, "/Document")


def parse_datetime_date(value: str | None) -> date | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
