"""Test settings shared by every app's tests."""
import os

os.environ.setdefault("LIFECRM_ENV", "test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _outboxes_in_tmp(settings, tmp_path_factory):
    """SMS and letters written by tests go to a temporary folder, never to var/outbox/."""
    outbox = tmp_path_factory.mktemp("outbox")
    settings.LIFECRM_SMS_OUTBOX = outbox / "sms"
    settings.LIFECRM_LETTER_OUTBOX = outbox / "letters"


@pytest.fixture(autouse=True)
def _clear_kernel_caches():
    from lifecrm.core.selectors import clear_caches

    clear_caches()
    yield
    clear_caches()
