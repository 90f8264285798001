"""`lifecrm seed` and servicing: a year of requests that agrees with the app's own rules (the status machine,
the clocks, four eyes) and with the policies a surrender or a cooling-off cancellation ended."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from lifecrm.core.selectors import working_calendar
from lifecrm.policies.models import Policy
from lifecrm.servicing import rules
from lifecrm.servicing.models import RequestEvent, ServiceRequest
from lifecrm.servicing.services import clock_periods

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 25)
STATUS_OF_EVENT = {"received": "received", "accepted": "accepted", "awaiting_documents": "awaiting_documents",
                   "complete": "complete", "submitted": "pending_approval", "approved": "approved",
                   "executed": "executed", "rejected": "rejected", "cancelled": "cancelled"}


def test_the_book_has_a_servicing_history_that_follows_the_rules(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed", customers="600", seed="7", as_of=AS_OF.isoformat(), no_progress=True, stdout=StringIO())
    requests = list(ServiceRequest.objects.select_related("request_type"))
    assert len(requests) > 20
    statuses = Counter(r.status for r in requests)
    assert statuses["executed"] and sum(statuses[s] for s in ("received", "awaiting_documents", "complete",
                                                              "pending_approval", "approved", "accepted"))
    logs = defaultdict(list)
    for event in RequestEvent.objects.order_by("request_id", "seq"):
        logs[event.request_id].append(event)
    periods, calendar = clock_periods("CN"), working_calendar("CN")
    for r in requests:
        state = "received"
        for event in logs[r.pk][1:]:
            if event.kind in STATUS_OF_EVENT:
                rules.check_transition(state, STATUS_OF_EVENT[event.kind])
                state = STATUS_OF_EVENT[event.kind]
        assert state == r.status, r.number
        assert r.checker_id is None or r.checker_id != r.maker_id
        clocks = rules.request_clocks(received_on=r.received_on, complete_on=r.complete_on, periods=periods,
                                      calendar=calendar, is_surrender=r.request_type.code == "surrender")
        assert (r.accept_due, r.complete_due, r.payment_due) == (clocks.accept_due, clocks.complete_due,
                                                                 clocks.payment_due)
        assert r.due_on == clocks.current_due(status=r.status, missing_notice_sent=r.missing_notice_on is not None,
                                              paid=r.paid_on is not None)
        assert (r.paid_on is not None) == (r.status == "executed" and r.request_type.code in rules.PAYS_THE_OWNER)
        assert r.branch_path and r.received_on <= AS_OF
    ended = {r.policy_id: r for r in requests if r.request_type.code in ("surrender", "cooling_off_cancellation")}
    for policy in Policy.objects.filter(status__in=["surrendered", "cooling_off_cancelled"],
                                        status_date__gte=date(2025, 11, 25)):
        assert ended[policy.pk].status == "executed" and ended[policy.pk].closed_on == policy.status_date
