"""Channels: which one a message goes by, the SMS outbox spool, e-mail to a real SMTP server (aiosmtpd)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from lifecrm.notifications import contacts, mail
from lifecrm.notifications.outbox import write_atomic
from lifecrm.notifications.sms import OutboxSmsGateway, read_outbox, sms_gateway


def customer(**fields):
    return SimpleNamespace(**({"mobile_phone": "", "email": "", "address": "", "preferred_channel": "sms"} | fields))


def test_the_preferred_channel_then_its_fallbacks_and_legal_notices_never_by_email():
    assert contacts.route_for(customer(mobile_phone=" 138 "), "preferred") == contacts.Route("sms", "138", False)
    assert contacts.route_for(customer(email="a@b.c", preferred_channel="portal"), "preferred") == \
        contacts.Route("email", "a@b.c", False)
    assert contacts.route_for(customer(address="Road 1"), "email") == contacts.Route("letter", "Road 1", True)
    assert contacts.route_for(customer(email="a@b.c", address="Road 1"), "email", legal=True) == \
        contacts.Route("letter", "Road 1", True)
    assert contacts.route_for(customer(email="a@b.c"), "sms", legal=True) is None
    with pytest.raises(ValueError, match="not a message channel"):
        contacts.contact_detail(customer(), "fax")


def test_the_sms_outbox_writes_one_spool_per_batch_and_a_retry_replaces_it(settings, tmp_path):
    settings.LIFECRM_SMS_OUTBOX = tmp_path / "sms"
    gateway = sms_gateway()
    assert isinstance(gateway, OutboxSmsGateway) and gateway.after_commit is False
    assert gateway.send(to="138", text="一", key="K1", language="zh-hans") == "K1.jsonl"
    for _ in range(2):  # the same batch twice (a retried chunk): one file
        gateway.begin_batch()
        gateway.send(to="139", text="二", key="K2", language="zh-hans")
        gateway.send(to="137", text="三", key="K3", language="en")
        assert gateway.flush() == "K2.jsonl"
    assert gateway.flush() is None
    assert sorted(p.name for p in (tmp_path / "sms").iterdir()) == ["K1.jsonl", "K2.jsonl"]
    assert [(m["message_id"], m["text"], m["class"]) for m in read_outbox(tmp_path / "sms")] == [
        ("K1", "一", "service"), ("K2", "二", "service"), ("K3", "三", "service")]
    with pytest.raises(ValueError, match="bad outbox file name"):
        write_atomic(tmp_path, "../x", b"")


@pytest.mark.django_db
def test_a_batch_of_emails_goes_to_a_real_smtp_server_after_commit_and_a_failure_stays_its_own(
        smtp, django_capture_on_commit_callbacks):
    emails = [(tag, mail.build_email(to=to, subject=f"主题 {tag}", body="正文", key=f"K{tag}"))
              for tag, to in ((1, "zhang@example.com"), (2, "refused@example.com"), (3, "li@example.com"))]
    outcomes = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mail.send_after_commit(emails, lambda sent, failed: outcomes.append((sent, failed)))
    assert not smtp.messages and len(callbacks) == 1  # nothing before the commit
    callbacks[0]()
    [(sent, failed)] = outcomes
    assert sent == [1, 3] and [tag for tag, _error in failed] == [2]
    assert "550" in failed[0][1]
    assert [(m["To"], m["From"], m["Message-ID"], m["X-Lifecrm-Class"]) for m in smtp.messages] == [
        ("zhang@example.com", "service@lifecrm.invalid", "<K1@lifecrm.invalid>", "service"),
        ("li@example.com", "service@lifecrm.invalid", "<K3@lifecrm.invalid>", "service")]
