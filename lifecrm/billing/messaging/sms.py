"""SMS gateway adapters. The default writes one file per message into the SMS outbox folder."""
from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from lifecrm.billing.messaging.outbox import outbox_dir, write_atomic

DEFAULT_GATEWAY = "lifecrm.billing.messaging.sms.OutboxSmsGateway"


class OutboxSmsGateway:
    """Writes `<key>.txt` (headers, blank line, text) to LIFECRM_SMS_OUTBOX (default var/outbox/sms/)
    for the forwarder that talks to the operator. The file is named by the message key: a retry
    replaces it. Runs inside the caller's transaction (`after_commit = False`)."""

    after_commit = False
    # A batch sets False and flushes its files once (outbox.flush_to_disk) before its transaction commits.
    sync = True

    def __init__(self) -> None:
        self.folder = outbox_dir("LIFECRM_SMS_OUTBOX", "sms")

    def send(self, *, to: str, text: str, key: str, language: str) -> str:
        content = f"To: {to}\nMessage-Id: {key}\nClass: service\nLanguage: {language}\n\n{text}\n"
        path = write_atomic(self.folder, f"{key}.txt", content.encode("utf-8"), sync=self.sync)
        return path.name


def sms_gateway():
    """The gateway named by LIFECRM_SMS_GATEWAY (a dotted class path). A gateway that calls out over the
    network sets `after_commit = True` and the caller sends after the transaction commits."""
    return import_string(getattr(settings, "LIFECRM_SMS_GATEWAY", DEFAULT_GATEWAY))()
