"""Servicing services: one request service for every channel, role and scope checks, the clocks on the real
CN/HK/TW calendars, documents and the single missing-items notice, maker-checker per role, and each execution
through the policies' services."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lifecrm.core.models import AuditEvent
from lifecrm.org.access import AccessDenied, NotInScope
from lifecrm.policies.models import Policy, PolicyEvent, PolicyLoan
from lifecrm.servicing import services
from lifecrm.servicing.models import RequestEvent, ServiceRequest
from lifecrm.servicing.services import ServicingRefused
from lifecrm.servicing.tests.conftest import ACCOUNT, AS_OF, large_policy, policy_in

DOCS = {"contact_change": ["application", "owner_id"],
        "surrender": ["application", "owner_id", "bank_account", "policy_document"]}


def create(world, *, who="counter", kind="contact_change", on=AS_OF, policy=None, payload=None, channel="counter"):
    return services.request_create(actor=world.staff[who], policy=policy or world.policy, request_type=kind,
                                   channel=channel, received_on=on, as_of=on,
                                   payload=payload if payload is not None else {"address": "北京市朝阳区建国路1号"})


def complete(world, request, on, who="counter"):
    """Accept, then every document of the checklist in on `on`."""
    request = services.request_accept(actor=world.staff[who], request=request, on=on, as_of=on)
    for document in request.documents.all():
        request = services.request_document_receive(actor=world.staff[who], request=request, code=document.code,
                                                    received_on=on, as_of=on)
    return request


class TestCreate:
    @pytest.mark.parametrize(("who", "channel"), [("counter", "counter"), ("callcentre", "callcentre"),
                                                  ("agent", "agent"), ("branch", "counter"), ("hq", "portal")])
    def test_every_channel_records_the_same_request(self, world, who, channel):
        request = create(world, who=who, channel=channel)
        assert request.number == f"SV{request.pk:08d}"
        assert request.status == "received" and request.maker == world.staff[who]
        assert request.branch_path == world.policy.branch_path and request.agent_id == world.policy.agent_id
        assert request.customer_id == world.owner.pk
        assert list(request.documents.values_list("code", flat=True)) == DOCS["contact_change"]
        assert RequestEvent.objects.get(request=request).kind == "received"
        assert AuditEvent.objects.filter(object_type="servicing.servicerequest", object_id=str(request.pk)).exists()

    def test_claims_role_may_not(self, world):
        with pytest.raises(AccessDenied):
            create(world, who="claims")

    def test_outside_the_scope(self, world):
        with pytest.raises(NotInScope):
            create(world, who="branch_b")
        with pytest.raises(NotInScope):
            create(world, who="agent_other")  # another agent's book

    def test_one_open_request_per_type_and_policy(self, world):
        create(world)
        with pytest.raises(ServicingRefused, match="already has an open request"):
            create(world)
        assert ServiceRequest.objects.count() == 1

    def test_bad_input_leaves_nothing(self, world):
        with pytest.raises(ServicingRefused):
            create(world, payload={})
        with pytest.raises(ServicingRefused):
            create(world, kind="sum_assured_decrease", payload={"sum_assured": "600000"})
        with pytest.raises(ServicingRefused):
            create(world, kind="no_such_type")
        with pytest.raises(ServicingRefused):
            services.request_create(actor=world.staff["counter"], policy=world.policy, request_type="contact_change",
                                    channel="counter", received_on=date(2025, 9, 27), as_of=AS_OF,
                                    payload={"address": "x"})
        assert not ServiceRequest.objects.exists() and not RequestEvent.objects.exists()


class TestClocksOnTheCalendars:
    """Working-day clocks on the shipped calendars (counted from the day after the trigger)."""

    def test_cn_accept_across_a_make_up_working_day(self, world):
        # Fri 26 Sep 2025; Sun 28 Sep is a make-up working day (National Day 2025): Sun 28 (1), Mon 29 (2).
        request = create(world, on=date(2025, 9, 26))
        assert request.accept_due == date(2025, 9, 29) and request.due_on == date(2025, 9, 29)

    def test_cn_across_national_day(self, world):
        # Tue 30 Sep: 1–8 Oct off; Thu 9 (1), Fri 10 (2); missing items: …, Sat 11 (make-up) (3), Mon 13, Tue 14.
        request = create(world, on=date(2025, 9, 30))
        assert request.accept_due == date(2025, 10, 10)
        assert request.missing_items_due == date(2025, 10, 14)

    def test_hk_and_tw(self, world):
        hk = policy_in(world, "HK", issue_date=date(2024, 1, 10))
        tw = policy_in(world, "TW", issue_date=date(2024, 1, 10))
        # HK: 1 Oct 2025 (National Day) off, no make-up days: Thu 2 (1), Fri 3 (2).
        assert create(world, policy=hk, on=date(2025, 9, 30)).accept_due == date(2025, 10, 3)
        # TW: Mon 6 Oct 2025 (Mid-Autumn) off: Fri 3 → Tue 7 (1), Wed 8 (2).
        assert create(world, policy=tw, on=date(2025, 10, 3)).accept_due == date(2025, 10, 8)

    def test_complete_clock_starts_when_the_last_document_arrives(self, world):
        request = create(world, on=date(2025, 9, 22))
        request = services.request_accept(actor=world.staff["counter"], request=request, on=date(2025, 9, 23),
                                          as_of=date(2025, 9, 23))
        assert request.status == "awaiting_documents" and request.complete_due is None
        # Mon 22 Sep: Tue 23, Wed 24, Thu 25, Fri 26, Sun 28 (the make-up working day) is the 5th.
        assert request.due_on == request.missing_items_due == date(2025, 9, 28)
        for code in DOCS["contact_change"]:
            request = services.request_document_receive(actor=world.staff["counter"], request=request, code=code,
                                                        received_on=date(2025, 9, 26), as_of=date(2025, 9, 26))
        # Fri 26 Sep: Sun 28 (1), Mon 29 (2), Tue 30 (3), [1–8 Oct off], Thu 9 (4), Fri 10 (5).
        assert request.status == "complete" and request.complete_on == date(2025, 9, 26)
        assert request.complete_due == request.due_on == date(2025, 10, 10)

    def test_surrender_payment_within_30_calendar_days(self, world):
        request = create(world, kind="surrender", payload=ACCOUNT, on=date(2025, 9, 1))
        assert request.payment_due == date(2025, 10, 1)


class TestDocuments:
    def test_one_single_missing_items_notice(self, world):
        request = create(world, on=date(2025, 9, 22))
        request = services.request_accept(actor=world.staff["counter"], request=request, on=date(2025, 9, 22),
                                          as_of=date(2025, 9, 22))
        request = services.request_document_receive(actor=world.staff["counter"], request=request, code="application",
                                                    received_on=date(2025, 9, 22), as_of=date(2025, 9, 22))
        request = services.request_missing_notice(actor=world.staff["counter"], request=request,
                                                  on=date(2025, 9, 23), as_of=date(2025, 9, 23))
        notice = request.events.get(kind="missing_notice")
        assert notice.data["missing"] == ["owner_id"]
        assert notice.data["sent"] == {"notice": "missing_items", "language": "zh-hans",
                                       "sms": f"servicing-{request.number}-missing_items-sms"}
        assert request.due_on is None  # the customer's turn
        with pytest.raises(ServicingRefused, match="asked for once"):
            services.request_missing_notice(actor=world.staff["counter"], request=request, on=date(2025, 9, 24),
                                            as_of=date(2025, 9, 24))

    def test_documents_refused(self, world):
        request = create(world, on=date(2025, 9, 22))
        with pytest.raises(ServicingRefused):
            services.request_document_receive(actor=world.staff["counter"], request=request, code="nope",
                                              received_on=date(2025, 9, 22), as_of=date(2025, 9, 22))
        with pytest.raises(ServicingRefused):
            services.request_document_receive(actor=world.staff["counter"], request=request, code="application",
                                              received_on=date(2025, 9, 21), as_of=date(2025, 9, 22))
        with pytest.raises(AccessDenied):  # the call centre takes requests in, the counter works them
            services.request_accept(actor=world.staff["callcentre"], request=request, on=date(2025, 9, 22),
                                    as_of=date(2025, 9, 22))


class TestMakerChecker:
    @pytest.mark.parametrize(("maker", "checker"), [("branch", "hq"), ("hq", "branch")])
    def test_the_maker_never_approves_their_own_request(self, world, maker, checker):
        """Per role holding the approval grant: the maker is refused (and the database refuses it too), another
        checker approves."""
        request = complete(world, create(world, who=maker, kind="surrender", payload=ACCOUNT, policy=large_policy(world)),
                           AS_OF, who=maker)
        with pytest.raises(ServicingRefused, match="another person"):
            services.request_approve(actor=world.staff[maker], request=request, on=AS_OF, as_of=AS_OF)
        with pytest.raises(ServicingRefused, match="another person"):  # through the login too
            services.request_approve(actor=world.staff[maker].user, request=request, on=AS_OF, as_of=AS_OF)
        request.refresh_from_db()
        assert request.status == "pending_approval" and request.checker is None
        request = services.request_approve(actor=world.staff[checker], request=request, on=AS_OF, as_of=AS_OF)
        assert request.checker == world.staff[checker]

    def test_the_database_refuses_a_checker_who_is_the_maker(self, world):
        from django.db import IntegrityError, transaction

        request = create(world, who="branch")
        with pytest.raises(IntegrityError), transaction.atomic():
            ServiceRequest.objects.filter(pk=request.pk).update(checker=world.staff["branch"])

    def test_approval_flow(self, world):
        # A manager records a surrender (above the 20,000 threshold: checked), another manager approves.
        request = create(world, who="branch", kind="surrender", payload=ACCOUNT, on=AS_OF, policy=large_policy(world))
        assert request.needs_approval and request.amount > Decimal("20000")
        request = complete(world, request, AS_OF, who="branch")
        assert request.status == "pending_approval"
        with pytest.raises(ServicingRefused, match="another person"):
            services.request_approve(actor=world.staff["branch"], request=request, on=AS_OF, as_of=AS_OF)
        with pytest.raises(ServicingRefused, match="approved when it needs approval"):
            services.request_execute(actor=world.staff["branch"], request=request, as_of=AS_OF)
        with pytest.raises(AccessDenied):  # the counter is no checker
            services.request_approve(actor=world.staff["counter"], request=request, on=AS_OF, as_of=AS_OF)
        with pytest.raises(NotInScope):
            services.request_approve(actor=world.staff["branch_b"], request=request, on=AS_OF, as_of=AS_OF)
        request = services.request_approve(actor=world.staff["hq"], request=request, on=AS_OF, as_of=AS_OF)
        assert request.status == "approved" and request.checker == world.staff["hq"]
        request = services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
        assert request.status == "executed" and request.closed_on == AS_OF
        policy = Policy.objects.get(pk=request.policy_id)
        assert policy.status == "surrendered" and policy.status_date == AS_OF
        event = PolicyEvent.objects.filter(policy=policy).latest("seq")
        assert event.kind == "surrendered" and event.data["request"] == request.number

    def test_the_checker_declines_with_a_reason(self, world):
        request = complete(world, create(world, kind="surrender", payload=ACCOUNT, policy=large_policy(world)), AS_OF)
        with pytest.raises(ServicingRefused):
            services.request_decline(actor=world.staff["branch"], request=request, reason=" ", on=AS_OF, as_of=AS_OF)
        request = services.request_decline(actor=world.staff["branch"], request=request, reason="签名不符",
                                           on=AS_OF, as_of=AS_OF)
        assert request.status == "rejected" and request.checker == world.staff["branch"]


class TestExecutions:
    def test_contact_change_needs_no_checker(self, world):
        request = complete(world, create(world), AS_OF)
        assert request.status == "complete" and not request.needs_approval
        request = services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
        assert request.status == "executed" and request.result["changed"] == ["address"]
        world.owner.refresh_from_db()
        assert world.owner.address == "北京市朝阳区建国路1号"  # through parties.services.contact_change

    def test_a_contact_change_that_changes_nothing_is_refused_on_execution(self, world):
        from lifecrm.parties.models import Customer

        request = complete(world, create(world), AS_OF)
        Customer.objects.filter(pk=world.owner.pk).update(address="北京市朝阳区建国路1号")
        with pytest.raises(ServicingRefused, match="already the customer's details"):
            services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)

    def test_sum_assured_decrease_makes_a_new_version(self, world):
        request = complete(world, create(world, kind="sum_assured_decrease", payload={"sum_assured": "300000"}),
                           AS_OF)
        services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
        current = world.policy.versions.get(effective_to__isnull=True)
        assert (current.version_no, current.effective_from) == (2, AS_OF)
        assert current.sum_assured == Decimal("300000.00") and current.annual_premium == Decimal("803.40")
        assert current.modal_premium == Decimal("72.30")
        assert world.policy.versions.get(version_no=1).effective_to == AS_OF

    def test_premium_mode_and_payment_method(self, world):
        request = complete(world, create(world, kind="premium_mode_change", payload={"premium_mode": "annual"}),
                           AS_OF)
        services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
        current = world.policy.versions.get(effective_to__isnull=True)
        assert current.premium_mode == "annual" and current.modal_premium == current.annual_premium
        later = date(2025, 9, 29)
        request = complete(world, create(world, kind="payment_method_change", on=later,
                                         payload={"payment_method": "bank_transfer"}), later)
        services.request_execute(actor=world.staff["counter"], request=request, as_of=later)
        assert world.policy.versions.get(effective_to__isnull=True).payment_method == "bank_transfer"

    def test_loan_up_to_the_limit_then_surrender_less_the_loan(self, world):
        # 3 years completed on 31 Mar 2025: from 30/1,000 (end of year 3) to 40 (year 4); 26 Sep is day 179 of 365.
        value = services.cash_value(policy=world.policy, on=AS_OF)
        assert value == Decimal("17452.05")  # 500 × (30 + 10 × 179/365)
        maximum = Decimal("13961.64")  # 80 %
        with pytest.raises(ServicingRefused, match="13961.64"):
            create(world, kind="policy_loan", payload={"amount": "13961.65", **ACCOUNT})
        request = complete(world, create(world, kind="policy_loan", payload={"amount": str(maximum), **ACCOUNT}), AS_OF)
        assert not request.needs_approval and request.status == "complete"  # at most 50,000 goes unchecked
        services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
        loan = PolicyLoan.objects.get(policy=world.policy)
        assert loan.principal == maximum and loan.rate_percent == Decimal("5.00")
        quote = services.surrender_quote(policy=world.policy, on=date(2026, 9, 26))
        assert quote.figures["interest"] == "698.08"  # 365 days at 5 % of 13,961.64
        assert quote.amount == Decimal(quote.figures["cash_value"]) - maximum - Decimal("698.08")


    def test_an_automatic_premium_loan_reduces_the_surrender_value_and_the_loan_quote(self, world):
        from lifecrm.core.actors import SYSTEM
        from lifecrm.policies import services as policy_services

        before_surrender = services.surrender_quote(policy=world.policy, on=AS_OF)
        before_loan = services.loan_quote(policy=world.policy, on=AS_OF)
        policy_services.policy_loan_grant(actor=SYSTEM, policy_id=world.policy.pk, kind="apl",
                                          principal=Decimal("361.50"), rate_percent=Decimal("5"), taken_on=AS_OF,
                                          as_of=AS_OF, reference="apl:billing")
        assert services.surrender_quote(policy=world.policy, on=AS_OF).amount == \
            before_surrender.amount - Decimal("361.50")
        assert services.loan_quote(policy=world.policy, on=AS_OF).amount == before_loan.amount - Decimal("361.50")
        request = complete(world, create(world, kind="surrender", payload=ACCOUNT, policy=world.policy), AS_OF)
        if request.needs_approval:
            request = services.request_approve(actor=world.staff["branch"], request=request, on=AS_OF, as_of=AS_OF)
        request = services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
        assert Decimal(request.result["paid"]) == before_surrender.amount - Decimal("361.50")
        assert not PolicyLoan.objects.filter(policy=world.policy, settled_on__isnull=True).exists()
        assert PolicyEvent.objects.filter(policy=world.policy, kind="loans_settled").exists()

class TestCoolingOff:
    """Counted from the day after the owner's receipt of the policy (its recorded delivery, else its issue date); the
    customer's period, so a last day on a rest day moves to the next working day: the day of and after, per
    jurisdiction."""

    @pytest.mark.parametrize(("jurisdiction", "issue", "last_day", "refund"), [
        # CN 15 days: 16 Sep 2025 + 15 = Wed 1 Oct, National Day (1–8 Oct off) → Thu 9 Oct; RMB 10 kept.
        ("CN", date(2025, 9, 16), date(2025, 10, 9), Decimal("110.50")),
        # HK 21 days: 10 Sep + 21 = 1 Oct, a general holiday → Thu 2 Oct; a full refund.
        ("HK", date(2025, 9, 10), date(2025, 10, 2), Decimal("120.50")),
        # TW 10 days: 26 Sep + 10 = Mon 6 Oct, Mid-Autumn → Tue 7 Oct; a full refund.
        ("TW", date(2025, 9, 26), date(2025, 10, 7), Decimal("120.50")),
    ])
    def test_the_last_day_and_the_day_after(self, world, jurisdiction, issue, last_day, refund):
        from datetime import timedelta

        policy = policy_in(world, jurisdiction, issue_date=issue)
        request = create(world, kind="cooling_off_cancellation", payload=ACCOUNT, policy=policy, on=last_day)
        assert request.amount == refund and request.needs_approval
        services.request_cancel(actor=world.staff["counter"], request=request, reason="客户撤回", on=last_day,
                                as_of=last_day)
        with pytest.raises(ServicingRefused, match="cooling-off period ended"):
            create(world, kind="cooling_off_cancellation", payload=ACCOUNT, policy=policy,
                   on=last_day + timedelta(days=1))

    def test_counted_from_the_recorded_delivery(self, world):
        """Delivered 20 Oct 2025 (issued 16 Sep): 15 days from the delivery is Wed 4 Nov, a working day; the day
        after is refused. Counted from the issue date the period would have ended on 9 Oct."""
        from lifecrm.policies.services import DeliveryRefused, policy_delivery_record

        policy = policy_in(world, "CN", issue_date=date(2025, 9, 16))
        with pytest.raises(DeliveryRefused, match="between its issue date"):
            policy_delivery_record(actor=world.staff["counter"], policy_id=policy.pk, delivered_on=date(2025, 9, 15),
                                   as_of=date(2025, 10, 20))
        with pytest.raises(DeliveryRefused, match="between its issue date"):  # not after the business date
            policy_delivery_record(actor=world.staff["counter"], policy_id=policy.pk, delivered_on=date(2025, 10, 21),
                                   as_of=date(2025, 10, 20))
        policy = policy_delivery_record(actor=world.staff["counter"], policy_id=policy.pk,
                                        delivered_on=date(2025, 10, 20), as_of=date(2025, 10, 20))
        assert policy.events.filter(kind="delivered", effective_date=date(2025, 10, 20)).count() == 1
        with pytest.raises(DeliveryRefused, match="recorded already"):
            policy_delivery_record(actor=world.staff["counter"], policy_id=policy.pk, delivered_on=date(2025, 10, 21),
                                   as_of=date(2025, 10, 22))
        request = create(world, kind="cooling_off_cancellation", payload=ACCOUNT, policy=policy, on=date(2025, 11, 4))
        services.request_cancel(actor=world.staff["counter"], request=request, reason="客户撤回", on=date(2025, 11, 4),
                                as_of=date(2025, 11, 4))
        with pytest.raises(ServicingRefused, match="cooling-off period ended on 2025-11-04"):
            create(world, kind="cooling_off_cancellation", payload=ACCOUNT, policy=policy, on=date(2025, 11, 5))

    def test_cancellation_ends_the_policy(self, world):
        policy = policy_in(world, "CN", issue_date=date(2025, 9, 16))
        on = date(2025, 9, 30)
        request = complete(world, create(world, kind="cooling_off_cancellation", payload=ACCOUNT, policy=policy, on=on),
                           on)
        services.request_approve(actor=world.staff["branch"], request=request, on=on, as_of=on)
        request = services.request_execute(actor=world.staff["counter"], request=request, as_of=on)
        assert request.result["refund"] == "110.50"
        policy.refresh_from_db()
        assert policy.status == "cooling_off_cancelled"


class TestBeneficiaryChange:
    THIRDS = [{"name": n, "relation_to_insured": "child", "share": "1/3", "order": 1} for n in ("张一", "张二", "张三")]

    def test_one_third_each_exactly_after_a_checker(self, world):
        request = create(world, kind="beneficiary_change", payload={"beneficiaries": self.THIRDS})
        assert request.needs_approval  # a risky change: always checked
        # The owner is the insured: no separate consent of the insured on the checklist.
        assert "insured_consent" not in request.documents.values_list("code", flat=True)
        request = complete(world, request, AS_OF)
        services.request_approve(actor=world.staff["branch"], request=request, on=AS_OF, as_of=AS_OF)
        services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
        current = world.policy.versions.get(effective_to__isnull=True)
        from fractions import Fraction

        assert [(b.name, b.share) for b in current.beneficiaries.all()] == [
            ("张一", Fraction(1, 3)), ("张二", Fraction(1, 3)), ("张三", Fraction(1, 3))]
        assert [b.share_text for b in world.policy.versions.get(version_no=1).beneficiaries.all()] == ["100 %"]

    def test_the_insureds_consent_when_the_owner_is_someone_else(self, world):
        from tests.factories import make_customer, make_policy

        insured = make_customer(branch=world.org.team_a, name="张小明", birth_date=date(1981, 1, 1))
        policy = make_policy(owner=world.owner, insured=insured, agent=world.staff["agent"], branch=world.org.team_a,
                             product=world.policy.product, issue_date=world.policy.issue_date)
        payload = {"beneficiaries": [{"name": "张一", "relation_to_insured": "spouse", "share": "50"},
                                     {"name": "张二", "relation_to_insured": "child", "share": "30"},
                                     {"name": "张三", "relation_to_insured": "child", "share": "20 %"}]}
        request = create(world, kind="beneficiary_change", payload=payload, policy=policy)
        assert "insured_consent" in request.documents.values_list("code", flat=True)
        assert [b["share"] for b in request.payload["beneficiaries"]] == ["1/2", "3/10", "1/5"]

    @pytest.mark.parametrize(("shares", "message"), [
        (["50", "40"], "exactly the whole"), (["1/3", "1/3", "33.33"], "exactly the whole"),
        (["abc"], "percentage"), (["0"], "more than nothing"), (["150"], "more than the whole")])
    def test_shares_refused(self, world, shares, message):
        rows = [{"name": f"受益人{i}", "relation_to_insured": "child", "share": s} for i, s in enumerate(shares)]
        with pytest.raises(ServicingRefused, match=message):
            create(world, kind="beneficiary_change", payload={"beneficiaries": rows})
