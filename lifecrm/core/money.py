"""Money: a Decimal amount in a currency, rounded half-up to the cent at defined points."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
CURRENCIES = ("CNY", "HKD", "TWD")

AMOUNT_DIGITS = 10
"""Digits before the point of one amount of money typed in or received (a payment, a refund):
up to 9,999,999,999.99."""
MAX_AMOUNT = Decimal(10) ** AMOUNT_DIGITS - CENT
BALANCE_DIGITS = 16
"""Digits before the point of a column that adds amounts up (a suspense balance, a bank file's total): a million
maximal amounts fit, and `MAX_BALANCE` is refused before it is reached."""
MAX_BALANCE = Decimal(10) ** BALANCE_DIGITS - CENT
AMOUNT_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?")
AMOUNT_HTML_PATTERN = rf"[0-9]{{1,{AMOUNT_DIGITS}}}(\.[0-9]{{1,2}})?"
"""The same rule for a browser's `pattern` attribute and the API schema (anchored by both)."""


class AmountInvalid(ValueError):
    """Text that is not an amount of money: `code` says why (invalid, min_value, max_decimal_places, max_value)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_amount(text: str) -> Decimal:
    """An amount of money as people type it: digits with an optional decimal point and at most two decimals,
    more than zero, at most MAX_AMOUNT. No exponent ("1e5"), sign, thousands separator, space or non-ASCII
    digit: what is not plainly an amount is refused rather than guessed."""
    text = text.strip()
    if text.startswith("-") and AMOUNT_TEXT.fullmatch(text[1:]):
        raise AmountInvalid("min_value")
    if not text.isascii() or not AMOUNT_TEXT.fullmatch(text):
        raise AmountInvalid("invalid")
    if len(text.partition(".")[2]) > 2:
        raise AmountInvalid("max_decimal_places")
    amount = Decimal(text).quantize(CENT)
    if amount <= 0:
        raise AmountInvalid("min_value")
    if amount > MAX_AMOUNT:
        raise AmountInvalid("max_value")
    return amount


def to_cents(amount: Decimal) -> Decimal:
    """Round an amount half-up to the cent."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def split_by_shares(amount: Decimal, shares: Sequence[Fraction]) -> list[Decimal]:
    """Split `amount` (in cents) by exact `shares` that sum to 1 so that the parts add up to it exactly.

    The rule (largest remainder): each payee first gets their exact part rounded down to the cent; the cents left
    over (fewer than the number of payees) go one each to the payees whose exact parts lost the most in that
    rounding, the earlier payee first when two lost the same. So nobody gets a cent more than their exact part
    rounded up, or less than it rounded down.
    """
    if sum(shares, Fraction(0)) != 1 or any(share <= 0 for share in shares):
        raise ValueError(f"shares must be positive and sum to 1, not {[str(s) for s in shares]}")
    cents = Fraction(Decimal(amount)) * 100
    if cents.denominator != 1:
        raise ValueError(f"{amount} is not a whole number of cents")
    exact = [cents * share for share in shares]
    floors = [part.numerator // part.denominator for part in exact]
    left_over = int(cents) - sum(floors)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left_over]:
        floors[i] += 1
    return [(Decimal(part) / 100).quantize(CENT) for part in floors]


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money amount must be a Decimal, not {type(self.amount).__name__}")
        if self.currency not in CURRENCIES:
            raise ValueError(f"unknown currency {self.currency!r}")

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("Money can only be combined with Money")
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply Money by a Decimal or an int, never a float")
        return Money(self.amount * factor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def rounded(self) -> Money:
        return Money(to_cents(self.amount), self.currency)

    def __str__(self) -> str:
        return f"{self.currency} {to_cents(self.amount):,.2f}"
