"""A bank's status report (pain.002.001.03) on one of our pain.001 files, generated for tests and validated against
the vendored XSD: claims' payouts, servicing's payments to owners."""
from datetime import date

from lxml.etree import Element, SubElement, tostring

from lifecrm.banking import xsd
from lifecrm.banking.models import BankFile

NS = "{urn:iso:std:iso:20022:tech:xsd:pain.002.001.03}"


def _text(parent, tag, value):
    node = SubElement(parent, NS + tag)
    node.text = value
    return node


def pain002(original: BankFile, answers: dict[str, str], *, on: date, message_id="ICBC-PSR-1", amounts=None,
            currency="CNY") -> bytes:
    """A pain.002.001.03 answering `original`: end-to-end id → ACSC, or a reason code for a rejection."""
    document = Element(NS + "Document", nsmap={None: NS.strip("{}")})
    report = SubElement(document, NS + "CstmrPmtStsRpt")
    header = SubElement(report, NS + "GrpHdr")
    _text(header, "MsgId", message_id)
    _text(header, "CreDtTm", f"{on.isoformat()}T18:00:00+08:00")
    group = SubElement(report, NS + "OrgnlGrpInfAndSts")
    _text(group, "OrgnlMsgId", original.message_id)
    _text(group, "OrgnlMsgNmId", "pain.001.001.09")
    _text(group, "GrpSts", "PART")
    block = SubElement(report, NS + "OrgnlPmtInfAndSts")
    _text(block, "OrgnlPmtInfId", original.message_id)
    for reference, answer in answers.items():
        tx = SubElement(block, NS + "TxInfAndSts")
        _text(tx, "OrgnlEndToEndId", reference)
        _text(tx, "TxSts", "ACSC" if answer == "ACSC" else "RJCT")
        if answer != "ACSC":
            _text(SubElement(SubElement(tx, NS + "StsRsnInf"), NS + "Rsn"), "Cd", answer)
        if amounts and reference in amounts:
            amount = SubElement(SubElement(tx, NS + "OrgnlTxRef"), NS + "Amt")
            _text(amount, "InstdAmt", amounts[reference]).set("Ccy", currency)
    content = tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    xsd.validate(content, expected="pain.002")
    return content
