"""A policy whose premiums are waived (a waiver-of-premium claim, issue 17 §3) takes no new dues: the raise step
skips it, while a premium-paying twin gets its premiums as before; the open premiums falling due on or after the
waiver's effective date are cancelled (`billing.waivers`)."""
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from lifecrm.billing.models import BankFile, Collection, DueItem
from lifecrm.billing.services import due_items_raise, raise_candidates
from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
from lifecrm.policies import services as policy_services
from lifecrm.policies.services import Transition, policies_transition
from tests.factories import make_customer, make_mandate, make_org, make_policy, make_staff

pytestmark = pytest.mark.django_db


def test_billing_raises_no_dues_for_a_waived_policy():
    org = make_org()
    agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent)
    waived, paying = (make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2026, 1, 15),
                                  as_of=date(2026, 6, 1)) for _n in range(2))
    due_items_raise(as_of=date(2026, 6, 1), first_id=waived.pk, last_id=paying.pk)
    before = DueItem.objects.filter(policy=waived).count()
    assert before and before == DueItem.objects.filter(policy=paying).count()
    policy_services.policy_transition(actor=SYSTEM, policy_id=waived.pk, to_status="premium_waived",
                                      effective_date=date(2026, 6, 2), as_of=date(2026, 6, 2), kind="premium_waived")
    later = date(2026, 9, 1)
    assert waived.pk not in set(raise_candidates(later).values_list("pk", flat=True))
    due_items_raise(as_of=later, first_id=waived.pk, last_id=paying.pk)
    due_items_raise(as_of=later, first_id=waived.pk, last_id=paying.pk, candidates=[waived.pk, paying.pk])
    assert DueItem.objects.filter(policy=waived).count() == before
    assert DueItem.objects.filter(policy=paying).count() > before


def _collection(item: DueItem, mandate, status: str) -> Collection:
    sent = BankFile.objects.create(direction="out", format="pain.008", sha256=f"{item.pk:064d}", filename="LCDD.xml",
                                   as_of=item.due_date, created_at=datetime(2026, 6, 1, tzinfo=UTC),
                                   content=b"<Document/>")
    return Collection.objects.create(due_item=item, mandate=mandate, end_to_end_id=f"E2E{item.pk}", amount=item.amount,
                                     collection_date=item.due_date, export_file=sent, status=status,
                                     reason_code="AM04" if status == "rejected" else "")


def test_a_waiver_cancels_the_open_premiums_due_from_its_effective_date():
    org = make_org()
    agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent)
    waived, paying = (make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2026, 1, 15),
                                  as_of=date(2026, 8, 1)) for _n in range(2))
    due_items_raise(as_of=date(2026, 8, 1), first_id=waived.pk, last_id=paying.pk)
    items = {item.due_date: item for item in DueItem.objects.filter(policy=waived)}
    assert {date(2026, 5, 15), date(2026, 6, 15), date(2026, 7, 15), date(2026, 8, 15),
            date(2026, 9, 15)} <= set(items)
    mandate = make_mandate(waived)
    _collection(items[date(2026, 7, 15)], mandate, "sent")  # a debit in flight: its result decides the premium
    _collection(items[date(2026, 9, 15)], mandate, "rejected")  # a debit the bank refused: nothing in flight
    DueItem.objects.filter(pk=items[date(2026, 8, 15)].pk).update(paid_amount=Decimal("10.00"))  # partly paid
    # the daily batch's status changes (another status, another policy) cancel nothing
    policies_transition(actor=SYSTEM, as_of=date(2026, 8, 1), changes=[
        Transition(paying.pk, "grace", date(2026, 2, 16), kind="grace_started")])
    assert not DueItem.objects.filter(status="cancelled").exists()

    policy_services.policy_transition(actor=SYSTEM, policy_id=waived.pk, to_status="premium_waived",
                                      effective_date=date(2026, 6, 15), as_of=date(2026, 8, 1), kind="premium_waived")
    status = dict(DueItem.objects.filter(policy=waived).values_list("due_date", "status"))
    assert status[date(2026, 5, 15)] == "open"  # due the month before the waiver: still owed
    assert status[date(2026, 6, 15)] == "cancelled"  # due on the waiver's effective date
    assert status[date(2026, 7, 15)] == "open"  # in a debit sent to the bank
    assert status[date(2026, 8, 15)] == "open"  # partly paid: its money stays with it
    assert status[date(2026, 9, 15)] == "cancelled"
    assert set(DueItem.objects.filter(policy=paying).values_list("status", flat=True)) == {"open"}
    audit = AuditEvent.objects.get(object_type="policies.policy", object_id=str(waived.pk),
                                   purpose="premiums cancelled: premium waived")
    assert audit.after == {"cancelled": 2, "waived from": "2026-06-15"}
