"""SMS gateway adapters. The default writes spool files of messages into the SMS outbox folder."""
from __future__ import annotations

import json
from collections.abc import Iterator

from django.conf import settings
from django.utils.module_loading import import_string

from lifecrm.notifications.outbox import outbox_dir, write_atomic

DEFAULT_GATEWAY = "lifecrm.notifications.sms.OutboxSmsGateway"
SPOOL_SUFFIX = ".jsonl"


class OutboxSmsGateway:
    """Writes messages to LIFECRM_SMS_OUTBOX (default var/outbox/sms/) for the forwarder that talks to the
    operator: spool files of JSON lines, one message a line ({"to", "message_id", "class", "language",
    "text"}), each file written whole (temp file + rename) and named by its first message's key, so a
    retried send replaces its file. One send writes a spool of one message; a batch (`begin_batch`) keeps
    its messages and writes them as one spool, flushed to disk, at `flush` (a daily chunk: one file and one
    fsync instead of thousands). Runs inside the caller's transaction (`after_commit = False`)."""

    after_commit = False

    def __init__(self) -> None:
        self.folder = outbox_dir("LIFECRM_SMS_OUTBOX", "sms")
        self._batch: list[tuple[str, str]] | None = None

    def begin_batch(self) -> None:
        self._batch = []

    def send(self, *, to: str, text: str, key: str, language: str) -> str:
        line = json.dumps({"to": to, "message_id": key, "class": "service", "language": language, "text": text},
                          ensure_ascii=False)
        if self._batch is None:
            return self._write([(key, line)])
        self._batch.append((key, line))
        return f"{key} in {self._batch[0][0]}{SPOOL_SUFFIX}"

    def flush(self) -> str | None:
        """Write the batch's spool (synced to disk); None when it has no message."""
        batch, self._batch = self._batch, None
        return self._write(batch) if batch else None

    def _write(self, messages: list[tuple[str, str]]) -> str:
        name = f"{messages[0][0]}{SPOOL_SUFFIX}"
        data = "".join(f"{line}\n" for _, line in messages).encode("utf-8")
        return write_atomic(self.folder, name, data).name


def read_outbox(folder=None) -> Iterator[dict]:
    """Every message in the outbox's spool files (what a forwarder reads), file by file in name order."""
    folder = folder or outbox_dir("LIFECRM_SMS_OUTBOX", "sms")
    for path in sorted(folder.glob(f"*{SPOOL_SUFFIX}")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line:
                yield json.loads(line)


def sms_gateway():
    """The gateway named by LIFECRM_SMS_GATEWAY (a dotted class path). A gateway that calls out over the
    network sets `after_commit = True` and the caller sends after the transaction commits."""
    return import_string(getattr(settings, "LIFECRM_SMS_GATEWAY", DEFAULT_GATEWAY))()
