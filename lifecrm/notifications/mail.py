"""E-mail through Django's mail API, sent only after the transaction that recorded it commits.

A batch (a daily chunk's e-mails) goes over one connection to the mail server; each message's
outcome is reported back, so a failure marks only its own reminder failed.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

logger = logging.getLogger(__name__)


def message_id(key: str) -> str:
    """A Message-ID made from the message key, so a resend is recognisably the same message."""
    return f"<{key}@{getattr(settings, 'LIFECRM_EMAIL_DOMAIN', 'lifecrm.invalid')}>"


def build_email(*, to: str, subject: str, body: str, key: str) -> EmailMessage:
    return EmailMessage(
        subject=subject, body=body, to=[to],
        from_email=getattr(settings, "LIFECRM_REMINDER_FROM_EMAIL", settings.DEFAULT_FROM_EMAIL),
        headers={"Message-ID": message_id(key), "X-Lifecrm-Class": "service"},
    )


def deliver(emails: list[tuple[Hashable, EmailMessage]]) -> Iterator[tuple[Hashable, Exception | None]]:
    """Send over one connection (reopened after a failure); yields each tag with its error, None when sent."""
    connection = None
    try:
        for tag, email in emails:
            try:
                if connection is None:
                    connection = get_connection(fail_silently=False)
                    connection.open()
                email.connection = connection
                email.send(fail_silently=False)
            except Exception as exc:  # any SMTP or socket error: this message failed, the batch goes on
                logger.warning("e-mail %s to %s failed: %s", email.extra_headers.get("Message-ID"), email.to, exc)
                if connection is not None:
                    _close_quietly(connection)
                    connection = None
                yield tag, exc
            else:
                yield tag, None
    finally:
        if connection is not None:
            _close_quietly(connection)


def describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def send_batch(emails: list[tuple[Hashable, EmailMessage]]) -> tuple[list[Hashable], list[tuple[Hashable, str]]]:
    """Send over one connection (reopened after a failure); returns the sent tags and (tag, error) failures."""
    sent, failed = [], []
    for tag, exc in deliver(emails):
        if exc is None:
            sent.append(tag)
        else:
            failed.append((tag, describe(exc)))
    return sent, failed


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001, S110  a broken connection cannot be closed cleanly; nothing is lost
        pass


def send_after_commit(emails: list[tuple[Hashable, EmailMessage]],
                      report: Callable[[list[Hashable], list[tuple[Hashable, str]]], None]) -> None:
    """Send after commit (never for a rolled-back reminder) and report the outcome."""
    if emails:
        transaction.on_commit(lambda: report(*send_batch(emails)))
