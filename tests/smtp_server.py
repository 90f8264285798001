"""A real SMTP server for the tests (aiosmtpd on a free local port): the fixture `smtp` points Django's SMTP
backend at it and yields its inbox. A recipient in `inbox.replies` gets that reply instead (refused@example.com:
a permanent 550); a test may add its own, a 4xx for a passing failure."""
from __future__ import annotations

import email
import email.policy
import socket

import pytest


class Inbox:
    def __init__(self):
        self.messages = []
        self.replies = {"refused@example.com": "550 no such mailbox"}

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            if address in self.replies:
                return self.replies[address]
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.LIFECRM_REMINDER_FROM_EMAIL = "service@lifecrm.invalid"
    yield inbox
    controller.stop()
