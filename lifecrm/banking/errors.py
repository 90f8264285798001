"""The one exception of bank-file handling: a file refused whole, saying where and why."""
from __future__ import annotations

import re

from django.utils.translation import gettext

LINE = re.compile(r"line (\d+)")


class BankFileRejected(ValueError):
    """A bank file refused as a whole; nothing of it was recorded.

    `where` is the CSV line ("line 7") or the XML element path
    ("/Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts[1]/TxInfAndSts[3]/OrgnlEndToEndId"), empty when the
    whole file is at fault; `reason` says what is wrong there. Both are English (logs, the command line);
    `reason` is an English msgid (marked with gettext_noop) with `%(name)s` placeholders filled from
    `params`, so that a page shows it in its own language: `localised_where()`, `localised_reason()`.
    """

    def __init__(self, where: str, reason: str, **params) -> None:
        self.where = where
        self.template = reason
        self.params = params
        self.reason = reason % params if params else reason
        super().__init__(f"{where}: {self.reason}" if where else self.reason)

    def localised_reason(self) -> str:
        text = gettext(self.template)
        return text % self.params if self.params else text

    def localised_where(self) -> str:
        line = LINE.fullmatch(self.where)
        return gettext("line %(number)s") % {"number": line[1]} if line else self.where


class ExportInvalid(RuntimeError):
    """A pain.008 we built fails its own schema: a bug, never sent, nothing recorded."""
