"""What the pain.008 and pain.001 writers share: building an ISO 20022 document in one namespace (elements,
texts, agents, accounts, parties) and writing amounts. Accounts go in `Othr/Id` (CN/HK/TW account numbers are not
IBANs); a bank is its BIC in `BICFI`, else its code in the jurisdiction's clearing system (`ClrSysMmbId`); names as
written (UTF-8 Chinese, never pinyin), at most the schemas' 140 characters."""
from __future__ import annotations

import re
from decimal import Decimal

from lxml.etree import Element, SubElement  # building, not parsing; serialised by libxml2

BIC = re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")
CLEARING_SYSTEMS = {"CN": "CNAPS", "HK": "HKNCC", "TW": "TWNCC"}
NAME_MAX = 140  # Max140Text


class IsoWriter:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.ns = "{" + namespace + "}"

    def document(self) -> Element:
        return Element(self.ns + "Document", nsmap={None: self.namespace})

    def sub(self, parent: Element, tag: str) -> Element:
        return SubElement(parent, self.ns + tag)

    def text(self, parent: Element, tag: str, value: str) -> Element:
        node = self.sub(parent, tag)
        node.text = value
        return node

    def agent(self, parent: Element, tag: str, bank_code: str, jurisdiction: str) -> None:
        institution = self.sub(self.sub(parent, tag), "FinInstnId")
        if BIC.fullmatch(bank_code):
            self.text(institution, "BICFI", bank_code)
        else:
            member = self.sub(institution, "ClrSysMmbId")
            self.text(self.sub(member, "ClrSysId"), "Cd", CLEARING_SYSTEMS[jurisdiction])
            self.text(member, "MmbId", bank_code)

    def account(self, parent: Element, tag: str, number: str) -> None:
        self.text(self.sub(self.sub(self.sub(parent, tag), "Id"), "Othr"), "Id", number)

    def party(self, parent: Element, tag: str, name: str, identifier: str = "") -> None:
        party = self.sub(parent, tag)
        self.text(party, "Nm", name[:NAME_MAX])
        if identifier:
            self.text(self.sub(self.sub(self.sub(party, "Id"), "OrgId"), "Othr"), "Id", identifier)


def money(value: Decimal) -> str:
    return f"{value:.2f}"
