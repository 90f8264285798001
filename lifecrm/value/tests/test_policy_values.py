"""The value of lifecrm's own policies: assumption sets from the basis, a hand-checked small book, reruns."""
from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecrm.core.models import JobRun
from lifecrm.core.rules import add_months
from lifecrm.policies.models import Coverage, Policy
from lifecrm.products import selectors as products
from lifecrm.value import rules
from lifecrm.value.assumptions import derive_all, reserves
from lifecrm.value.jobs import run_policy_values, sets_key
from lifecrm.value.models import AssumptionRate, AssumptionSet, PolicyValue
from lifecrm.value.reference_data import load_assumption_sets
from lifecrm.value.services import MissingAssumptionSet, policy_values_compute
from tests.factories import make_customer, make_org, make_policy, make_product

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 25)


# --- the assumption sets -----------------------------------------------------------------------------------------

def test_every_catalogue_product_has_a_set_from_its_basis():
    sets = {s.product.code: s for s in AssumptionSet.objects.select_related("product")}
    assert set(sets) == set(derive_all())
    tl = sets["CN-TL01"]
    assert (tl.version, tl.acquisition_expense, tl.maintenance_expense) == (1, Decimal("0.6"), Decimal("0.1"))
    rates = {(r.table, r.sex, r.index): r.rate for r in AssumptionRate.objects.filter(assumption_set=tl)}
    # docs/actuarial.md: q40 of men 0.001686; the discount curve is the pricing rate; commission is the
    # acquisition loading in the first policy year only.
    assert rates[("mortality", "M", 40)] == pytest.approx(0.001686, abs=5e-7)
    assert rates[("discount", "", 0)] == rates[("discount", "", 60)] == 0.025
    assert (rates[("commission", "", 0)], rates[("commission", "", 1)]) == (0.5, 0.0)
    assert rates[("lapse", "", 0)] > rates[("lapse", "", 3)] > 0
    hk = {r.index: r.rate for r in AssumptionRate.objects.filter(assumption_set__product__code="HK-TL01",
                                                               table="mortality", sex="M")}
    assert hk[40] == pytest.approx(0.85 * rates[("mortality", "M", 40)], rel=1e-12)  # HK level 85 %


def test_sets_are_versioned_and_an_unchanged_basis_loads_nothing():
    assert load_assumption_sets().created == []
    derived = derive_all()
    tl = derived["CN-TL01"]
    changed = type(tl)(tl.code, tl.acquisition_expense, 0.2, tl.expense_inflation, tl.pension_from_age, tl.rates)
    result = load_assumption_sets(derived={"CN-TL01": changed})
    assert result.created == ["CN-TL01 v2"]
    versions = list(AssumptionSet.objects.filter(product__code="CN-TL01").values_list("version",
                                                                                      "maintenance_expense"))
    assert sorted(versions) == [(1, Decimal("0.1000")), (2, Decimal("0.2000"))]


# --- a hand-checked small book -----------------------------------------------------------------------------------

def _set_rates(code: str) -> tuple[AssumptionSet, dict]:
    aset = AssumptionSet.objects.filter(product__code=code).order_by("-version").first()
    table: dict = {}
    for r in AssumptionRate.objects.filter(assumption_set=aset):
        table.setdefault((r.table, r.sex), {})[r.index] = r.rate
    return aset, table


def cash_values(code, sex, age, term, premium_term) -> list[float]:
    """The products' cash values per 1,000 at the end of policy years 0 (none), 1, 2, … to the term's end."""
    years = term or 105 - age
    return [0.0] + [float(products.cash_value_rate(product=products.product_by_code(code), sex=sex, issue_age=age,
                                                   term=term, premium_term=premium_term, policy_year=year))
                    for year in range(1, years + 1)]


def expected_values(*, code, sex, age, term_mth, premium_mth, every, duration, sum_assured, annual, modal,
                    cv, reserve, death=0.0, maturity=0.0, diagnosis=0.0, morbidity=0.0, pension=0.0, refund=False):
    """One policy's present values, month by month in plain Python, from the stored rates and the cash values
    `cv` per 1,000 by completed policy years (paid on a lapse); PVFP releases the `reserve` held now."""
    aset, r = _set_rates(code)
    mort, lapse, comm, disc = r[("mortality", sex)], r[("lapse", "")], r[("commission", "")], r[("discount", "")]
    incid, morb = r.get(("incidence", sex), {}), r.get(("morbidity", ""), {})
    acq, maint = float(aset.acquisition_expense) * sum_assured / 1000, float(aset.maintenance_expense) * sum_assured / 1000
    alive = 1.0 if duration > 0 else 0.0
    pv = {"pv_premiums": 0.0, "pv_claims": 0.0, "pv_expenses": 0.0, "pv_commissions": 0.0}
    for t in range(term_mth - duration):
        month = duration + t
        year = month // 12
        new = 1.0 if month == 0 else 0.0
        alive += new
        v = (1 + disc[t // 12]) ** (-t / 12)
        q = 1 - (1 - mort[age + year]) ** (1 / 12)
        i = 1 - (1 - incid.get(age + year, 0.0)) ** (1 / 12)
        w = 1 - (1 - lapse[min(year, max(lapse))]) ** (1 / 12)
        deaths = alive * q
        diagnosed = (alive - deaths) * i
        if month < premium_mth and month % every == 0:
            pv["pv_premiums"] += modal * alive * v
            pv["pv_commissions"] += comm[year] * modal * alive * v
        lapses = (alive - deaths - diagnosed) * w
        pv["pv_claims"] += (death * deaths + diagnosis * diagnosed + lapses * cv[year] / 1000) * sum_assured * v
        pv["pv_claims"] += morbidity * morb.get(age + year, 0.0) / 12 * sum_assured * alive * v
        if pension and month % 12 == 0 and age + year >= aset.pension_from_age:
            pv["pv_claims"] += pension * sum_assured * alive * v
        if refund and age + year < aset.pension_from_age:  # the gross premiums paid, without interest
            pv["pv_claims"] += annual * min(year + 1, premium_mth // 12) * deaths * v
        pv["pv_expenses"] += (acq * new + maint / 12 * alive) * v
        alive -= deaths + diagnosed + lapses
    n = term_mth - duration
    pv["pv_claims"] += maturity * sum_assured * alive * (1 + disc[n // 12]) ** (-n / 12)
    pv["reserve"] = reserve
    pv["pvfp"] = reserve + pv["pv_premiums"] - pv["pv_claims"] - pv["pv_expenses"] - pv["pv_commissions"]
    return pv


def term_reserve(code, sex, age, n, t_months, sum_assured) -> float:
    """The net premium reserve of a term assurance after `t_months`, by plain loops on the stored mortality and
    the discount rate: ₜV = 1000·A¹ − P·ä, P = 1000·A¹ₓ / äₓ, linear between policy-year ends."""
    _, r = _set_rates(code)
    q, v = r[("mortality", sex)], 1 / (1 + r[("discount", "")][0])

    def assurance_and_annuity(x, years):
        alive, a, annuity = 1.0, 0.0, 0.0
        for k in range(years):
            annuity += v ** k * alive
            a += v ** (k + 1) * alive * q[x + k]
            alive *= 1 - q[x + k]
        return a, annuity

    a0, ann0 = assurance_and_annuity(age, n)
    net = 1000 * a0 / ann0
    ends = []
    for t in range(n + 1):
        a, annuity = assurance_and_annuity(age + t, n - t)
        ends.append(1000 * a - net * annuity)
    year, month = divmod(t_months, 12)
    return (ends[year] + (ends[year + 1] - ends[year]) * month / 12) * sum_assured / 1000


def basis_reserve(code, sex, age, term, premium_term, t_months, sum_assured) -> float:
    """The basis's reserve (products.actuarial, checked by its own tests) after `t_months`, linear in the year."""
    first, grid = reserves(code, sex, term, premium_term)
    year, month = divmod(t_months, 12)
    here, after = grid[age - first, year], grid[age - first, year + 1]
    return float((here + (after - here) * month / 12) * sum_assured / 1000)


@pytest.fixture
def book():
    org = make_org()
    man = make_customer(branch=org.branch_a, sex="M", birth_date=date(1985, 6, 10))
    woman = make_customer(branch=org.branch_a, sex="F", birth_date=date(1990, 2, 28))
    tl, wl, ci = (products.product_by_code(code) for code in ("CN-TL01", "CN-WL01", "CN-CI01"))
    # A man's 10-year term (annual premiums) with a 10-year critical illness rider, issued at 38.
    tl_annual = products.annual_premium(product=tl, sex="M", issue_age=38, term=10, premium_term=10,
                                        sum_assured=Decimal("300000"))
    ci_annual = products.annual_premium(product=ci, sex="M", issue_age=38, term=10, premium_term=10,
                                        sum_assured=Decimal("100000"))
    term = make_policy(owner=man, agent=None, branch=org.branch_a, product=tl, issue_date=date(2024, 1, 15),
                       premium_mode="annual", term_years=10, premium_term_years=10, sum_assured=Decimal("300000"),
                       modal_premium=tl_annual + ci_annual, annual_premium=tl_annual + ci_annual, as_of=AS_OF)
    Coverage.objects.filter(policy=term).update(annual_premium=tl_annual)
    rider = Coverage.objects.create(policy=term, product=ci, is_base=False, sum_assured=Decimal("100000"),
                                    annual_premium=ci_annual, start_date=date(2024, 1, 15),
                                    end_date=date(2034, 1, 15))
    # A woman's whole life paid monthly for 20 years, issued at 35 on the last day of a month.
    wl_annual = products.annual_premium(product=wl, sex="F", issue_age=35, term=0, premium_term=20,
                                        sum_assured=Decimal("200000"))
    wl_modal = products.modal_premium(wl_annual, products.mode_factor(product=wl, mode="monthly"))
    whole = make_policy(owner=woman, agent=None, branch=org.branch_a, product=wl, issue_date=date(2025, 8, 31),
                        premium_mode="monthly", term_years=None, premium_term_years=20,
                        sum_assured=Decimal("200000"), modal_premium=wl_modal, annual_premium=wl_modal * 12,
                        as_of=AS_OF)
    Coverage.objects.filter(policy=whole).update(annual_premium=wl_annual)
    return {"term": term, "rider": rider, "whole": whole, "tl_annual": tl_annual, "ci_annual": ci_annual,
            "wl_annual": wl_annual, "wl_modal": wl_modal}


def _stored(policy, as_of=AS_OF) -> dict[int, PolicyValue]:
    return {v.coverage_id: v for v in PolicyValue.objects.filter(policy=policy, as_of=as_of)}


def _check(stored: PolicyValue, expected: dict) -> None:
    for name, value in expected.items():
        # Stored to the cent (half-up) from the same cash flows summed in another order; the PVFP is the sum of
        # five such amounts.
        tolerance = Decimal("0.03") if name == "pvfp" else Decimal("0.0051")
        assert abs(getattr(stored, name) - Decimal(repr(value))) <= tolerance, (name, value)


def test_a_small_book_equals_the_hand_computation(book):
    run = run_policy_values(as_of=AS_OF, progress=False)
    assert run.status == JobRun.Status.DONE
    # Model points: 2024-01-15 to 2026-11-25 is 34 whole months, the projection starts at the 35th monthiversary
    # (2026-12-15); 2025-08-31 to 2026-11-25: 14 whole months (30 Nov 2026 is the 15th monthiversary).
    assert rules.duration_mth(date(2024, 1, 15), AS_OF) == 35
    assert rules.duration_mth(date(2025, 8, 31), AS_OF) == 15
    assert add_months(date(2025, 8, 31), 15) == date(2026, 11, 30)
    term = _stored(book["term"])
    assert len(term) == 2
    base = next(v for v in term.values() if v.coverage_id != book["rider"].pk)
    assert (base.as_of, base.currency, base.assumption_version) == (AS_OF, "CNY", 1)
    assert base.assumption_set.product.code == "CN-TL01"
    _check(base, expected_values(code="CN-TL01", sex="M", age=38, term_mth=120, premium_mth=120, every=12,
                                 duration=35, sum_assured=300000.0, annual=float(book["tl_annual"]),
                                 modal=float(book["tl_annual"]), death=1.0,
                                 cv=cash_values("CN-TL01", "M", 38, 10, 10),
                                 reserve=term_reserve("CN-TL01", "M", 38, 10, 35, 300000.0)))
    assert base.reserve == Decimal(repr(basis_reserve("CN-TL01", "M", 38, 10, 10, 35, 300000.0))).quantize(
        Decimal("0.01"))
    _check(term[book["rider"].pk], expected_values(
        code="CN-CI01", sex="M", age=38, term_mth=120, premium_mth=120, every=12, duration=35,
        sum_assured=100000.0, annual=float(book["ci_annual"]), modal=float(book["ci_annual"]), diagnosis=1.0,
        cv=cash_values("CN-CI01", "M", 38, 10, 10),
        reserve=basis_reserve("CN-CI01", "M", 38, 10, 10, 35, 100000.0)))
    (whole,) = _stored(book["whole"]).values()
    expected = expected_values(code="CN-WL01", sex="F", age=35, term_mth=12 * 70, premium_mth=240, every=1,
                               duration=15, sum_assured=200000.0, annual=float(book["wl_annual"]),
                               modal=float(book["wl_modal"]), death=1.0, maturity=1.0,
                               cv=cash_values("CN-WL01", "F", 35, 0, 20),
                               reserve=basis_reserve("CN-WL01", "F", 35, 0, 20, 15, 200000.0))
    _check(whole, expected)
    # Both are past their first policy year: no commission left to pay.
    assert base.pv_commissions == whole.pv_commissions == 0
    assert base.pvfp == base.reserve + base.pv_premiums - base.pv_claims - base.pv_expenses - base.pv_commissions
    assert whole.reserve > 0 and base.reserve > 0
    assert not math.isnan(float(whole.pvfp))


def test_an_annuity_and_a_hospital_rider_equal_the_hand_computation(book):
    org = make_org()
    man = make_customer(branch=org.branch_a, sex="M", birth_date=date(1979, 9, 1))
    an, hc = products.product_by_code("CN-AN01"), products.product_by_code("CN-HC01")
    # A deferred pension of 20,000 a year from 60, ten annual premiums from age 40; in its 7th policy year.
    an_annual = products.annual_premium(product=an, sex="M", issue_age=40, term=0, premium_term=10,
                                        sum_assured=Decimal("20000"))
    annuity = make_policy(owner=man, agent=None, branch=org.branch_a, product=an, issue_date=date(2020, 3, 1),
                          premium_mode="annual", term_years=None, premium_term_years=10, sum_assured=Decimal("20000"),
                          modal_premium=an_annual, annual_premium=an_annual, as_of=AS_OF)
    Coverage.objects.filter(policy=annuity).update(annual_premium=an_annual)
    # A hospital cash rider (100 a day: 18,000) on the man's term policy, renewable to 65.
    hc_annual = products.annual_premium(product=hc, sex="M", issue_age=38, term=1, premium_term=1,
                                        sum_assured=Decimal("18000"))
    hospital = Coverage.objects.create(policy=book["term"], product=hc, is_base=False, sum_assured=Decimal("18000"),
                                       annual_premium=hc_annual, start_date=date(2024, 1, 15),
                                       end_date=date(2034, 1, 15))
    run_policy_values(as_of=AS_OF, progress=False)
    (value,) = _stored(annuity).values()
    _check(value, expected_values(code="CN-AN01", sex="M", age=40, term_mth=12 * 65, premium_mth=120, every=12,
                                  duration=rules.duration_mth(date(2020, 3, 1), AS_OF), sum_assured=20000.0,
                                  annual=float(an_annual), modal=float(an_annual), pension=1.0, refund=True,
                                  cv=cash_values("CN-AN01", "M", 40, 0, 10),
                                  reserve=basis_reserve("CN-AN01", "M", 40, 0, 10,
                                                        rules.duration_mth(date(2020, 3, 1), AS_OF), 20000.0)))
    assert value.pv_claims > value.pv_premiums  # the pension is mostly paid for by the premiums already in
    _check(_stored(book["term"])[hospital.pk], expected_values(
        code="CN-HC01", sex="M", age=38, term_mth=120, premium_mth=120, every=12, duration=35, sum_assured=18000.0,
        annual=float(hc_annual), modal=float(hc_annual), morbidity=1.0, cv=[0.0] * 11, reserve=0.0))


def test_new_business_pays_its_acquisition_expense_and_first_year_commission(book):
    issued = date(2024, 1, 15)
    policy_values_compute(as_of=issued, first_id=book["term"].pk, last_id=book["term"].pk)
    values = _stored(book["term"], issued)
    base = next(v for v in values.values() if v.coverage_id != book["rider"].pk)
    expected = expected_values(code="CN-TL01", sex="M", age=38, term_mth=120, premium_mth=120, every=12,
                               duration=0, sum_assured=300000.0, annual=float(book["tl_annual"]),
                               modal=float(book["tl_annual"]), death=1.0,
                               cv=cash_values("CN-TL01", "M", 38, 10, 10), reserve=0.0)
    _check(base, expected)
    # Commission: half the first premium (the acquisition loading), paid at issue, undiscounted.
    assert base.pv_commissions == (book["tl_annual"] / 2).quantize(Decimal("0.01"))
    assert base.pv_expenses > Decimal("0.6") * 300  # the issue expense, 0.60 per 1,000


def test_rerun_is_idempotent(book):
    run_policy_values(as_of=AS_OF, progress=False)
    first = {v.pk: (v.coverage_id, v.pvfp, v.computed_at) for v in PolicyValue.objects.all()}
    assert len(first) == 3
    again = run_policy_values(as_of=AS_OF, progress=False)  # a finished run: a no-op
    assert again.status == JobRun.Status.DONE
    assert JobRun.objects.filter(step="value.policy_values", as_of=AS_OF).count() == 1
    ids = sorted(p.pk for p in (book["term"], book["whole"]))
    assert policy_values_compute(as_of=AS_OF, first_id=ids[0], last_id=ids[-1]) == 3  # a chunk done again
    assert {v.pk: (v.coverage_id, v.pvfp, v.computed_at) for v in PolicyValue.objects.all()} == first
    # Another date is another valuation.
    run_policy_values(as_of=date(2026, 12, 25), progress=False)
    assert PolicyValue.objects.filter(as_of=date(2026, 12, 25)).count() == 3


def test_a_new_set_version_values_the_date_again(book):
    run_policy_values(as_of=AS_OF, progress=False)
    key = sets_key()
    derived = derive_all()
    tl = derived["CN-TL01"]
    load_assumption_sets(derived={"CN-TL01": type(tl)(tl.code, 0.9, tl.maintenance_expense, tl.expense_inflation,
                                                        tl.pension_from_age, tl.rates)})
    assert sets_key() != key
    run_policy_values(as_of=AS_OF, progress=False)
    versions = sorted(PolicyValue.objects.filter(policy=book["term"], assumption_set__product__code="CN-TL01")
                      .values_list("assumption_version", flat=True))
    assert versions == [1, 2]  # both kept, each with its version


def test_a_product_without_an_assumption_set_is_refused_by_name(book):
    org = make_org()
    owner = make_customer(branch=org.branch_a)
    odd = make_policy(owner=owner, agent=None, branch=org.branch_a, product=make_product("NOSET01"),
                      as_of=AS_OF)
    with pytest.raises(MissingAssumptionSet, match=rf"policy {odd.number}, coverage \d+: product NOSET01 has no "
                                                   r"assumption set"):
        run_policy_values(as_of=AS_OF, progress=False)
    run = JobRun.objects.get(step="value.policy_values", as_of=AS_OF)
    assert run.status == JobRun.Status.FAILED and "NOSET01" in run.error
    assert not PolicyValue.objects.exists()  # the chunk is one transaction: nothing half-written
    with pytest.raises(CommandError, match="product NOSET01 has no assumption set"):
        call_command("value", "policies", "--as-of", "2026-11-25", verbosity=0)


def test_the_command(book, capsys):
    with pytest.raises(CommandError, match="--as-of must be a date"):
        call_command("value", "policies", "--as-of", "25/11/2026")
    call_command("value", "policies", "--as-of", "2026-11-25", verbosity=0)
    out = capsys.readouterr().out
    assert "policy values at 2026-11-25 (done): 3 coverages" in out and "pvfp" in out
    assert PolicyValue.objects.count() == 3


def test_queries_per_chunk_are_fixed(book):
    org = make_org()
    more = [make_policy(owner=make_customer(branch=org.branch_a, birth_date=date(1970 + i, 3, 1)), agent=None,
                        branch=org.branch_a, product=products.product_by_code("CN-TL01"), term_years=20,
                        premium_term_years=20, as_of=AS_OF) for i in range(4)]
    ids = sorted(p.pk for p in [book["term"], book["whole"], *more])

    def count(first, last) -> int:
        with CaptureQueriesContext(connection) as queries:
            written = policy_values_compute(as_of=AS_OF, first_id=first, last_id=last)
        assert written > 0
        return len(queries)

    one = count(ids[0], ids[0])
    assert one == count(ids[1], ids[-1])  # one policy with a rider, or five policies of two products
    # Versions, coverages, the current set ids, their rates and fields, mode factors, cash values, the insert; the
    # chunk's savepoint and its release.
    assert one == 10


def test_the_admin_shows_sets_and_values_read_only(book, admin_client):
    from django.urls import reverse

    run_policy_values(as_of=AS_OF, progress=False)
    aset = AssumptionSet.objects.get(product__code="CN-TL01")
    for path in (reverse("admin:value_assumptionset_changelist"), reverse("admin:value_policyvalue_changelist"),
                 reverse("admin:value_assumptionset_change", args=[aset.pk])):
        response = admin_client.get(path)
        assert response.status_code == 200, path
    assert book["term"].number.encode() in admin_client.get(reverse("admin:value_policyvalue_changelist")).content
    assert admin_client.post(reverse("admin:value_assumptionset_delete", args=[aset.pk])).status_code == 403


def test_a_failed_run_resumes_where_it_stopped(book, settings):
    settings.LIFECRM_JOB_CHUNK_SIZE = 1  # a chunk per policy
    org = make_org()
    odd = make_policy(owner=make_customer(branch=org.branch_a), agent=None, branch=org.branch_a,
                      product=make_product("NOSET02"), as_of=AS_OF)  # the last id: the last chunk
    with pytest.raises(MissingAssumptionSet):
        run_policy_values(as_of=AS_OF, progress=False)
    done = {v.pk: v.computed_at for v in PolicyValue.objects.all()}
    assert len(done) == 3  # the two chunks before it are done and kept
    Policy.objects.filter(pk=odd.pk).update(status="surrendered")  # no longer in force: nothing to value
    run = run_policy_values(as_of=AS_OF, progress=False)
    assert run.status == JobRun.Status.DONE and run.chunk_count == 3
    assert {v.pk: v.computed_at for v in PolicyValue.objects.all()} == done  # the done chunks were not redone
