"""The features of each premium-paying policy at a cut-off date, and whether it stopped being paid in the
HORIZON_DAYS after it: read from the database only, through the selectors of policies, billing and parties.

What an insurer's tables hold, as they stood on the cut-off day (nothing dated after it is read for a feature):
the policy's status from its event journal, its past grace periods, suspensions and reinstatements; the premium
ledger (premiums paid late, premiums overdue, how early premiums are paid); direct debits rejected by the
payer's bank; the contract version in effect (payment method, premium mode, annualised premium, product kind);
tenure; the owner's age, occupation class and years as a customer; the payer's other policies and premiums
(premium burden against the occupation class's income band: the model weighs them together); whether the
policy's agent is still the owner's servicing agent.

The label (`lapsed`): the policy stopped being paid within HORIZON_DAYS after the cut-off, i.e. its journal
has an event effective in (cut-off, cut-off + HORIZON_DAYS] moving it to one of LAPSE_STATUSES: suspended (its
grace period ended unpaid), surrendered, or lapsed. The population at a cut-off is every policy whose status on
that day was premium paying (in force, in grace, reinstated) and that still had premiums to pay.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from lifecrm.billing.selectors import premium_history, rejected_debits
from lifecrm.core.rules import add_months, age_last_birthday
from lifecrm.parties.selectors import customers_facts
from lifecrm.policies.rules import PREMIUM_PAYING, Status, due_date, months_between_payments, premium_term_end
from lifecrm.policies.selectors import payer_premium_totals, policy_facts_on, policy_status_events

HORIZON_DAYS = 90
LAPSE_STATUSES = frozenset({Status.SUSPENDED, Status.SURRENDERED, Status.LAPSED})
RECENT_DAYS = 90  # "recent" grace periods and rejected debits: the baseline's window too
YEAR_DAYS = 365
METHODS = ("auto_debit", "bank_transfer", "cash", "card")
KINDS = ("term", "whole_life", "endowment", "annuity")
POLICY_YEARS = ((1, 1), (2, 2), (3, 3), (4, 5), (6, 200))
OCCUPATION_CLASSES = (1, 2, 3, 4, 5, 6)
CHUNK = 5000  # policies read together: a fixed number of queries per chunk

FEATURES = (
    "in_grace", "days_in_grace", "overdue_premiums", "grace_periods_last_year", "grace_periods_recent",
    "grace_periods_ever", "ever_suspended", "reinstated", "late_payments_last_year", "days_paid_early",
    "rejected_debits_recent", "rejected_debits_last_year", "premiums_due_next_90_days",
    *(f"method_{m}" for m in METHODS),
    "payments_per_year", "log_annual_premium", "log_payer_premium", "payer_policies",
    *(f"kind_{k}" for k in KINDS),
    "tenure_years", *(f"policy_year_{a}_{b}" if a != b else f"policy_year_{a}" for a, b in POLICY_YEARS),
    "owner_age", "customer_years", *(f"occupation_class_{c}" for c in OCCUPATION_CLASSES), "occupation_unknown",
    "agent_not_servicing_agent",
)
INDEX = {name: i for i, name in enumerate(FEATURES)}


@dataclass
class FeatureSet:
    """The population at one cut-off: policy ids, the feature matrix (FEATURES columns), the labels (None when
    the horizon is not observed) and the baseline rule's flag."""

    on: date
    policy_ids: np.ndarray
    x: np.ndarray
    labels: np.ndarray | None
    rule: np.ndarray

    def __len__(self) -> int:
        return len(self.policy_ids)

    def column(self, name: str) -> np.ndarray:
        return self.x[:, INDEX[name]]


def baseline_flag(x: np.ndarray) -> np.ndarray:
    """The simple rule a collections team would use: in grace or with an overdue premium on the cut-off day,
    a grace period started or a direct debit rejected in the last RECENT_DAYS."""
    return ((x[:, INDEX["in_grace"]] > 0) | (x[:, INDEX["overdue_premiums"]] > 0)
            | (x[:, INDEX["grace_periods_recent"]] > 0) | (x[:, INDEX["rejected_debits_recent"]] > 0))


def _dues_between(issue: date, mode: str, term_end: date, after: date, until: date) -> int:
    """Premiums falling due in (after, until], before the premium term's end."""
    months = months_between_payments(mode)
    elapsed = (after.year - issue.year) * 12 + after.month - issue.month
    k = max(elapsed // months - 1, 0)
    count = 0
    while True:
        due = due_date(issue, mode, k)
        if due > until or due >= term_end:
            return count
        if due > after:
            count += 1
        k += 1


def features_at(*, on: date, first_id: int, last_id: int, labelled: bool) -> FeatureSet:
    """The features (and labels when `labelled`: the horizon after `on` must be observed) of the population of
    policies [first_id, last_id] at `on`. Six queries whatever the number of policies."""
    horizon = on + timedelta(days=HORIZON_DAYS)
    facts = policy_facts_on(on=on, first_id=first_id, last_id=last_id)
    events: dict[int, list] = {}
    for policy_id, kind, to_status, day in policy_status_events(first_id=first_id, last_id=last_id,
                                                                until=horizon if labelled else on):
        events.setdefault(policy_id, []).append((kind, to_status, day))
    population = []
    for fact in facts:
        journal = [e for e in events.get(fact.policy_id, ()) if e[2] <= on]
        if not journal or journal[-1][1] not in PREMIUM_PAYING:
            continue
        if premium_term_end(fact.issue_date, fact.premium_term_years) <= on:
            continue
        population.append((fact, journal))
    ids = [fact.policy_id for fact, _ in population]
    n = len(population)
    x = np.zeros((n, len(FEATURES)))
    labels = np.zeros(n, dtype=bool) if labelled else None
    if not n:
        return FeatureSet(on, np.zeros(0, dtype=np.int64), x, labels, np.zeros(0, dtype=bool))
    ledger: dict[int, list] = {}
    for policy_id, due, paid_on in premium_history(first_id=first_id, last_id=last_id, until=on):
        ledger.setdefault(policy_id, []).append((due, paid_on))
    rejected: dict[int, list[date]] = {}
    for policy_id, day in rejected_debits(first_id=first_id, last_id=last_id, until=on):
        rejected.setdefault(policy_id, []).append(day)
    customers = customers_facts(customer_ids={fact.owner_id for fact, _ in population})
    payers = payer_premium_totals(payer_ids={fact.payer_id for fact, _ in population}, on=on)
    recent, year_ago = on - timedelta(days=RECENT_DAYS), on - timedelta(days=YEAR_DAYS)
    for row, (fact, journal) in enumerate(population):
        v = x[row]
        status, since = journal[-1][1], journal[-1][2]
        if status == Status.GRACE:
            v[INDEX["in_grace"]] = 1
            v[INDEX["days_in_grace"]] = (on - since).days
        graces = [day for kind, _, day in journal if kind == "grace_started"]
        v[INDEX["grace_periods_ever"]] = len(graces)
        v[INDEX["grace_periods_last_year"]] = sum(day > year_ago for day in graces)
        v[INDEX["grace_periods_recent"]] = sum(day > recent for day in graces)
        v[INDEX["ever_suspended"]] = any(to == Status.SUSPENDED for _, to, _ in journal)
        v[INDEX["reinstated"]] = any(to == Status.REINSTATED for _, to, _ in journal)
        items = ledger.get(fact.policy_id, ())
        v[INDEX["overdue_premiums"]] = sum(due < on and (paid is None or paid > on) for due, paid in items)
        v[INDEX["late_payments_last_year"]] = sum(due > year_ago and paid is not None and due < paid <= on
                                                  for due, paid in items)
        early = [(due - paid).days for due, paid in items if paid is not None and paid <= on and due > year_ago]
        v[INDEX["days_paid_early"]] = float(np.mean(early)) if early else 0.0
        debits = rejected.get(fact.policy_id, ())
        v[INDEX["rejected_debits_recent"]] = sum(day > recent for day in debits)
        v[INDEX["rejected_debits_last_year"]] = sum(day > year_ago for day in debits)
        term_end = premium_term_end(fact.issue_date, fact.premium_term_years)
        v[INDEX["premiums_due_next_90_days"]] = _dues_between(fact.issue_date, fact.premium_mode, term_end, on,
                                                              horizon)
        if fact.payment_method in METHODS:
            v[INDEX[f"method_{fact.payment_method}"]] = 1
        v[INDEX["payments_per_year"]] = 12 // months_between_payments(fact.premium_mode)
        v[INDEX["log_annual_premium"]] = math.log1p(float(fact.annual_premium))
        count, total = payers.get(fact.payer_id, (1, fact.annual_premium))
        v[INDEX["log_payer_premium"]] = math.log1p(float(total or 0))
        v[INDEX["payer_policies"]] = count
        if fact.product_kind in KINDS:
            v[INDEX[f"kind_{fact.product_kind}"]] = 1
        tenure_days = (on - fact.issue_date).days
        v[INDEX["tenure_years"]] = tenure_days / 365.25
        policy_year = 1
        while add_months(fact.issue_date, 12 * policy_year) <= on:
            policy_year += 1
        for a, b in POLICY_YEARS:
            if a <= policy_year <= b:
                v[INDEX[f"policy_year_{a}_{b}" if a != b else f"policy_year_{a}"]] = 1
        customer = customers.get(fact.owner_id)
        if customer is not None:
            v[INDEX["owner_age"]] = age_last_birthday(customer.birth_date, on) if customer.birth_date else 40
            v[INDEX["customer_years"]] = max((on - customer.created_on).days, 0) / 365.25
            if customer.occupation_class in OCCUPATION_CLASSES:
                v[INDEX[f"occupation_class_{customer.occupation_class}"]] = 1
            else:
                v[INDEX["occupation_unknown"]] = 1
            v[INDEX["agent_not_servicing_agent"]] = (fact.agent_id is not None
                                                     and fact.agent_id != customer.servicing_agent_id)
        else:
            v[INDEX["owner_age"]] = 40
            v[INDEX["occupation_unknown"]] = 1
        if labelled:
            labels[row] = any(on < day <= horizon and to in LAPSE_STATUSES
                              for _, to, day in events.get(fact.policy_id, ()))
    return FeatureSet(on, np.array(ids, dtype=np.int64), x, labels, baseline_flag(x))


def book_features(*, on: date, policy_ids: list[int], labelled: bool) -> FeatureSet:
    """`features_at` over `policy_ids` (ascending) in chunks of CHUNK policies, concatenated."""
    parts = [features_at(on=on, first_id=policy_ids[i], last_id=policy_ids[min(i + CHUNK, len(policy_ids)) - 1],
                         labelled=labelled) for i in range(0, len(policy_ids), CHUNK)]
    if not parts:
        return FeatureSet(on, np.zeros(0, dtype=np.int64), np.zeros((0, len(FEATURES))),
                          np.zeros(0, dtype=bool) if labelled else None, np.zeros(0, dtype=bool))
    return FeatureSet(on, np.concatenate([p.policy_ids for p in parts]), np.vstack([p.x for p in parts]),
                      np.concatenate([p.labels for p in parts]) if labelled else None,
                      np.concatenate([p.rule for p in parts]))
