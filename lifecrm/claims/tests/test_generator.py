"""`lifecrm seed` and claims: open claims on the book's as-of date that agree with the app's own rules (the status
machine, the one missing-documents notice, the clocks) and reach every policy of their insured."""
from __future__ import annotations

from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from lifecrm.claims import rules, services
from lifecrm.claims.models import Claim, ClaimEvent
from lifecrm.policies.models import Policy

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 25)


def test_the_book_has_open_claims_that_follow_the_rules(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed", customers="1500", seed="7", as_of=AS_OF.isoformat(), no_progress=True, stdout=StringIO())
    claims = list(Claim.objects.prefetch_related("documents", "notices", "claim_policies"))
    assert len(claims) >= 5
    assert Counter(c.status for c in claims).keys() <= {"reported", "documents_pending", "assessing"}
    for claim in claims:
        assert claim.number == f"CL{claim.pk:08d}" and claim.event_date < claim.first_receipt <= AS_OF
        assert {link.policy_id for link in claim.claim_policies.all()} == set(
            Policy.objects.filter(insured=claim.insured).exclude(status="proposal").values_list("pk", flat=True))
        kinds = list(ClaimEvent.objects.filter(claim=claim).order_by("seq").values_list("kind", flat=True))
        assert kinds[0] == "reported"
        missing = [d for d in claim.documents.all() if d.received_on is None]
        assert (claim.status == "assessing") == (not missing and claim.documents_complete_on is not None)
        assert len(claim.notices.all()) == (1 if claim.status == "documents_pending" or any(
            d.requested_on for d in claim.documents.all()) else 0)
        before = (claim.decision_due, claim.simple_decision_due, claim.advance_payment_due, claim.payment_due,
                  claim.clock_stopped, claim.next_due)
        services.clocks_refresh(claim)  # the services' own arithmetic gives the same clocks
        assert before == (claim.decision_due, claim.simple_decision_due, claim.advance_payment_due,
                          claim.payment_due, claim.clock_stopped, claim.next_due), claim.number
        assert claim.status in rules.BEFORE_DECISION
