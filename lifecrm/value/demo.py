"""The demo's customer values: the book valued on the demo's day, so that every customer 360 shows a tier, a
life-cycle stage and their reasons, and every tier and stage occurs (`lifecrm demo-setup`)."""
from __future__ import annotations

from datetime import date

from lifecrm.core.registries import demo_steps
from lifecrm.parties.selectors import segment_counts
from lifecrm.value.book import ValuationError
from lifecrm.value.jobs import run_customer_values


@demo_steps.register("value.demo", after=["billing.demo"])
def value_the_demo_book(*, as_of: date) -> list[str]:
    """Policy and customer values, tiers and stages on `as_of`; lines to print."""
    try:
        run_customer_values(as_of=as_of, progress=False)
    except ValuationError as exc:
        return [f"not valued: {exc}"]
    counts = segment_counts(as_of=as_of)
    return [f"{field}s: " + ", ".join(f"{name} {n:,}" for name, n in counts[field].items())
            for field in ("tier", "stage")]
