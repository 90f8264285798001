"""A customer's contact change: the actor checked (role and scope), bad input refused with its field, nothing
half-written, the search forms follow, the old and new details audited (a phone masked)."""
from __future__ import annotations

from datetime import date

import pytest

from lifecrm.core.models import AuditEvent
from lifecrm.org.access import AccessDenied, NotInScope
from lifecrm.parties.models import Customer
from lifecrm.parties.services import ContactChangeRefused, contact_change
from tests.factories import make_customer, make_org, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
AS_OF = date(2026, 12, 7)


@pytest.fixture
def setting():
    org = make_org()
    customer = make_customer(branch=org.team_a, mobile_phone="13800138000", address="北京市朝阳区建国路1号")
    return org, customer


def test_the_counter_changes_the_details_and_the_change_is_audited(setting):
    org, customer = setting
    counter = make_staff("counter", org.team_a)
    changed = contact_change(actor=counter, customer=customer, as_of=AS_OF,
                             changes={"mobile_phone": "139 1234 5678", "email": " li@example.com ",
                                      "address": "上海市黄浦區南京東路100號"})
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.mobile_phone, stored.email, stored.address) == ("13912345678", "li@example.com",
                                                                   "上海市黄浦區南京東路100號")
    assert stored.address_folded == "上海市黄浦区南京东路100号" and changed.pk == customer.pk
    audit = AuditEvent.objects.get(object_type="parties.customer", object_id=str(customer.pk), action="update")
    assert audit.before["mobile_phone"] != "13800138000" and "0138000"[-4:] in audit.before["mobile_phone"]
    assert audit.after["email"] == "li@example.com" and audit.after["as_of"] == "2026-12-07"
    assert "13912345678" not in str(audit.after)


@pytest.mark.parametrize(("changes", "field"), [
    ({}, "address"),
    ({"mobile_phone": "12345"}, "mobile_phone"),
    ({"email": "not-an-address"}, "email"),
    ({"address": "x" * 201}, "address"),
    ({"name": "李四"}, "name"),
    ({"mobile_phone": "13800138000"}, "mobile_phone"),  # nothing would change
])
def test_bad_input_is_refused_with_its_field_and_nothing_is_written(setting, changes, field):
    org, customer = setting
    with pytest.raises(ContactChangeRefused) as refused:
        contact_change(actor=make_staff("counter", org.team_a), customer=customer, changes=changes, as_of=AS_OF)
    assert refused.value.field == field
    assert Customer.objects.get(pk=customer.pk).mobile_phone == "13800138000"
    assert not AuditEvent.objects.filter(object_type="parties.customer", action="update").exists()


def test_the_actor_is_checked(setting):
    org, customer = setting
    with pytest.raises(AccessDenied):
        contact_change(actor=make_staff("callcentre", org.team_a), customer=customer,
                       changes={"email": "li@example.com"}, as_of=AS_OF)
    with pytest.raises(NotInScope):
        contact_change(actor=make_staff("branch", org.branch_b), customer=customer,
                       changes={"email": "li@example.com"}, as_of=AS_OF)
    assert Customer.objects.get(pk=customer.pk).email == ""
