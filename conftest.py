"""Test settings shared by every app's tests."""
import os

os.environ.setdefault("LIFECRM_ENV", "test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

# No timing thresholds in tests (the machines are shared and noisy): hypothesis's default 200 ms deadline per
# example failed a paging property under load. Example counts stay hypothesis's own.
hypothesis_settings.register_profile("lifecrm", deadline=None)
hypothesis_settings.load_profile("lifecrm")


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
