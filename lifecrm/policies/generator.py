"""Book generator steps of the policies app: contracts priced from the catalogue and their simulated history.

The history is driven by stated drivers, so that analytics downstream (persistency, lapse risk,
customer value) find real signal in a generated book. A policy stops being paid in a policy year
with probability

    BASE_LAPSE_BY_POLICY_YEAR[year] × LAPSE_BY_PAYMENT_METHOD[method] × age factor × burden factor

where the age factor interpolates LAPSE_BY_OWNER_AGE at the owner's age at issue and the burden
factor is (annual premium / payer's household income ÷ REFERENCE_BURDEN) ** BURDEN_ELASTICITY,
clipped to BURDEN_FACTOR_RANGE. Lapses therefore concentrate in policy years 1–3, cash payers
lapse about four times as often as auto-debit payers, young owners and heavy premiums lapse more.
A stopped policy goes through grace (the jurisdiction's grace period, a customer deadline) to
suspension, then is reinstated (REINSTATEMENT_SHARE), surrendered (cash-value products) or lapses
when the reinstatement window ends. Policies paid up after their premium term, matured ones on
their maturity date, deaths of insured persons (MORTALITY_*), cooling-off cancellations and late
payments inside the grace period complete the picture. Every transition is a PolicyEvent, each
allowed by `lifecrm.policies.rules.TRANSITIONS`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lifecrm.core.generator import (
    NO_DATE,
    GeneratorContext,
    GeneratorError,
    WorkingDays,
    add_months,
    age_on,
    choice_rows,
    choice_weighted,
    date_of,
    generator_step,
    iso_dates,
    name_pool,
    uniform_int,
    whole_months_between,
)
from lifecrm.org.generator import OrgBook, draw_agents
from lifecrm.parties.generator import PartiesChunk, rebase_since, record_deaths
from lifecrm.policies.rules import Status

# --- the portfolio
POLICIES_PER_PERSON = (0.52, 0.28, 0.14, 0.06)  # P(1, 2, 3, 4) policies insuring an adult
POLICIES_PER_CHILD = (0.72, 0.23, 0.05, 0.0)
# Relative weight of each kind of base plan (only products of the jurisdiction whose issue ages
# and rate tables cover the insured are drawn); riders attach with these probabilities.
KIND_WEIGHTS = {"term": 30, "whole_life": 28, "endowment": 22, "annuity": 12}
RIDER_ATTACH = {"ci_rider": 0.30, "hospital_rider": 0.20}
CASH_VALUE_KINDS = ("whole_life", "endowment", "annuity")
# Sum assured as a multiple of the payer's household income (lognormal around it).
SUM_ASSURED_MULTIPLE = {"term": 8.0, "whole_life": 3.0, "endowment": 1.5, "annuity": 0.12}
SUM_ASSURED_SIGMA = 0.5
HOSPITAL_DAILY_CASH = (50, 100, 150, 200, 300, 500)  # sum assured = 180 days of it
MODES = ("annual", "semiannual", "quarterly", "monthly")
MODE_MONTHS = np.array([12, 6, 3, 1])
MODE_WEIGHTS = (50, 8, 12, 30)
METHODS = ("auto_debit", "bank_transfer", "cash", "card")
METHOD_WEIGHTS = (58, 14, 16, 12)
MONTHLY_METHOD_WEIGHTS = (80, 5, 0, 15)
CHANNELS = ("agency", "bancassurance", "telemarketing", "online", "group")
CHANNEL_WEIGHTS = (72, 14, 5, 5, 4)
APL_OPT_IN = 0.30  # share of cash-value policies whose owner opted into the automatic premium loan
SAME_AGENT = 0.90  # the policy's agent is the owner's servicing agent, else another agent of the branch
NO_NAMED_BENEFICIARY = 0.10  # statutory heirs: no beneficiary rows
SECOND_ORDER_BENEFICIARY = 0.12

# --- drivers of the simulated history
BASE_LAPSE_BY_POLICY_YEAR = (0.05, 0.11, 0.08, 0.05, 0.04, 0.03, 0.025)  # years 1..7, then the last
LAPSE_BY_PAYMENT_METHOD = {"auto_debit": 0.45, "bank_transfer": 1.0, "cash": 1.9, "card": 0.9}
LAPSE_BY_OWNER_AGE = ((18, 25, 35, 50, 65), (1.5, 1.3, 1.0, 0.85, 0.8))
REFERENCE_BURDEN = 0.06  # annual premium / household income at which the burden factor is 1
BURDEN_ELASTICITY = 0.6
BURDEN_FACTOR_RANGE = (0.5, 3.0)
MAX_YEARLY_LAPSE = 0.9
SURRENDER_INSTEAD_OF_LAPSE = 0.45  # cash-value policies stopping after two years surrender directly
REINSTATEMENT_SHARE = 0.20
SURRENDER_WHILE_SUSPENDED = 0.15
LATE_PAYMENT_EPISODE = {"auto_debit": 0.05, "bank_transfer": 0.20, "cash": 0.35, "card": 0.10}
LATE_AT_AS_OF = {"auto_debit": 0.03, "bank_transfer": 0.15, "cash": 0.25, "card": 0.08}
COOLING_OFF_CANCELLED = 0.004
MORTALITY_AT_30 = 0.0005  # yearly death probability at 30, growing MORTALITY_SLOPE a year of age
MORTALITY_SLOPE = 0.085

STATUS_CODES = tuple(Status)
_S = {s: i for i, s in enumerate(STATUS_CODES)}
TERMINAL_CODES = np.array([s in (Status.SURRENDERED, Status.LAPSED, Status.MATURED, Status.TERMINATED,
                                 Status.COOLING_OFF_CANCELLED) for s in STATUS_CODES])
BIG = np.iinfo(np.int64).max // 4


@dataclass
class Catalogue:
    """The jurisdiction's products and rate tables as dense arrays (rates and factors × 10,000, exact)."""

    product_ids: np.ndarray
    codes: list[str]
    kind: np.ndarray
    is_rider: np.ndarray
    currency: np.ndarray
    min_age: np.ndarray
    max_age: np.ndarray
    min_sa: np.ndarray
    max_sa: np.ndarray
    has_cash_value: np.ndarray
    combo_term: np.ndarray  # (products × combos), -1 where none
    combo_premium_term: np.ndarray
    rate_e4: np.ndarray  # (products, 2 sexes, ages 0..120, combos) int64, -1 where no rate
    factor_e4: np.ndarray  # (products, 4 modes) int64, -1 where the mode is not offered

    @property
    def available(self) -> np.ndarray:
        return (self.rate_e4 >= 0).any(axis=3)


@generator_step("policies.catalogue", writes=[])
def load_catalogue(ctx: GeneratorContext) -> None:
    """The products on sale in the jurisdiction, with their premium rates and mode factors."""
    from lifecrm.core.selectors import jurisdiction_rule
    from lifecrm.products.models import PremiumModeFactor, PremiumRate, Product

    products = list(Product.objects.filter(jurisdiction_id=ctx.jurisdiction, is_active=True).order_by("code"))
    if not any(not p.is_rider for p in products):
        raise GeneratorError(
            f"no products on sale for {ctx.jurisdiction}: load the catalogue first (`lifecrm load-products`)"
        )
    index = {p.pk: i for i, p in enumerate(products)}
    combos: list[list[tuple[int, int]]] = [[] for _ in products]
    rows = list(PremiumRate.objects.filter(product_id__in=index).values_list(
        "product_id", "sex", "issue_age", "term", "premium_term", "rate").order_by(
        "product_id", "term", "premium_term", "sex", "issue_age"))
    for product_id, _sex, _age, term, premium_term, _rate in rows:
        combo = (term, premium_term)
        if combo not in combos[index[product_id]]:
            combos[index[product_id]].append(combo)
    width = max(1, max(len(c) for c in combos))
    combo_term = np.full((len(products), width), -1)
    combo_premium_term = np.full((len(products), width), -1)
    for i, product_combos in enumerate(combos):
        for j, (term, premium_term) in enumerate(product_combos):
            combo_term[i, j], combo_premium_term[i, j] = term, premium_term
    rate_e4 = np.full((len(products), 2, 121, width), -1, dtype=np.int64)
    for product_id, sex, age, term, premium_term, rate in rows:
        i = index[product_id]
        p = products[i]
        if not p.min_issue_age <= age <= min(p.max_issue_age, 120) or sex not in ("M", "F"):
            continue
        rate_e4[i, 0 if sex == "M" else 1, age, combos[i].index((term, premium_term))] = int(rate * 10000)
    factor_e4 = np.full((len(products), 4), -1, dtype=np.int64)
    for product_id, mode, factor in PremiumModeFactor.objects.filter(product_id__in=index).values_list(
            "product_id", "mode", "factor"):
        if mode in MODES and mode in products[index[product_id]].premium_modes.split(","):
            factor_e4[index[product_id], MODES.index(mode)] = int(factor * 10000)
    ctx.book["policies.catalogue"] = Catalogue(
        product_ids=np.array([p.pk for p in products], dtype=np.int64),
        codes=[p.code for p in products],
        kind=np.array([p.kind for p in products], dtype=object),
        is_rider=np.array([p.is_rider for p in products]),
        currency=np.array([p.currency for p in products], dtype=object),
        min_age=np.array([p.min_issue_age for p in products]),
        max_age=np.array([p.max_issue_age for p in products]),
        min_sa=np.array([float(p.min_sum_assured) for p in products]),
        max_sa=np.array([float(p.max_sum_assured) for p in products]),
        has_cash_value=np.array([p.kind in CASH_VALUE_KINDS and p.loan_limit_pct > 0 for p in products]),
        combo_term=combo_term, combo_premium_term=combo_premium_term, rate_e4=rate_e4, factor_e4=factor_e4,
    )
    rules = {key: jurisdiction_rule(ctx.jurisdiction, key) for key in
             ("grace_period", "reinstatement_window", "cooling_off")}
    ctx.book["policies.rules"] = {key: int(rule.quantity) for key, rule in rules.items()}
    ctx.book["policies.calendar"] = WorkingDays(
        ctx.jurisdiction, date_of(ctx.as_of_day - 366 * 20), date_of(ctx.as_of_day + 366 * 3))


@dataclass
class PoliciesChunk:
    """The chunk's policies (index q) for later steps (billing, value…)."""

    ids: np.ndarray
    version_ids: np.ndarray
    product: np.ndarray  # index into Catalogue
    insured: np.ndarray  # person index in PartiesChunk
    owner: np.ndarray
    issue: np.ndarray
    mode: np.ndarray  # index into MODES
    premium_term: np.ndarray
    modal_cents: np.ndarray
    annual_cents: np.ndarray
    method: np.ndarray  # index into METHODS
    status: np.ndarray  # index into STATUS_CODES
    status_date: np.ndarray
    paid_instalments: np.ndarray


@generator_step("policies.policies", after=["policies.catalogue", "parties.customers", "parties.consents"],
                per_chunk=True, writes=["policies.Policy", "policies.PolicyVersion", "policies.Coverage",
                                        "policies.Beneficiary", "policies.PolicyEvent"])
def generate_policies(ctx: GeneratorContext) -> None:
    """1–4 policies per person, priced from the rate tables, with riders, beneficiaries and their history."""
    rng = ctx.rng()
    cat: Catalogue = ctx.book["policies.catalogue"]
    org: OrgBook = ctx.book["org"]
    people: PartiesChunk = ctx.data["parties"]
    as_of = ctx.as_of_day
    offset = ctx.book["utc_offset"]
    n_people = len(people.ids)
    age_now = age_on(people.birth, as_of)

    # --- how many policies insure each person; the first is applied for on the customer's since date
    counts = np.where(age_now < 18, choice_weighted(rng, POLICIES_PER_CHILD, n_people),
                      choice_weighted(rng, POLICIES_PER_PERSON, n_people)) + 1
    insured = np.repeat(np.arange(n_people), counts)
    first_of_person = np.concatenate([[0], np.cumsum(counts)[:-1]])
    is_first = np.zeros(len(insured), dtype=bool)
    is_first[first_of_person] = True
    since = people.since[insured]
    application = np.where(is_first, since, uniform_int(rng, since + 1, np.full(len(insured), as_of - 40)))
    application = np.minimum(application, as_of - 30)
    issue = application + rng.integers(3, 26, len(insured))
    sex_index = (people.sex[insured] == "F").astype(np.int64)
    issue_age = age_on(people.birth[insured], issue)

    # --- base product and (term, premium term) among those the rate table offers at this age
    available = cat.available  # (products, sexes, ages)
    clipped_age = np.clip(issue_age, 0, 120)
    kind_weight = np.array([0.0 if r else KIND_WEIGHTS.get(k, 0.0) for k, r in zip(cat.kind, cat.is_rider,
                                                                                     strict=True)])
    weights = available[:, sex_index, clipped_age].T * kind_weight[None, :]
    product = choice_rows(rng, weights)
    keep = product >= 0  # no product covers this age: the policy is not sold
    if not keep.all():
        insured, application, issue, sex_index, issue_age, product, is_first = (
            a[keep] for a in (insured, application, issue, sex_index, issue_age, product, is_first))
        clipped_age = np.clip(issue_age, 0, 120)
    n_pol = len(insured)
    combo = choice_rows(rng, (cat.rate_e4[product, sex_index, clipped_age, :] >= 0).astype(np.float64))
    term = cat.combo_term[product, combo]
    premium_term = cat.combo_premium_term[product, combo]
    kind = cat.kind[product]

    # --- roles: adults own their policies; a parent owns a child's; the owner pays
    hh_first = people.hh_first[people.household[insured]]
    hh_spouse = np.where(people.hh_has_spouse[people.household[insured]], hh_first + 1, -1)
    child_at_issue = issue_age < 18
    owner = insured.copy()
    parent = np.where((hh_spouse >= 0) & (rng.random(n_pol) < 0.3), hh_spouse, hh_first)
    parent = np.where(parent == insured, hh_first, parent)
    owner[child_at_issue] = parent[child_at_issue]
    spouse = people.spouse[insured]
    spouse_owns = (~child_at_issue) & (spouse >= 0) & (rng.random(n_pol) < 0.05)
    owner[spouse_owns] = spouse[spouse_owns]

    # --- mode, payment method, channel, agent
    modes_offered = cat.factor_e4[product] >= 0
    mode = choice_rows(rng, modes_offered * np.array(MODE_WEIGHTS, dtype=np.float64)[None, :])
    mode = np.where(premium_term <= 1, 0, mode)
    method = np.where(MODES_IS_MONTHLY[mode], choice_weighted(rng, MONTHLY_METHOD_WEIGHTS, n_pol),
                      choice_weighted(rng, METHOD_WEIGHTS, n_pol))
    channel = choice_weighted(rng, CHANNEL_WEIGHTS, n_pol)
    channel[(channel == CHANNELS.index("group")) & (people.employer[insured] == 0)] = 0
    agent = people.agent[owner].copy()
    other_agent = rng.random(n_pol) >= SAME_AGENT
    agent[other_agent] = draw_agents(rng, org, people.branch[owner][other_agent])
    branch = people.branch[owner]

    # --- sum assured from the payer's income, within the product's range; premiums from the tables
    income = people.household_income[owner]
    multiple = np.array([SUM_ASSURED_MULTIPLE.get(k, 1.0) for k in kind.tolist()])
    multiple = multiple * np.where(child_at_issue, 0.5, 1.0)
    raw_sa = income * multiple * rng.lognormal(0, SUM_ASSURED_SIGMA, n_pol)
    sum_assured = _round_sum_assured(raw_sa, cat.min_sa[product], cat.max_sa[product])
    annual_cents = _annual_cents(cat.rate_e4[product, sex_index, clipped_age, combo], sum_assured)
    factor = cat.factor_e4[product, mode]
    if (factor < 0).any() or (cat.factor_e4[:, 0] < 0).any():
        raise GeneratorError("a product of the catalogue has no factor for a premium mode it offers")

    # --- riders: priced at the same issue age, with the base's terms when the rider offers them
    rider_rows, rider_product, rider_combo, rider_sa = _riders(rng, cat, product, sex_index, clipped_age, term,
                                                               premium_term, sum_assured)
    rider_annual = _annual_cents(cat.rate_e4[rider_product, sex_index[rider_rows], clipped_age[rider_rows],
                                             rider_combo], rider_sa)
    modal_cents = _modal_cents(annual_cents, factor)
    np.add.at(modal_cents, rider_rows, _modal_cents(rider_annual, cat.factor_e4[rider_product, mode[rider_rows]]))
    payments_per_year = 12 // MODE_MONTHS[mode]
    annualised_cents = modal_cents * payments_per_year

    # --- ids, numbers, dates
    policy_ids = ctx.ids("policies.Policy", n_pol)
    version_ids = ctx.ids("policies.PolicyVersion", n_pol)
    maturity = np.where(term > 0, add_months(issue, 12 * term), NO_DATE)
    app_seconds = application * 86400 + rng.integers(9 * 3600, 18 * 3600, n_pol) - offset
    customer_created = ctx.pending("parties.Customer")["created_at"]
    app_seconds[is_first] = customer_created[people.row[insured[is_first]]]
    app_seconds = np.maximum(app_seconds, application * 86400 - offset)
    issue_seconds = issue * 86400 + rng.integers(9 * 3600, 18 * 3600, n_pol) - offset

    # --- history
    burden = annualised_cents / 100.0 / np.maximum(income, 1.0)
    owner_age = age_on(people.birth[owner], issue)
    death_day = _deaths(ctx, rng, people, insured, owner, issue, age_now)
    history = _simulate_history(ctx, rng, issue=issue, mode=mode, premium_term=premium_term, maturity=maturity,
                                has_cash_value=cat.has_cash_value[product], method=method, owner_age=owner_age,
                                burden=burden, death=death_day[insured])

    year = _years(issue)
    jurisdiction = ctx.jurisdiction
    ctx.write("policies.Policy", {
        "id": policy_ids,
        "number": np.array([f"{jurisdiction}{y}{i:09d}" for y, i in zip(year.tolist(), policy_ids.tolist(),
                                                                         strict=True)], dtype=object),
        "product_id": cat.product_ids[product],
        "jurisdiction_id": jurisdiction,
        "currency": cat.currency[product],
        "owner_id": people.ids[owner],
        "insured_id": people.ids[insured],
        "payer_id": people.ids[owner],
        "agent_id": agent,
        "branch_id": org.branch_ids[branch],
        "branch_path": org.branch_paths[branch],
        "channel": np.array(CHANNELS, dtype=object)[channel],
        "application_date": application,
        "issue_date": issue,
        "term_years": term,  # 0 (whole of life) is written as NULL
        "premium_term_years": premium_term,
        "maturity_date": maturity,
        "status": np.array([s.value for s in STATUS_CODES], dtype=object)[history.status],
        "status_date": history.status_date,
        "paid_instalments": history.paid,
        "paid_to_date": np.where(history.paid > 0, add_months(issue, history.paid * MODE_MONTHS[mode]), NO_DATE),
        "version": 1 + history.event_count,
        "created_at": app_seconds,
    })
    ctx.write("policies.PolicyVersion", {
        "id": version_ids,
        "policy_id": policy_ids,
        "version_no": 1,
        "effective_from": issue,
        "recorded_at": issue_seconds,
        "reason": "new business",
        "owner_id": people.ids[owner],
        "insured_id": people.ids[insured],
        "payer_id": people.ids[owner],
        "sum_assured": sum_assured,
        "premium_mode": np.array(MODES, dtype=object)[mode],
        "modal_premium": modal_cents / 100.0,
        "annual_premium": annualised_cents / 100.0,
        "payment_method": np.array(METHODS, dtype=object)[method],
        "apl_opt_in": cat.has_cash_value[product] & (rng.random(n_pol) < APL_OPT_IN),
    })
    _write_coverages(ctx, cat, policy_ids, product, issue, maturity, sum_assured, annual_cents, rider_rows,
                     rider_product, rider_combo, rider_sa, rider_annual, issue_age)
    _write_beneficiaries(ctx, rng, people, version_ids, insured, child_at_issue)
    _write_events(ctx, rng, policy_ids, history)

    # --- customers: created at their first application as owner or insured; deaths
    created = np.full(n_people, np.iinfo(np.int64).max)
    np.minimum.at(created, insured, app_seconds)
    np.minimum.at(created, owner, app_seconds)
    has_policy = created < np.iinfo(np.int64).max
    current = customer_created[people.row]
    moved = np.nonzero(has_policy & (created != current))[0]
    if len(moved):
        rebase_since(ctx, people.row[moved], created[moved])
    dead = np.nonzero(death_day != NO_DATE)[0]
    if len(dead):
        record_deaths(ctx, people.row[dead], death_day[dead])

    ctx.data["policies"] = PoliciesChunk(
        ids=policy_ids, version_ids=version_ids, product=product, insured=insured, owner=owner, issue=issue,
        mode=mode, premium_term=premium_term, modal_cents=modal_cents, annual_cents=annualised_cents,
        method=method, status=history.status, status_date=history.status_date, paid_instalments=history.paid,
    )


MODES_IS_MONTHLY = np.array([m == "monthly" for m in MODES])


def _years(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _round_sum_assured(raw: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Round to 10,000 (or 1,000 under 100,000) and keep within the product's range."""
    step = np.where(raw >= 100_000, 10_000.0, 1_000.0)
    rounded = np.round(raw / step) * step
    return np.clip(rounded, low, high)


def _annual_cents(rate_e4: np.ndarray, sum_assured: np.ndarray) -> np.ndarray:
    """rate per 1,000 × sum assured / 1,000, half-up to the cent (exact integer arithmetic)."""
    if (rate_e4 < 0).any():
        raise GeneratorError("a policy was priced outside its rate table")
    sum_assured_cents = np.round(np.asarray(sum_assured) * 100).astype(np.int64)
    return (rate_e4 * sum_assured_cents + 5_000_000) // 10_000_000


def _modal_cents(annual_cents: np.ndarray, factor_e4: np.ndarray) -> np.ndarray:
    """annual premium × mode factor, half-up to the cent."""
    return (annual_cents * factor_e4 + 5_000) // 10_000


def _riders(rng, cat: Catalogue, product, sex_index, age, term, premium_term, sum_assured):
    """Rider coverages: (policy rows, rider product, combo, sum assured), ordered by policy."""
    rows_out, products_out, combos_out, sa_out = [], [], [], []
    base_takes_riders = np.isin(cat.kind[product], ["term", "whole_life", "endowment"])
    for rider in np.nonzero(cat.is_rider)[0].tolist():
        chance = RIDER_ATTACH.get(cat.kind[rider], 0.0)
        combos_ok = cat.rate_e4[rider, sex_index, age, :] >= 0  # (policies × combos)
        eligible = base_takes_riders & combos_ok.any(axis=1) & (rng.random(len(product)) < chance)
        rows = np.nonzero(eligible)[0]
        if not len(rows):
            continue
        ok = combos_ok[rows]
        same = ok & (cat.combo_term[rider][None, :] == np.where(term[rows] > 0, term[rows], premium_term[rows])[:, None])
        same &= cat.combo_premium_term[rider][None, :] == premium_term[rows][:, None]
        pick = np.where(same.any(axis=1), np.argmax(same, axis=1), choice_rows(rng, ok.astype(np.float64)))
        if cat.kind[rider] == "hospital_rider":
            sa = 180.0 * np.array(HOSPITAL_DAILY_CASH)[rng.integers(0, len(HOSPITAL_DAILY_CASH), len(rows))]
            sa = np.clip(sa, cat.min_sa[rider], cat.max_sa[rider])
        else:
            sa = _round_sum_assured(sum_assured[rows] * rng.uniform(0.3, 1.0, len(rows)), cat.min_sa[rider],
                                    cat.max_sa[rider])
        rows_out.append(rows)
        products_out.append(np.full(len(rows), rider))
        combos_out.append(pick)
        sa_out.append(sa)
    if not rows_out:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0)
    rows = np.concatenate(rows_out)
    order = np.argsort(rows, kind="stable")
    return rows[order], np.concatenate(products_out)[order], np.concatenate(combos_out)[order], np.concatenate(
        sa_out)[order]


def _write_coverages(ctx, cat, policy_ids, product, issue, maturity, sum_assured, annual_cents, rider_rows,
                     rider_product, rider_combo, rider_sa, rider_annual, issue_age) -> None:
    rider_term = cat.combo_term[rider_product, rider_combo]
    rider_end = np.where(rider_term > 0, add_months(issue[rider_rows], 12 * rider_term), NO_DATE)
    hospital = cat.kind[rider_product] == "hospital_rider"
    renewable_to = add_months(issue[rider_rows], 12 * np.maximum(65 - issue_age[rider_rows], 1))
    rider_end = np.where(hospital, renewable_to, rider_end)
    base_end = maturity[rider_rows]
    rider_end = np.where((base_end != NO_DATE) & ((rider_end == NO_DATE) | (base_end < rider_end)), base_end,
                         rider_end)
    policy_row = np.concatenate([np.arange(len(policy_ids)), rider_rows])
    is_base = np.concatenate([np.ones(len(policy_ids), dtype=bool), np.zeros(len(rider_rows), dtype=bool)])
    order = np.lexsort((~is_base, policy_row))
    ctx.write("policies.Coverage", {
        "id": ctx.ids("policies.Coverage", len(policy_row)),
        "policy_id": policy_ids[policy_row][order],
        "product_id": cat.product_ids[np.concatenate([product, rider_product])][order],
        "is_base": is_base[order],
        "sum_assured": np.concatenate([sum_assured, rider_sa])[order],
        "annual_premium": np.concatenate([annual_cents, rider_annual])[order] / 100.0,
        "start_date": issue[policy_row][order],
        "end_date": np.concatenate([maturity, rider_end])[order],
    })


def _write_beneficiaries(ctx, rng, people: PartiesChunk, version_ids, insured, child_at_issue) -> None:
    """Order 1: the spouse, spouse and children, children, or (for a child) the parents, from the
    household; else the insured's parents outside the book. Sometimes an order-2 beneficiary."""
    n_pol = len(insured)
    household = people.household[insured]
    first = people.hh_first[household]
    size = people.hh_size[household]
    adult_insured = people.role[insured] < 2
    pattern = rng.random(n_pol)
    # which household members are named: other adults (spouse / parents) and/or children
    take_adults = np.where(adult_insured, pattern < 0.80, True)
    take_children = np.where(adult_insured, pattern >= 0.65, False)
    named = rng.random(n_pol) >= NO_NAMED_BENEFICIARY

    pair_policy = np.repeat(np.arange(n_pol), size)
    member = first[pair_policy] + (np.arange(len(pair_policy)) - np.repeat(np.cumsum(size) - size, size))
    member_role = people.role[member]
    is_adult = member_role < 2
    chosen = (member != insured[pair_policy]) & named[pair_policy] & (
        (is_adult & take_adults[pair_policy]) | (~is_adult & take_children[pair_policy] & adult_insured[pair_policy]))
    pair_policy, member, is_adult = pair_policy[chosen], member[chosen], is_adult[chosen]
    in_book = np.bincount(pair_policy, minlength=n_pol)
    relation = np.where(adult_insured[pair_policy], np.where(is_adult, "spouse", "child"), "parent").astype(object)

    # outside the book: one or two parents of the insured (order 1 when nobody in the household is named)
    outside_count = np.where(named & (in_book == 0), np.where(rng.random(n_pol) < 0.4, 2, 1), 0)
    second_order = named & (rng.random(n_pol) < SECOND_ORDER_BENEFICIARY)
    ext_policy = np.concatenate([np.repeat(np.arange(n_pol), outside_count), np.nonzero(second_order)[0]])
    ext_order = np.concatenate([np.ones(int(outside_count.sum()), dtype=np.int64),
                                np.full(int(second_order.sum()), 2)])
    pool = name_pool(ctx.jurisdiction)
    ext_first_of_two = np.concatenate([[True], ext_policy[1:] != ext_policy[:-1]])
    ext_sex = np.where(ext_first_of_two, "M", "F").astype(object)
    ext_surname = np.where(ext_sex == "M", people.surname[insured[ext_policy]],
                           pool.draw_surnames(rng, len(ext_policy)))
    ext_name, _, _ = pool.full_names(rng, ext_sex, ext_surname)
    ext_relation = np.where(ext_order == 2, np.where(rng.random(len(ext_policy)) < 0.5, "sibling", "parent"),
                            "parent").astype(object)

    policy_row = np.concatenate([pair_policy, ext_policy])
    order_no = np.concatenate([np.ones(len(pair_policy), dtype=np.int64), ext_order])
    customer = np.concatenate([people.ids[member], np.zeros(len(ext_policy), dtype=np.int64)])
    name = np.concatenate([people.name[member], ext_name])
    relation_to_insured = np.concatenate([relation, ext_relation])
    sort = np.lexsort((order_no, policy_row))
    policy_row, order_no, customer, name, relation_to_insured = (
        a[sort] for a in (policy_row, order_no, customer, name, relation_to_insured))
    # equal shares within an order: one third each for three
    group = policy_row * 4 + order_no
    starts = np.concatenate([[True], group[1:] != group[:-1]])
    group_index = np.cumsum(starts) - 1
    group_size = np.bincount(group_index)[group_index]
    ctx.write("policies.Beneficiary", {
        "id": ctx.ids("policies.Beneficiary", len(policy_row)),
        "version_id": version_ids[policy_row],
        "customer_id": customer,
        "name": name,
        "relation_to_insured": relation_to_insured,
        "order": order_no,
        "share_numerator": np.ones(len(policy_row), dtype=np.int64),
        "share_denominator": group_size,
    })


@dataclass
class History:
    dates: np.ndarray  # (policies × slots) effective dates, BIG where no event
    codes: np.ndarray  # (policies × slots) status after the event
    kinds: np.ndarray  # (policies × slots) index into EVENT_KINDS
    due: np.ndarray  # (policies × slots) due date the event is about, NO_DATE if none
    present: np.ndarray  # (policies × slots) the event happened (by the as-of date, before any end)
    status: np.ndarray
    status_date: np.ndarray
    paid: np.ndarray

    @property
    def event_count(self) -> np.ndarray:
        return self.present.sum(axis=1)


EVENT_KINDS = ("issued", "grace_started", "premium_paid", "surrendered", "suspended", "reinstated", "lapsed",
               "terminated", "paid_up", "matured", "death", "cooling_off_cancelled")
EVENT_REASONS = {
    "issued": "policy issued, first premium paid",
    "grace_started": "premium unpaid on its due date",
    "premium_paid": "premium paid within the grace period",
    "surrendered": "surrendered at the owner's request",
    "suspended": "grace period ended unpaid",
    "reinstated": "arrears paid, cover reinstated",
    "lapsed": "reinstatement window ended",
    "terminated": "term ended while premiums were unpaid",
    "paid_up": "premium-paying term completed",
    "matured": "end of the policy term",
    "death": "death of the insured",
    "cooling_off_cancelled": "cancelled within the cooling-off period",
}
_K = {k: i for i, k in enumerate(EVENT_KINDS)}


def _lapse_factor(method: np.ndarray, owner_age: np.ndarray, burden: np.ndarray) -> np.ndarray:
    method_factor = np.array([LAPSE_BY_PAYMENT_METHOD[m] for m in METHODS])[method]
    age_factor = np.interp(owner_age, *LAPSE_BY_OWNER_AGE)
    burden_factor = np.clip((burden / REFERENCE_BURDEN) ** BURDEN_ELASTICITY, *BURDEN_FACTOR_RANGE)
    return method_factor * age_factor * burden_factor


def _simulate_history(ctx, rng, *, issue, mode, premium_term, maturity, has_cash_value, method, owner_age, burden,
                      death) -> History:
    """Each policy's path to the as-of date as slots of (date, status) in time order (see module docstring)."""
    as_of = ctx.as_of_day
    rules = ctx.book["policies.rules"]
    calendar: WorkingDays = ctx.book["policies.calendar"]
    grace_days, window_years, cooling_days = rules["grace_period"], rules["reinstatement_window"], rules["cooling_off"]
    n = len(issue)
    months = MODE_MONTHS[mode]
    per_year = 12 // months
    total = premium_term * per_year
    maturity_day = np.where(maturity == NO_DATE, BIG, maturity)
    premium_end = add_months(issue, 12 * premium_term)

    def due(k):
        return add_months(issue, k * months)

    def dues_by(day):  # instalments due on or before `day`
        elapsed = whole_months_between(issue, np.maximum(day, issue))
        return np.minimum(elapsed // months + 1, total)

    # the instalment at which paying stops (total = never)
    years = len(BASE_LAPSE_BY_POLICY_YEAR) + 12
    base = np.array(BASE_LAPSE_BY_POLICY_YEAR + (BASE_LAPSE_BY_POLICY_YEAR[-1],) * 12)[:years]
    q = np.minimum(base[None, :] * _lapse_factor(method, owner_age, burden)[:, None], MAX_YEARLY_LAPSE)
    q[:, 0] *= per_year > 1  # an annual payer's first premium was paid at issue
    hit = rng.random((n, years)) < q
    stop_year = np.where(hit.any(axis=1), np.argmax(hit, axis=1), years)
    first_in_year = np.where(stop_year == 0, 1, 0)
    stop = stop_year * per_year + uniform_int(rng, first_in_year, per_year - 1)
    stop = np.where(stop_year >= years, total, np.minimum(stop, total))
    stop_due = due(stop)
    stopped = (stop < total) & (stop_due <= as_of)

    dates = np.full((n, 10), BIG, dtype=np.int64)
    codes = np.zeros((n, 10), dtype=np.int64)
    kinds = np.zeros((n, 10), dtype=np.int64)
    due_of = np.full((n, 10), NO_DATE, dtype=np.int64)

    def put(slot, rows, day, status, kind, about=None):
        dates[rows, slot] = day[rows] if np.ndim(day) else day
        codes[rows, slot] = _S[status]
        kinds[rows, slot] = _K[kind]
        if about is not None:
            due_of[rows, slot] = about[rows]

    everyone = np.ones(n, dtype=bool)
    put(0, everyone, issue, Status.IN_FORCE, "issued")

    # cooling-off cancellations end everything else
    cooling = rng.random(n) < COOLING_OFF_CANCELLED
    cooling_day = issue + uniform_int(rng, 1, cooling_days)
    cooling &= cooling_day <= as_of

    n_due_now = dues_by(as_of)
    # a late payment paid inside the grace period, earlier in the policy's life
    paid_until = np.where(stopped, stop, n_due_now)
    late_chance = np.array([LATE_PAYMENT_EPISODE[m] for m in METHODS])[method]
    late = (rng.random(n) < late_chance) & (paid_until >= 2) & ~cooling
    late_k = uniform_int(rng, 1, paid_until - 1)
    late_due = due(late_k)
    late_paid = late_due + uniform_int(rng, 3, min(grace_days, 25))
    put(1, late, late_due + 1, Status.GRACE, "grace_started", late_due)
    put(2, late, late_paid, Status.IN_FORCE, "premium_paid")
    previous = np.where(late, late_paid, issue)

    # stopped policies: surrender straight away, or grace → suspension → reinstatement / surrender / lapse
    cash_value_stop = stopped & has_cash_value & (stop * months >= 24) & ~cooling
    surrender_now = cash_value_stop & (rng.random(n) < SURRENDER_INSTEAD_OF_LAPSE)
    surrender_day = np.maximum(stop_due - uniform_int(rng, 1, 45), previous + 1)
    put(3, surrender_now, surrender_day, Status.SURRENDERED, "surrendered")

    graced = stopped & ~surrender_now & ~cooling
    grace_end = calendar.next_working_day(stop_due + grace_days)
    suspend_day = grace_end + 1
    put(4, graced, stop_due + 1, Status.GRACE, "grace_started", stop_due)
    matures_in_grace = graced & (maturity_day < suspend_day)
    put(6, matures_in_grace, maturity_day, Status.TERMINATED, "terminated")
    suspended = graced & ~matures_in_grace & (suspend_day <= as_of)
    put(5, suspended, suspend_day, Status.SUSPENDED, "suspended", stop_due)
    window_end = calendar.next_working_day(add_months(suspend_day, 12 * window_years))
    reinstate_day = suspend_day + uniform_int(rng, 30, 700)
    reinstated = (suspended & (rng.random(n) < REINSTATEMENT_SHARE) & (reinstate_day <= window_end)
                  & (reinstate_day < maturity_day) & (reinstate_day <= as_of))
    put(6, reinstated, reinstate_day, Status.REINSTATED, "reinstated")
    rest = suspended & ~reinstated
    surrender_suspended = rest & has_cash_value & (rng.random(n) < SURRENDER_WHILE_SUSPENDED)
    surrender_late_day = suspend_day + uniform_int(rng, 30, 600)
    surrender_suspended &= (surrender_late_day < np.minimum(window_end, maturity_day)) & (surrender_late_day <= as_of)
    put(6, surrender_suspended, surrender_late_day, Status.SURRENDERED, "surrendered")
    rest &= ~surrender_suspended
    lapse_day = window_end + 1
    ends_at_maturity = rest & (maturity_day < lapse_day) & (maturity_day <= as_of)
    put(6, ends_at_maturity, maturity_day, Status.TERMINATED, "terminated")
    lapses = rest & ~ends_at_maturity & (lapse_day <= as_of)
    put(6, lapses, lapse_day, Status.LAPSED, "lapsed")

    # paying policies (never stopped, or reinstated): late now, paid up, matured
    paying = (~stopped | reinstated) & ~cooling
    latest_due_index = n_due_now - 1
    latest_due = due(latest_due_index)
    late_now_chance = np.array([LATE_AT_AS_OF[m] for m in METHODS])[method]
    late_now = (~stopped & ~cooling & (latest_due_index >= 1) & (latest_due + grace_days >= as_of)
                & (latest_due_index < total) & (rng.random(n) < late_now_chance) & (latest_due > previous))
    put(4, late_now, latest_due + 1, Status.GRACE, "grace_started", latest_due)
    resumed_from = np.where(reinstated, reinstate_day, issue)
    all_paid = paying & ~late_now & (premium_end <= as_of)
    paid_up_day = np.maximum(premium_end, resumed_from + 1)
    paid_up = all_paid & (paid_up_day < maturity_day) & (paid_up_day <= as_of)
    put(7, paid_up, paid_up_day, Status.PAID_UP, "paid_up")
    matured = paying & ~late_now & (maturity_day <= as_of) & (maturity_day > resumed_from)
    put(8, matured, maturity_day, Status.MATURED, "matured")

    put(1, cooling, cooling_day, Status.COOLING_OFF_CANCELLED, "cooling_off_cancelled")

    # keep what happened by the as-of date and before death; terminal events end the journal
    death_day = np.where(death == NO_DATE, BIG, death)
    present = (dates <= as_of) & (dates < death_day[:, None])
    terminal = TERMINAL_CODES[codes] & present
    after_terminal = np.cumsum(terminal, axis=1) - terminal > 0
    present &= ~after_terminal
    last_slot = 9 - np.argmax(present[:, ::-1], axis=1)
    rows = np.arange(n)
    status_before_death = codes[rows, last_slot]
    dies = (death_day <= as_of) & ~TERMINAL_CODES[status_before_death]
    dates[dies, 9], codes[dies, 9], kinds[dies, 9] = death_day[dies], _S[Status.TERMINATED], _K["death"]
    present[dies, 9] = True
    last_slot = 9 - np.argmax(present[:, ::-1], axis=1)

    # premiums paid by the as-of date (or death)
    cutoff = np.minimum(as_of, death_day)
    n_due_cut = dues_by(cutoff)
    paid = np.where(stopped & ~reinstated & (stop_due <= cutoff), stop, n_due_cut)
    paid = np.where(reinstated & (reinstate_day > cutoff), stop, paid)
    paid = np.where(late_now & (death_day > as_of), paid - 1, paid)
    paid = np.where(surrender_now & (stop_due <= cutoff), stop, paid)
    paid = np.where(cooling, 0, np.clip(paid, 1, total))
    return History(dates=dates, codes=codes, kinds=kinds, due=due_of, present=present, status=codes[rows, last_slot],
                   status_date=dates[rows, last_slot], paid=paid)


def _write_events(ctx: GeneratorContext, rng, policy_ids: np.ndarray, history: History) -> None:
    present = history.present
    policy_row, slot = np.nonzero(present)
    seq = (np.cumsum(present, axis=1))[policy_row, slot]
    to_code = history.codes[policy_row, slot]
    from_code = np.empty_like(to_code)
    from_code[1:] = to_code[:-1]
    starts = seq == 1
    from_code[starts] = _S[Status.PROPOSAL]
    statuses = np.array([s.value for s in STATUS_CODES], dtype=object)
    kinds = history.kinds[policy_row, slot]
    day = history.dates[policy_row, slot]
    about = history.due[policy_row, slot]
    data = np.full(len(day), None, dtype=object)
    has_due = about != NO_DATE
    if has_due.any():
        data[has_due] = '{"due_date": "' + iso_dates(about[has_due]) + '"}'
    offset = ctx.book["utc_offset"]
    kind_names = np.array(EVENT_KINDS, dtype=object)
    reasons = np.array([EVENT_REASONS[k] for k in EVENT_KINDS], dtype=object)
    ctx.write("policies.PolicyEvent", {
        "id": ctx.ids("policies.PolicyEvent", len(day)),
        "policy_id": policy_ids[policy_row],
        "seq": seq,
        "kind": kind_names[kinds],
        "from_status": statuses[from_code],
        "to_status": statuses[to_code],
        "effective_date": day,
        "recorded_at": day * 86400 + rng.integers(8 * 3600, 20 * 3600, len(day)) - offset,
        "reason": reasons[kinds],
        "data": data,
    })


def _deaths(ctx, rng, people: PartiesChunk, insured, owner, issue, age_now) -> np.ndarray:
    """Death day (or NO_DATE) of each person: after everything they did, growing with age and exposure."""
    as_of = ctx.as_of_day
    n = len(people.ids)
    first_issue = np.full(n, BIG)
    np.minimum.at(first_issue, insured, issue)
    latest = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(latest, insured, issue)
    np.maximum.at(latest, owner, issue)
    # nothing they took part in may come after their death: consents, relationships, children's births
    consent_rows, _ = ctx.data.get("parties.consent_rows", (np.zeros(0, dtype=np.int64), None))
    if len(consent_rows):
        consents = ctx.pending("parties.Consent")
        person_of_row = np.full(people.customer_count, -1)
        person_of_row[people.row] = np.arange(n)
        who = person_of_row[consent_rows]
        ok = who >= 0
        np.maximum.at(latest, who[ok], (consents["at"][ok] + ctx.book["utc_offset"]) // 86400)
    relationships = ctx.pending("parties.Relationship")
    first_id = people.ids[0] if n else 0
    for column in ("from_customer_id", "to_customer_id"):
        who = relationships[column] - first_id
        ok = (who >= 0) & (who < n)
        np.maximum.at(latest, who[ok], relationships["since"][ok])
    exposed = first_issue < BIG
    years = np.where(exposed, (as_of - np.minimum(first_issue, as_of)) / 365.25, 0.0)
    mid_age = age_now - years / 2
    yearly = MORTALITY_AT_30 * np.exp(MORTALITY_SLOPE * (mid_age - 30))
    dies = exposed & (rng.random(n) < 1 - np.exp(-yearly * years)) & (latest < as_of - 1)
    day = uniform_int(rng, np.maximum(latest, as_of - 366 * 40) + 1, np.full(n, as_of))
    return np.where(dies, day, NO_DATE)
