"""The one exception of bank-file handling: a file refused whole, saying where and why."""
from __future__ import annotations


class BankFileRejected(ValueError):
    """A bank file refused as a whole; nothing of it was recorded.

    `where` is the CSV line ("line 7") or the XML element path
    ("/Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts[1]/TxInfAndSts[3]/OrgnlEndToEndId"), empty when the
    whole file is at fault; `reason` says what is wrong there.
    """

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}" if where else reason)


class ExportInvalid(RuntimeError):
    """A pain.008 we built fails its own schema: a bug, never sent, nothing recorded."""
