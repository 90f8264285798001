"""E-mail through Django's mail API, sent only after the transaction that recorded it commits."""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

logger = logging.getLogger(__name__)


def message_id(key: str) -> str:
    """A Message-ID made from the message key, so a resend is recognisably the same message."""
    return f"<{key}@{getattr(settings, 'LIFECRM_EMAIL_DOMAIN', 'lifecrm.invalid')}>"


def queue_email(*, to: str, subject: str, body: str, key: str, on_sent: Callable[[], None],
                on_failed: Callable[[str], None]) -> str:
    """Send after commit (never for a rolled-back reminder); report the outcome through the callbacks."""
    msgid = message_id(key)
    email = EmailMessage(
        subject=subject, body=body, to=[to],
        from_email=getattr(settings, "LIFECRM_REMINDER_FROM_EMAIL", settings.DEFAULT_FROM_EMAIL),
        headers={"Message-ID": msgid, "X-Lifecrm-Class": "service"},
    )

    def deliver() -> None:
        try:
            email.send(fail_silently=False)
        except Exception as exc:  # any SMTP or socket error: the reminder is marked failed, the batch goes on
            logger.warning("e-mail %s to %s failed: %s", msgid, to, exc)
            on_failed(f"{type(exc).__name__}: {exc}")
        else:
            on_sent()

    transaction.on_commit(deliver)
    return msgid
