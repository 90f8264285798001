"""What the owner is told: the missing-items notice, and the confirmation of an executed, rejected or declined
request, as a letter's print file and an SMS or e-mail through the real outbox (aiosmtpd, the SMS spool), in the
owner's language, each once whatever reruns."""
from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lifecrm.notifications.letters import print_letter
from lifecrm.notifications.models import Letter, OutboxMessage
from lifecrm.notifications.services import outbox_dispatch
from lifecrm.notifications.sms import read_outbox
from lifecrm.parties.models import Customer
from lifecrm.servicing import services
from lifecrm.servicing.models import RequestEvent
from lifecrm.servicing.notices import Notice, notice_send
from lifecrm.servicing.tests.conftest import AS_OF
from lifecrm.servicing.tests.test_pages import client_for, pinned  # noqa: F401  (a fixture)
from lifecrm.servicing.tests.test_services import complete, create

pytestmark = pytest.mark.django_db


def owner_prefers(world, **fields) -> None:
    Customer.objects.filter(pk=world.owner.pk).update(address="北京市东城区王府井大街1号", postcode="100006", **fields)
    world.policy.owner.refresh_from_db()


def dispatch():
    """The dispatcher tomorrow at 11:00 in CN (outside the quiet hours): the notices were recorded now."""
    tomorrow = timezone.now().astimezone(UTC) + timedelta(days=1)
    return outbox_dispatch(at=tomorrow.replace(hour=3, minute=0))


def test_an_executed_request_is_confirmed_by_letter_and_by_the_owners_email(world, smtp):
    owner_prefers(world, preferred_channel="email", email="zhang@example.com", preferred_language="en")
    request = complete(world, create(world), AS_OF)
    request = services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
    letter = Letter.objects.get(key=f"servicing-{request.number}-executed-letter")
    assert "has been carried out" in letter.html and "Contact and address change" in letter.html
    assert letter.recorded_on == AS_OF
    assert dispatch().sent == 1
    [mail] = smtp.messages
    assert mail["To"] == "zhang@example.com"
    assert mail["Subject"] == f"Your request {request.number} (Contact and address change) has been carried out"
    assert world.policy.number in mail.get_content()
    event = RequestEvent.objects.get(request=request, kind="executed")
    assert event.data["sent"] == {"notice": "executed", "language": "en", "letter": letter.key,
                                  "email": f"servicing-{request.number}-executed-email"}
    # a rerun of the notice records nothing new and sends nothing twice
    notice_send(request, Notice.EXECUTED, as_of=AS_OF, at=timezone.now())
    assert Letter.objects.count() == 1 and OutboxMessage.objects.count() == 1
    assert dispatch().sent == 0 and len(smtp.messages) == 1


def test_the_letter_prints_to_a_pdf(world):
    owner_prefers(world, preferred_channel="letter", preferred_language="zh-hant")
    request = complete(world, create(world), AS_OF)
    services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
    letter = Letter.objects.get()
    assert "聯絡資料及地址變更" in letter.html and "辦理完成" in letter.html
    assert not OutboxMessage.objects.exists()  # a letter-preferring owner gets the letter only
    assert print_letter(letter.key, letter.html).read_bytes().startswith(b"%PDF")


def test_a_rejection_tells_the_reason_by_sms_in_simplified_chinese(world, settings):
    owner_prefers(world)  # the factories' owner: SMS, zh-hans
    request = create(world)
    request = services.request_reject(actor=world.staff["counter"], request=request, reason="签名与档案不符",
                                      on=AS_OF, as_of=AS_OF)
    assert dispatch().sent == 1
    [sms] = read_outbox(settings.LIFECRM_SMS_OUTBOX)
    assert sms["to"] == world.owner.mobile_phone and sms["message_id"] == f"servicing-{request.number}-rejected-sms"
    assert "联络资料及地址变更" in sms["text"] and "签名与档案不符" in sms["text"] and "未能办理" in sms["text"]
    assert "签名与档案不符" in Letter.objects.get().html


def test_a_checkers_decline_tells_the_owner(world):
    owner_prefers(world)
    request = create(world, kind="beneficiary_change", payload={"beneficiaries": [
        {"name": "李娜", "relation_to_insured": "spouse", "share": "100", "order": 1}]})
    request = complete(world, request, AS_OF)
    assert request.status == "pending_approval"
    services.request_decline(actor=world.staff["branch"], request=request, reason="受益人资料不全", on=AS_OF,
                             as_of=AS_OF)
    message = OutboxMessage.objects.get()
    assert message.key.endswith("-rejected-sms") and "受益人资料不全" in message.body
    assert RequestEvent.objects.get(request=request, kind="declined").data["sent"]["sms"] == message.key


def test_the_missing_items_notice_goes_through_the_outbox_listing_every_document(world, settings):
    owner_prefers(world)
    request = services.request_accept(actor=world.staff["counter"], request=create(world), on=AS_OF, as_of=AS_OF)
    request = services.request_missing_notice(actor=world.staff["counter"], request=request, on=AS_OF, as_of=AS_OF)
    assert dispatch().sent == 1
    [sms] = read_outbox(settings.LIFECRM_SMS_OUTBOX)
    assert "保全申请书、投保人身分证明" in sms["text"]
    letter = Letter.objects.get(key=f"servicing-{request.number}-missing_items-letter")
    assert "保全申请书" in letter.html and "投保人身分证明" in letter.html


def test_a_rolled_back_decision_tells_nobody(world, monkeypatch):
    owner_prefers(world)
    request = complete(world, create(world), AS_OF)

    def fails(request):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_save", fails)
    with pytest.raises(RuntimeError):
        services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
    assert not Letter.objects.exists() and not OutboxMessage.objects.exists()


def test_the_request_page_says_how_the_owner_was_told(world, pinned):  # noqa: F811
    owner_prefers(world)
    request = services.request_reject(actor=world.staff["counter"], request=create(world), reason="签名不符",
                                      on=AS_OF, as_of=AS_OF)
    body = client_for(world.staff["counter"], "en").get(reverse("servicing:request", args=[request.pk]))
    assert "owner told by letter, SMS" in body.content.decode()
    body = client_for(world.staff["counter"], "zh-hant").get(reverse("servicing:request", args=[request.pk]))
    assert "已以信函、簡訊通知投保人" in body.content.decode()
