"""A policy whose premiums are waived (a waiver-of-premium claim, issue 17 §3) takes no new dues: the raise step
skips it, while a premium-paying twin gets its premiums as before."""
from datetime import date

import pytest

from lifecrm.billing.models import DueItem
from lifecrm.billing.services import due_items_raise, raise_candidates
from lifecrm.core.actors import SYSTEM
from lifecrm.policies import services as policy_services
from tests.factories import make_customer, make_org, make_policy, make_staff

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
