"""Batch steps of the value app: the value of every in-force policy at an as-of date; each customer's value, tier
and life-cycle stage (weekly in the daily batch)."""
from __future__ import annotations

import hashlib
from datetime import date

from lifecrm.core.jobs import chunked_step, planned_ids, register_daily_step, run_step
from lifecrm.parties.selectors import customer_ids_for_value
from lifecrm.policies.selectors import valuation_policy_ids
from lifecrm.value.rules import is_value_day
from lifecrm.value.selectors import changed_customer_ids, current_set_ids
from lifecrm.value.services import customer_values_compute, policy_values_compute


def _ids(as_of: date):
    return valuation_policy_ids(as_of=as_of)


@chunked_step("value.policy_values", ids=_ids, chunk_size=2000)
def policy_values(as_of: date, first_id: int, last_id: int) -> int:
    """Present values of premiums, claims, expenses, commissions and profit of each in-force coverage."""
    return policy_values_compute(as_of=as_of, first_id=first_id, last_id=last_id)


def sets_key() -> str:
    """The run's parameter key: the assumption sets in use, so that a new set version values the date again
    (a finished run of the same sets is a no-op)."""
    ids = ",".join(str(pk) for pk in sorted(current_set_ids().values()))
    if len(ids) > 190:  # JobRun.params_key holds 200 characters
        return "sets#" + hashlib.sha256(ids.encode()).hexdigest()[:32]
    return "sets:" + ids


def run_policy_values(*, as_of: date, progress: bool = True):
    """Run (or resume) the step for `as_of` on the current assumption sets. Returns the JobRun."""
    return run_step(policy_values, as_of=as_of, params_key=sets_key(), progress=progress)


# --- customer values, tiers and stages (issue 15 §3, §4) ---------------------------------------------------------
def _customer_ids(as_of: date):
    return customer_ids_for_value()


@chunked_step("value.customer_values", ids=_customer_ids, chunk_size=1000)
def customer_values(as_of: date, first_id: int, last_id: int) -> int:
    """Each customer's value (current, historical, potential, network) with its reasons, and their tier and
    life-cycle stage recorded on their segment."""
    return customer_values_compute(as_of=as_of, first_id=first_id, last_id=last_id)


def run_customer_values(*, as_of: date, progress: bool = True):
    """Value the book's policies at `as_of` (resumed or a no-op when done), then its customers. Returns the
    customer step's JobRun."""
    run_policy_values(as_of=as_of, progress=progress)
    return run_step(customer_values, as_of=as_of, params_key=sets_key(), progress=progress)


# The daily batch does both once a week (`rules.VALUE_RUN_WEEKDAY`): on the other days these steps plan no chunk.
# They come after the day's status changes and ledger (a policy lapsed today is no longer in force, a payment
# booked today is counted), and the customer values after the policy values they add up. Only the policies of
# products with an assumption set are valued by the batch (a product without one is the command's refusal).
def _weekly_policy_ids(as_of: date):
    if not is_value_day(as_of):
        return []
    return valuation_policy_ids(as_of=as_of).filter(product_id__in=list(current_set_ids()))


def _weekly_customer_ids(as_of: date):
    return customer_ids_for_value() if is_value_day(as_of) else []


weekly_policy_values = chunked_step("value.weekly_policy_values", ids=_weekly_policy_ids, chunk_size=2000)(
    policy_values.process)
weekly_customer_values = chunked_step("value.weekly_customer_values", ids=_weekly_customer_ids, chunk_size=1000)(
    customer_values.process)
register_daily_step(weekly_policy_values, after=("billing.reconcile_ledger",),
                    description="Weekly: the value of every in-force policy (PV of premiums, claims, expenses, "
                                "commissions, PVFP).")
register_daily_step(weekly_customer_values, after=("value.weekly_policy_values",),
                    description="Weekly: each customer's value with its reasons, tier and life-cycle stage.")


# On the other days, the customers whose policies changed that day (a status change, a new policy or version, a
# debit rejected) are valued and placed again at once, so that a customer whose premium fell into grace today is at
# risk today, not on Sunday. Their current value reads the latest weekly policy values.
def _changed_customer_ids(as_of: date):
    return [] if is_value_day(as_of) else changed_customer_ids(as_of=as_of)


@chunked_step("value.changed_customer_values", ids=_changed_customer_ids, chunk_size=1000, keep_ids=True)
def changed_customer_values(as_of: date, first_id: int, last_id: int) -> int:
    """The value, tier and stage of the customers whose policies changed on `as_of` (not the weekly value day)."""
    return customer_values_compute(as_of=as_of, first_id=first_id, last_id=last_id, only=planned_ids())


register_daily_step(changed_customer_values, after=("value.weekly_customer_values",),
                    description="Except on the weekly value day: the value, tier and life-cycle stage of the customers "
                                "whose policies changed that day.")
