"""Customer value on a hand-checked small book, tiers and stages recorded on the segment, thresholds previewed and
applied by head office, reruns, fixed queries per chunk, the weekly daily step and the command."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecrm.banking.models import BankFile
from lifecrm.billing.models import Allocation, Collection, DueItem, Payment
from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent, JobRun
from lifecrm.core.registries import daily_steps
from lifecrm.org.access import AccessDenied
from lifecrm.parties.models import CustomerSegment, Relationship
from lifecrm.policies.models import Coverage, Policy
from lifecrm.products import selectors as products
from lifecrm.value.jobs import run_customer_values
from lifecrm.value.models import AssumptionSet, CustomerValue, PolicyValue, TierThresholds
from lifecrm.value.services import customer_values_compute, tier_thresholds_apply, tier_thresholds_preview
from lifecrm.value.tests.words import words
from tests.factories import make_customer, make_mandate, make_org, make_policy, make_staff

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 29)  # a Sunday: the weekly value day
D = Decimal
BOOKED = datetime(2026, 1, 1, tzinfo=UTC)


def _value(policy, pvfp: str, as_of=AS_OF) -> None:
    """A stored policy value of the policy's base coverage (the projection is tested in test_policy_values)."""
    coverage = Coverage.objects.filter(policy=policy).order_by("pk").first()
    aset = AssumptionSet.objects.filter(product_id=coverage.product_id).order_by("-version").first()
    PolicyValue.objects.create(policy=policy, coverage=coverage, as_of=as_of, assumption_set=aset,
                               assumption_version=aset.version, currency="CNY", reserve=D("0"), pv_premiums=D("0"),
                               pv_claims=D("0"), pv_expenses=D("0"), pv_commissions=D("0"), pvfp=D(pvfp),
                               computed_at=BOOKED)


def _pay(policy, amount: str, received_on: date, *, kind="premium", instalment=None, reverses=None) -> Payment:
    n = Payment.objects.count() + 1
    item, _ = DueItem.objects.get_or_create(
        policy=policy, kind=kind, instalment=instalment or n,
        defaults=dict(due_date=received_on, amount=abs(D(amount)), currency="CNY", raised_on=received_on))
    payment = Payment.objects.create(receipt_no=f"R{n:09d}", natural_key=f"test-{n}", policy=policy, amount=D(amount),
                                     currency="CNY", method="cash", received_on=received_on, booked_at=BOOKED,
                                     reverses=reverses)
    Allocation.objects.create(payment=payment, due_item=item, amount=D(amount), booked_at=BOOKED)
    return payment


def _status(policy, status: str, since: date) -> None:
    Policy.objects.filter(pk=policy.pk).update(status=status, status_date=since)


@pytest.fixture
def book():
    """A (41, CN) owns and pays P1 (term 300,000 on A's life, PVFP 1,300) and pays P2 that spouse B owns
    (PVFP 700); B owns P3 (PVFP 2,000); A referred C, who owns P4 (PVFP 5,000); A is the parent of D (6).
    E never bought a policy; F (55) let her only policy lapse."""
    org = make_org()
    tl = products.product_by_code("CN-TL01")
    a = make_customer(branch=org.branch_a, birth_date=date(1985, 6, 10))
    b = make_customer(branch=org.branch_a, sex="F", birth_date=date(1987, 1, 2))
    c = make_customer(branch=org.branch_a, birth_date=date(1970, 3, 3))
    d = make_customer(branch=org.branch_a, birth_date=date(2020, 1, 1))
    e = make_customer(branch=org.branch_a, birth_date=date(1999, 9, 9))
    f = make_customer(branch=org.branch_a, sex="F", birth_date=date(1971, 5, 5))

    def policy(owner, issued, *, payer=None, insured=None, sum_assured="300000"):
        p = make_policy(owner=owner, insured=insured, agent=None, branch=org.branch_a, product=tl, issue_date=issued,
                        premium_mode="annual", term_years=10, premium_term_years=10, sum_assured=D(sum_assured),
                        modal_premium=D("1000"), annual_premium=D("1000"), as_of=AS_OF)
        if payer is not None:
            Policy.objects.filter(pk=p.pk).update(payer=payer)
        return p

    p1 = policy(a, date(2019, 3, 1))
    p2 = policy(b, date(2025, 2, 1), payer=a, insured=b, sum_assured="200000")
    p3 = policy(b, date(2018, 5, 5))
    p4 = policy(c, date(2016, 7, 7))
    p5 = policy(f, date(2015, 1, 1))
    _status(p5, "lapsed", date(2023, 4, 1))
    for p, pvfp in ((p1, "1300.00"), (p2, "700.00"), (p3, "2000.00"), (p4, "5000.00")):
        _value(p, pvfp)
    _value(p1, "9999.00", as_of=date(2026, 11, 22))  # another day's value: not read
    # A's premiums: P1 1,000 + 1,000, a third 1,000 reversed, one received after AS_OF, interest not premium;
    # P2 500. B's P3 800.
    _pay(p1, "1000.00", date(2025, 3, 1))
    _pay(p1, "1000.00", date(2026, 3, 1))
    wrong = _pay(p1, "1000.00", date(2026, 4, 1), instalment=90)
    _pay(p1, "-1000.00", date(2026, 4, 2), instalment=90, reverses=wrong)
    _pay(p1, "1000.00", date(2026, 11, 30))
    _pay(p1, "50.00", date(2026, 3, 1), kind="interest", instalment=1)
    _pay(p2, "500.00", date(2026, 2, 1))
    _pay(p3, "800.00", date(2026, 5, 5))
    for source, target, kind in ((a, b, "spouse"), (a, c, "referrer"), (a, d, "parent")):
        Relationship.objects.create(from_customer=source, to_customer=target, kind=kind)
    return {"org": org, "a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "p1": p1, "p2": p2, "p3": p3, "p4": p4}


def _run(as_of=AS_OF):
    ids = sorted(CustomerValue._meta.get_field("customer").related_model.objects.values_list("pk", flat=True))
    return customer_values_compute(as_of=as_of, first_id=ids[0], last_id=ids[-1])


def _row(customer, as_of=AS_OF) -> CustomerValue:
    return CustomerValue.objects.get(customer=customer, as_of=as_of)


def _components(row):
    return (row.current_value, row.premiums_paid, row.margin_earned, row.potential_value, row.network_value,
            row.total_value)


def test_the_components_of_a_hand_checked_small_book(book):
    assert _run() == 6
    a = _row(book["a"])
    current = D("1300.00") + D("700.00")  # P1 and P2 (A pays it), each once
    premiums = D("1000.00") + D("1000.00") + D("500.00")  # reversed, later and interest left out
    margin = premiums * D("0.03")  # 75.00
    potential = (D("500000") - D("300000")) * D("0.005")  # one child under 18, A's own death cover 300,000
    network = D("5000.00") * D("0.10") + D("2000.00") * D("0.05")  # C referred; B's P3 (P2 already A's)
    assert _components(a) == (current, premiums, margin, potential, network, current + margin + network)
    assert a.currency == "CNY" and a.jurisdiction == "CN"
    assert words(a.reasons["current"]) == [f"policy {book['p1'].number}: profit expected from now on (PVFP) 1,300.00",
                                    f"policy {book['p2'].number}: profit expected from now on (PVFP) 700.00"]
    assert words(a.reasons["historical"]) == ["premiums paid to date 2,500.00",
                                       "margin earned to date 75.00 = 3% of the premiums paid"]
    assert words(a.reasons["potential"])[0].startswith("protection gap: parent of 1 child(ren) under 18 with death cover "
                                                "300,000.00")
    assert words(a.reasons["network"]) == ["10% of the current value 5,000.00 of 1 referred customer(s) = 500.00",
                                           "5% of the current value 2,000.00 of 1 household member(s) = 100.00"]
    b = _row(book["b"])
    # B owns P2 and P3; her husband A's P1 is hers for 5 %; her annuity gap is years away (39)
    assert _components(b) == (D("2700.00"), D("1300.00"), D("39.00"), D("0.00"), D("65.00"), D("2804.00"))
    assert _components(_row(book["e"])) == (D("0.00"),) * 6
    f = _row(book["f"])
    assert (f.current_value, f.potential_value) == (D("0.00"), D("3000.00"))  # 55, no annuity
    assert words(f.reasons["current"]) == ["no policy in force"]


def test_tier_and_stage_are_recorded_on_the_segment_with_reasons(book):
    _run()
    segments = {s.customer_id: s for s in CustomerSegment.objects.filter(valid_to__isnull=True)}
    stages = {name: segments[book[name].pk].stage for name in "abcdef"}
    assert stages == {"a": "growing", "b": "growing", "c": "mature", "d": "prospect", "e": "prospect",
                      "f": "lapsed"}
    tiers = {name: segments[book[name].pk].tier for name in "abcdef"}
    assert tiers == dict.fromkeys("abdef", "standard") | {"c": "silver"}  # C's 5,000 reaches silver (v1)
    a = segments[book["a"].pk]
    assert words(a.reasons["tier"]) == ["value 2,675.00 below the silver threshold 5,000.00 (thresholds version 1)"]
    assert words(a.reasons["stage"]) == [f"policy {book['p2'].number} added 2025-02-01, less than 24 months ago"]
    assert a.set_by == "system:value.customer_values"


def test_a_rejected_debit_puts_the_payer_at_risk(book):
    item = DueItem.objects.filter(policy=book["p4"]).first() or DueItem.objects.create(
        policy=book["p4"], instalment=1, due_date=date(2026, 10, 1), amount=D("1000"), currency="CNY",
        raised_on=date(2026, 9, 1))
    sent = BankFile.objects.create(direction="out", format="pain.008", sha256="0" * 64, filename="LCDD.xml",
                                   as_of=date(2026, 10, 1), created_at=BOOKED, content=b"<Document/>")
    Collection.objects.create(due_item=item, mandate=make_mandate(book["p4"]), end_to_end_id="E2E1",
                              amount=item.amount, collection_date=item.due_date, export_file=sent, status="rejected",
                              reason_code="AM04", result_on=date(2026, 10, 2))
    _run()
    c = CustomerSegment.objects.get(customer=book["c"], valid_to__isnull=True)
    assert (c.stage, words(c.reasons["stage"])) == ("at_risk", ["1 direct debit(s) rejected in the last 90 days, the last "
                                                         "on 2026-10-02"])


def test_a_rerun_changes_nothing(book):
    _run()
    first = {row.customer_id: (_components(row), row.reasons) for row in CustomerValue.objects.all()}
    segments = list(CustomerSegment.objects.values_list("customer_id", "tier", "stage", "valid_from", "valid_to"))
    audits = AuditEvent.objects.count()
    _run()
    assert {row.customer_id: (_components(row), row.reasons) for row in CustomerValue.objects.all()} == first
    assert list(CustomerSegment.objects.values_list("customer_id", "tier", "stage", "valid_from", "valid_to")) == \
        segments
    assert AuditEvent.objects.count() == audits  # no change of tier or stage to audit


def test_queries_per_chunk_do_not_grow_with_the_chunk(book):
    def queries():
        CustomerValue.objects.all().delete()
        CustomerSegment.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            _run()
        return len(captured)

    few = queries()
    org = book["org"]
    for i in range(6):  # more customers, policies, payments and relations
        owner = make_customer(branch=org.branch_a, birth_date=date(1960 + i, 1, 1))
        p = make_policy(owner=owner, agent=None, branch=org.branch_a, product=products.product_by_code("CN-TL01"),
                        issue_date=date(2020, 1, 1), premium_mode="annual", term_years=10, premium_term_years=10,
                        modal_premium=D("1000"), annual_premium=D("1000"), sum_assured=D("300000"), as_of=AS_OF)
        _value(p, "100.00")
        _pay(p, "1000.00", date(2026, 1, 1))
        Relationship.objects.create(from_customer=owner, to_customer=book["e"], kind="referrer")
    assert queries() == few


def test_a_customer_placed_on_a_later_day_is_left_alone(book):
    _run(as_of=AS_OF)
    _run(as_of=date(2026, 11, 22))  # an earlier day: values stored, history not rewritten
    assert CustomerValue.objects.filter(as_of=date(2026, 11, 22)).count() == 6
    assert set(CustomerSegment.objects.values_list("valid_from", flat=True)) == {AS_OF}


# --- thresholds ---------------------------------------------------------------------------------------------------

def test_preview_says_what_would_move_and_apply_stores_a_new_audited_version(book):
    _run()
    hq = make_staff("hq", book["org"].hq)
    # totals: A 2,675, B 2,804, C 5,000 (silver at v1), D, E, F 0
    preview = tier_thresholds_preview(actor=hq, jurisdiction="CN", diamond="5000", gold="2800", silver="2000",
                                      as_of=AS_OF)
    assert (preview.value_day, preview.customers) == (AS_OF, 6)
    assert preview.moves == {("silver", "diamond"): 1, ("standard", "gold"): 1, ("standard", "silver"): 1}
    assert preview.before == {"diamond": 0, "gold": 0, "silver": 1, "standard": 5}
    assert preview.after == {"diamond": 1, "gold": 1, "silver": 1, "standard": 3}
    assert TierThresholds.objects.filter(jurisdiction="CN").count() == 1  # a preview writes nothing

    row, applied = tier_thresholds_apply(actor=hq, jurisdiction="CN", diamond="5000", gold="2800", silver="2000",
                                         as_of=AS_OF, note="campaign 2027")
    assert (row.version, row.diamond, row.gold, row.silver) == (2, D("5000"), D("2800"), D("2000"))
    assert applied.moves == preview.moves
    audit = AuditEvent.objects.get(object_type="value.tier_thresholds")
    assert audit.before["version"] == 1 and audit.after["moves"] == [
        "1 customer(s) from silver to diamond", "1 customer(s) from standard to gold",
        "1 customer(s) from standard to silver"]
    _run()  # the next run places the customers on the new thresholds
    tiers = dict(CustomerSegment.objects.filter(valid_to__isnull=True).values_list("customer_id", "tier"))
    assert (tiers[book["a"].pk], tiers[book["b"].pk], tiers[book["c"].pk]) == ("silver", "gold", "diamond")


@pytest.mark.parametrize("role", ["branch", "counter", "agent"])
def test_only_head_office_sets_thresholds(book, role):
    unit = book["org"].team_a if role == "agent" else book["org"].branch_a
    staff = make_staff(role, unit)
    with pytest.raises(AccessDenied):
        tier_thresholds_preview(actor=staff, jurisdiction="CN", diamond="5000", gold="2800", silver="2000",
                                as_of=AS_OF)
    with pytest.raises(AccessDenied):
        tier_thresholds_apply(actor=staff, jurisdiction="CN", diamond="5000", gold="2800", silver="2000", as_of=AS_OF)
    branch_hq = make_staff("branch", book["org"].hq)  # a branch role at HQ: not head office's service management
    with pytest.raises(AccessDenied):
        tier_thresholds_apply(actor=branch_hq, jurisdiction="CN", diamond="5000", gold="2800", silver="2000",
                              as_of=AS_OF)


@pytest.mark.parametrize(("diamond", "gold", "silver"), [("100", "100", "10"), ("100", "50", "0"), ("x", "2", "1"),
                                                         ("100", "50", "10.001")])
def test_thresholds_must_descend_above_zero(diamond, gold, silver):
    with pytest.raises(ValidationError):
        tier_thresholds_apply(actor=SYSTEM, jurisdiction="CN", diamond=diamond, gold=gold, silver=silver,
                              as_of=AS_OF)
    assert TierThresholds.objects.filter(jurisdiction="CN").count() == 1


def test_each_jurisdiction_has_default_thresholds_loaded_on_migrate():
    rows = {t.jurisdiction_id: (t.version, t.currency, t.silver) for t in TierThresholds.objects.all()}
    assert rows == {"CN": (1, "CNY", D("5000.00")), "HK": (1, "HKD", D("5500.00")), "TW": (1, "TWD", D("22500.00"))}


# --- the weekly step and the command ------------------------------------------------------------------------------

def test_the_daily_batch_values_customers_weekly_after_the_policies(book):
    names = daily_steps.names()
    assert names.index("billing.reconcile_ledger") < names.index("value.weekly_policy_values") < \
        names.index("value.weekly_customer_values")
    from lifecrm.core.jobs import run_step

    run_step("value.weekly_customer_values", as_of=date(2026, 11, 28), progress=False)  # a Saturday: nothing
    assert not CustomerValue.objects.exists()
    run = run_step("value.weekly_customer_values", as_of=AS_OF, progress=False)
    assert (run.status, CustomerValue.objects.filter(as_of=AS_OF).count()) == ("done", 6)


def test_the_command_values_policies_then_customers_and_resumes_as_a_no_op(book, capsys):
    PolicyValue.objects.all().delete()  # the command values the policies itself
    call_command("value", "customers", "--as-of", AS_OF.isoformat(), verbosity=0)
    out = capsys.readouterr().out
    assert "customer values at 2026-11-29 (done): 6 customers" in out
    a = _row(book["a"])
    assert a.current_value == sum(PolicyValue.objects.filter(policy__in=[book["p1"], book["p2"]], as_of=AS_OF)
                                  .values_list("pvfp", flat=True))
    runs = JobRun.objects.filter(step="value.customer_values").count()
    call_command("value", "customers", "--as-of", AS_OF.isoformat(), verbosity=0)
    assert JobRun.objects.filter(step="value.customer_values").count() == runs == 1


def test_run_customer_values_is_resumable(book, monkeypatch):
    from lifecrm.value import services

    real = services.segments_record
    calls = {"n": 0}

    def fail_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("killed")
        return real(**kwargs)

    monkeypatch.setattr(services, "segments_record", fail_once)
    with pytest.raises(RuntimeError):
        run_customer_values(as_of=AS_OF, progress=False)
    assert not CustomerValue.objects.exists()  # the chunk's values and segments commit together
    run = run_customer_values(as_of=AS_OF, progress=False)
    assert run.status == "done" and CustomerValue.objects.count() == 6


def test_on_the_other_days_the_customers_whose_policies_changed_are_valued_and_placed_again(book):
    from lifecrm.core.jobs import run_step
    from lifecrm.policies.services import policy_transition

    run_step("value.weekly_customer_values", as_of=AS_OF, progress=False)  # Sunday: the whole book
    assert run_step("value.changed_customer_values", as_of=date(2026, 12, 1), progress=False).chunk_count == 0
    wednesday = date(2026, 12, 2)
    policy_transition(actor=SYSTEM, policy_id=book["p4"].pk, to_status="grace",
                      effective_date=wednesday, as_of=wednesday, reason="premium unpaid")
    # C owns P4: valued and placed again on Wednesday, on Sunday's policy values; nobody else
    run = run_step("value.changed_customer_values", as_of=wednesday, progress=False)
    assert run.status == "done"
    rows = CustomerValue.objects.filter(as_of=wednesday)
    assert [(r.customer_id, r.whole_book, r.current_value) for r in rows] == [(book["c"].pk, False, D("5000.00"))]
    c = CustomerSegment.objects.get(customer=book["c"], valid_to__isnull=True)
    assert (c.stage, c.valid_from) == ("at_risk", wednesday)
    assert words(c.reasons["stage"]) == [f"policy {book['p4'].number} in grace period since 2026-12-02"]
    # the dashboards still read the whole book's Sunday; the customer's own value their latest row
    from lifecrm.value.selectors import customer_value, latest_value_day

    assert latest_value_day(as_of=wednesday) == AS_OF
    assert customer_value(customer_id=book["c"].pk, as_of=wednesday).as_of == wednesday
    # a rerun of the day changes nothing; the next Sunday values everyone again
    assert run_step("value.changed_customer_values", as_of=wednesday, progress=False).pk == run.pk
    assert run_step("value.changed_customer_values", as_of=date(2026, 12, 6), progress=False).chunk_count == 0


def test_a_debit_rejected_today_puts_its_payer_at_risk_today(book):
    from lifecrm.core.jobs import run_step

    run_step("value.weekly_customer_values", as_of=AS_OF, progress=False)
    thursday = date(2026, 12, 3)
    item = DueItem.objects.create(policy=book["p2"], instalment=99, due_date=date(2026, 12, 1), amount=D("1000"),
                                  currency="CNY", raised_on=date(2026, 11, 1))
    sent = BankFile.objects.create(direction="out", format="pain.008", sha256="1" * 64, filename="LCDD2.xml",
                                   as_of=date(2026, 12, 1), created_at=BOOKED, content=b"<Document/>")
    Collection.objects.create(due_item=item, mandate=make_mandate(book["p2"]), end_to_end_id="E2E2",
                              amount=item.amount, collection_date=item.due_date, export_file=sent, status="rejected",
                              reason_code="AM04", result_on=thursday)
    run_step("value.changed_customer_values", as_of=thursday, progress=False)
    # P2: owned by B, paid by A; both valued again, A (the payer) at risk
    assert set(CustomerValue.objects.filter(as_of=thursday).values_list("customer_id", flat=True)) == {
        book["a"].pk, book["b"].pk}
    a = CustomerSegment.objects.get(customer=book["a"], valid_to__isnull=True)
    assert a.stage == "at_risk" and a.valid_from == thursday
