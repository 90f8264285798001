"""What the owner owes on a policy's loans on a day: one ledger (`models.PolicyLoan`) for servicing's policy loans
and billing's automatic premium loans.

Interest is simple, yearly, on the principal still owed, by calendar days over a 365-day year, to the cent at
each repayment and on the day asked about. A repayment pays the interest accrued up to its day first, then
principal; whatever exceeds the debt is not the loan's (the service refuses it). `position` is pure;
`loans_by_policy` reads the loans of many policies (two queries, whatever their number) for a batch.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lifecrm.core.money import to_cents
from lifecrm.policies.models import LoanRepayment, PolicyLoan

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
DAYS_IN_INTEREST_YEAR = Decimal(365)


@dataclass(frozen=True, slots=True)
class Loan:
    """A loan with its repayments ((day, amount), in order), as the rules read it."""

    pk: int
    kind: str
    principal: Decimal
    rate_percent: Decimal
    taken_on: date
    settled_on: date | None
    repayments: tuple[tuple[date, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class LoanPosition:
    principal: Decimal
    interest: Decimal

    @property
    def owed(self) -> Decimal:
        return self.principal + self.interest


NOTHING = LoanPosition(ZERO, ZERO)


def loan_interest(*, principal: Decimal, rate_percent: Decimal, start: date, end: date) -> Decimal:
    """Simple interest from `start` to `end` (calendar days over a 365-day year), to the cent."""
    if end <= start:
        return ZERO
    return to_cents(Decimal(principal) * Decimal(rate_percent) / HUNDRED * Decimal((end - start).days)
                    / DAYS_IN_INTEREST_YEAR)


def loan_owed(loan: Loan, on: date) -> LoanPosition:
    """One loan on `on`: the principal still owed and the interest accrued and unpaid (nothing before it was
    taken or once settled on or before `on`)."""
    if on < loan.taken_on or (loan.settled_on is not None and loan.settled_on <= on):
        return NOTHING
    principal, interest, since = Decimal(loan.principal), ZERO, loan.taken_on
    for paid_on, amount in loan.repayments:
        if paid_on > on:
            break
        interest += loan_interest(principal=principal, rate_percent=loan.rate_percent, start=since, end=paid_on)
        since = paid_on
        to_interest = min(Decimal(amount), interest)
        interest -= to_interest
        principal = max(principal - (Decimal(amount) - to_interest), ZERO)
    interest += loan_interest(principal=principal, rate_percent=loan.rate_percent, start=since, end=on)
    return LoanPosition(to_cents(principal), to_cents(interest))


def position(loans: Iterable[Loan], on: date, *, kind: str | None = None) -> LoanPosition:
    """What the owner owes on `on` on all the loans (or those of one `kind`)."""
    principal = interest = ZERO
    for loan in loans:
        if kind is None or loan.kind == kind:
            owed = loan_owed(loan, on)
            principal, interest = principal + owed.principal, interest + owed.interest
    return LoanPosition(principal, interest)


def loan_maximum(*, cash_value: Decimal, loan_limit_percent: Decimal, outstanding: Decimal) -> Decimal:
    """The most a new loan (a policy loan or an automatic premium loan) may be: the product's loan percentage of the
    cash value, less what is owed on existing loans (principal and interest), never negative."""
    limit = to_cents(Decimal(cash_value) * Decimal(loan_limit_percent) / HUNDRED)
    return max(limit - Decimal(outstanding), ZERO)


def surrender_value(*, cash_value: Decimal, owed: LoanPosition) -> Decimal:
    """What a surrender pays: the cash value less every loan and its interest, never negative."""
    return max(to_cents(Decimal(cash_value) - owed.principal - owed.interest), ZERO)


# -- reads ----------------------------------------------------------------------------------------------------

def loans_by_policy(policy_ids: Iterable[int]) -> dict[int, list[Loan]]:
    """The unsettled loans of the policies, by policy id (two queries for any number of policies)."""
    rows = list(PolicyLoan.objects.filter(policy_id__in=list(policy_ids), settled_on__isnull=True)
                .order_by("policy_id", "taken_on", "pk")
                .values_list("pk", "policy_id", "kind", "principal", "rate_percent", "taken_on", "settled_on"))
    repaid: dict[int, list[tuple[date, Decimal]]] = {}
    for loan_id, paid_on, amount in (LoanRepayment.objects.filter(loan_id__in=[r[0] for r in rows])
                                     .order_by("loan_id", "paid_on", "pk").values_list("loan_id", "paid_on", "amount")):
        repaid.setdefault(loan_id, []).append((paid_on, amount))
    out: dict[int, list[Loan]] = {}
    for pk, policy_id, kind, principal, rate, taken_on, settled_on in rows:
        out.setdefault(policy_id, []).append(Loan(pk, kind, principal, rate, taken_on, settled_on,
                                                  tuple(repaid.get(pk, ()))))
    return out


def loan_position(*, policy_id: int, on: date) -> LoanPosition:
    """What the owner owes on the policy's loans (policy loans and automatic premium loans) on `on`."""
    return position(loans_by_policy([policy_id]).get(policy_id, []), on)
