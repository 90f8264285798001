"""The policy status state machine as data, and pure helpers on policy dates. No Django here."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from lifecrm.core.rules import add_months


class Status(StrEnum):
    PROPOSAL = "proposal"
    IN_FORCE = "in_force"
    GRACE = "grace"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    PAID_UP = "paid_up"
    SURRENDERED = "surrendered"
    LAPSED = "lapsed"
    MATURED = "matured"
    TERMINATED = "terminated"  # claimed (death, total disability) or otherwise ended by its terms
    COOLING_OFF_CANCELLED = "cooling_off_cancelled"
    PREMIUM_WAIVED = "premium_waived"  # a waiver-of-premium claim (disability, critical illness): cover runs unpaid


# status -> the statuses it may move to. Anything not listed is refused.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PROPOSAL: frozenset({Status.IN_FORCE}),
    Status.IN_FORCE: frozenset(
        {Status.GRACE, Status.PAID_UP, Status.SURRENDERED, Status.MATURED, Status.TERMINATED,
         Status.COOLING_OFF_CANCELLED, Status.PREMIUM_WAIVED}
    ),
    Status.GRACE: frozenset(
        {Status.IN_FORCE, Status.SUSPENDED, Status.PAID_UP, Status.SURRENDERED, Status.TERMINATED,
         Status.PREMIUM_WAIVED}
    ),
    # A premium received within grace but booked after the suspension undoes it (to in force, or to grace when
    # an older premium is still unpaid inside its own grace period): no reinstatement.
    Status.SUSPENDED: frozenset({Status.REINSTATED, Status.LAPSED, Status.SURRENDERED, Status.TERMINATED,
                                 Status.IN_FORCE, Status.GRACE}),
    Status.REINSTATED: frozenset(
        {Status.IN_FORCE, Status.GRACE, Status.PAID_UP, Status.SURRENDERED, Status.MATURED, Status.TERMINATED,
         Status.PREMIUM_WAIVED}
    ),
    Status.PAID_UP: frozenset({Status.SURRENDERED, Status.MATURED, Status.TERMINATED}),
    Status.SURRENDERED: frozenset(),
    Status.LAPSED: frozenset(),
    Status.MATURED: frozenset(),
    Status.TERMINATED: frozenset(),
    Status.COOLING_OFF_CANCELLED: frozenset(),
    # No premium falls due any more; the policy runs to its end (or a later claim or surrender ends it).
    Status.PREMIUM_WAIVED: frozenset({Status.SURRENDERED, Status.MATURED, Status.TERMINATED}),
}

# Cover runs (a claim is payable) in these statuses.
COVER_IN_FORCE = frozenset({Status.IN_FORCE, Status.GRACE, Status.REINSTATED, Status.PAID_UP,
                            Status.PREMIUM_WAIVED})
# The daily step policies.mature moves these to matured at the maturity date (a tuple: the same IN list in the
# partial index policy_maturing_idx and in the step's query, so that PostgreSQL sees the index applies).
MATURING_STATUSES = (Status.IN_FORCE, Status.REINSTATED, Status.PAID_UP, Status.PREMIUM_WAIVED)
# Premiums fall due in these statuses (not once they are waived: billing raises no dues then).
PREMIUM_PAYING = frozenset({Status.IN_FORCE, Status.GRACE, Status.REINSTATED})
TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


class TransitionRefused(ValueError):
    """A status change the transition table does not allow."""

    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"a policy cannot go from {current} to {target}")
        self.current = current
        self.target = target


def check_transition(current: str, target: str) -> None:
    current_status, target_status = Status(current), Status(target)
    if target_status not in TRANSITIONS[current_status]:
        raise TransitionRefused(current_status, target_status)


PAYMENTS_PER_YEAR = {"annual": 1, "semiannual": 2, "quarterly": 4, "monthly": 12}


def months_between_payments(mode: str) -> int:
    try:
        return 12 // PAYMENTS_PER_YEAR[mode]
    except KeyError:
        raise ValueError(f"unknown premium mode {mode!r}") from None


def due_date(issue_date: date, mode: str, instalment: int) -> date:
    """The due date of the `instalment`-th premium (0 = the first, paid at issue), month-end safe.

    Always counted from the issue date, never from the previous due date, so 31 Jan → 29 Feb → 31 Mar.
    """
    return add_months(issue_date, instalment * months_between_payments(mode))


def premium_term_end(issue_date: date, premium_term_years: int) -> date:
    """The first day no further premium is due."""
    return add_months(issue_date, 12 * premium_term_years)


def next_due_date(*, issue_date: date, mode: str, paid_instalments: int, premium_term_years: int) -> date | None:
    """The due date of the first unpaid premium, or None once the premium-paying term is complete."""
    candidate = due_date(issue_date, mode, paid_instalments)
    if candidate >= premium_term_end(issue_date, premium_term_years):
        return None
    return candidate


def maturity_date(issue_date: date, term_years: int | None) -> date | None:
    return None if not term_years else add_months(issue_date, 12 * term_years)


# -- beneficiary shares: exact fractions of the benefit ("one third each" is three shares of 1/3)

MAX_SHARE_DENOMINATOR = 1_000_000
"""The largest denominator a share may have once reduced: enough for any split people write (1/3, 1/7, 12.345 %)."""


class ShareInvalid(ValueError):
    """Text that is not a beneficiary's share: `code` says why (invalid, min_value, max_value, too_fine)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_share(text: str) -> Fraction:
    """A share of the benefit as people write it: a percentage ("50", "33.33", "12.5 %") or a fraction of the
    whole ("1/3"). More than nothing, at most the whole; no exponent, sign or non-ASCII digit."""
    text = text.strip().removesuffix("%").strip()
    if not text.isascii() or not text or any(c not in "0123456789./" for c in text):
        raise ShareInvalid("invalid")
    try:
        if "/" in text:
            numerator, _, denominator = text.partition("/")
            if not numerator.isdigit() or not denominator.isdigit():
                raise ShareInvalid("invalid")
            if int(denominator) == 0:
                raise ShareInvalid("invalid")
            share = Fraction(int(numerator), int(denominator))
        else:
            share = Fraction(Decimal(text)) / 100
    except (InvalidOperation, ValueError) as exc:
        if isinstance(exc, ShareInvalid):
            raise
        raise ShareInvalid("invalid") from exc
    if share <= 0:
        raise ShareInvalid("min_value")
    if share > 1:
        raise ShareInvalid("max_value")
    if share.denominator > MAX_SHARE_DENOMINATOR:
        raise ShareInvalid("too_fine")
    return share


def share_text(share: Fraction) -> str:
    """A share as people read it: a percentage when it is one with at most two decimals ("60 %", "12.5 %"),
    else the fraction ("1/3")."""
    percent = share * 100
    if (percent * 100).denominator == 1:
        digits = f"{Decimal(percent.numerator) / Decimal(percent.denominator):f}"
        return (digits.rstrip("0").rstrip(".") if "." in digits else digits) + " %"
    return f"{share.numerator}/{share.denominator}"
