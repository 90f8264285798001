"""Batch steps of the value app: the value of every in-force policy at an as-of date."""
from __future__ import annotations

import hashlib
from datetime import date

from lifecrm.core.jobs import chunked_step, run_step
from lifecrm.policies.selectors import valuation_policy_ids
from lifecrm.value.selectors import current_set_ids
from lifecrm.value.services import policy_values_compute


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
