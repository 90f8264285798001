"""Reads of the product catalogue: premium rates, premiums, mode factors, cash values, bulk lookups.

Rates and cash values are per 1,000 of sum assured; amounts are rounded half-up to the cent.
A point outside a table raises a `ProductTableLookupError` (a LookupError), never a default.

Single lookups (one query each):
    premium_rate(product=, sex=, issue_age=, term=, premium_term=)            -> Decimal per 1,000
    annual_premium(product=, sex=, issue_age=, term=, premium_term=, sum_assured=) -> Decimal
    mode_factor(product=, mode=)                                              -> Decimal
    modal_premium(annual, factor)                                             -> Decimal
    cash_value(product=, ..., policy_year=, sum_assured=)                     -> Decimal
    cash_value_rates(product=, ..., policy_years=)                            -> {year: Decimal per 1,000}
Bulk lookups for pricing many policies without a query each (keys use product ids):
    rate_lookup(products)[(product_id, sex, issue_age, term, premium_term)]   -> Decimal per 1,000
    mode_factor_lookup(products)[(product_id, mode)]                          -> Decimal
    cash_value_lookup(products)[(product_id, sex, issue_age, term, premium_term, policy_year)]
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db.models import Q, QuerySet

from lifecrm.core.money import to_cents
from lifecrm.products.models import CashValue, PremiumModeFactor, PremiumRate, Product

PER_MILLE = Decimal(1000)
SEXES = ("M", "F")


class ProductTableLookupError(LookupError):
    """A point outside a product table (age, term, premium term, year, sex or mode not offered)."""


class RateNotFound(ProductTableLookupError):
    """No premium rate for this product, sex, issue age, term and premium term."""


class CashValueNotFound(ProductTableLookupError):
    """No cash value for this product, sex, issue age, term, premium term and policy year."""


class ModeFactorNotFound(ProductTableLookupError):
    """The product does not offer this premium mode."""


ProductRef = Product | int


def _product_id(product: ProductRef) -> int:
    return product.pk if isinstance(product, Product) else int(product)


def _describe(product: ProductRef) -> str:
    return product.code if isinstance(product, Product) else f"product #{product}"


def products_on_sale(*, jurisdiction: str | None = None, riders: bool | None = None) -> QuerySet[Product]:
    """Active products, optionally of one jurisdiction, only riders (True) or only base plans (False)."""
    products = Product.objects.filter(is_active=True)
    if jurisdiction is not None:
        products = products.filter(jurisdiction_id=jurisdiction)
    if riders is not None:
        products = products.filter(is_rider=riders)
    return products.order_by("code")


def product_by_code(code: str) -> Product:
    """The product with this code, or ProductTableLookupError."""
    try:
        return Product.objects.get(code=code)
    except Product.DoesNotExist:
        raise ProductTableLookupError(f"no product with code {code!r}") from None


def product_ids_by_code(codes: Iterable[str], *, using: str = "default") -> dict[str, int]:
    """The ids of the products of `codes` that exist, by code (one query; `using`: a database alias)."""
    return dict(Product.objects.using(using).filter(code__in=list(codes)).values_list("code", "pk"))


def product_codes(product_ids: Iterable[int]) -> dict[int, str]:
    """Product code by id, for messages (one query)."""
    return dict(Product.objects.filter(pk__in=list(product_ids)).values_list("pk", "code"))


def premium_rate(*, product: ProductRef, sex: str, issue_age: int, term: int, premium_term: int) -> Decimal:
    """Gross annual premium per 1,000 of sum assured, or RateNotFound."""
    rate = (
        PremiumRate.objects.filter(
            product_id=_product_id(product), sex=sex, issue_age=issue_age, term=term, premium_term=premium_term
        )
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise RateNotFound(
            f"{_describe(product)} has no premium rate for sex {sex!r}, issue age {issue_age}, "
            f"term {term}, premium term {premium_term}"
        )
    return rate


def premium_for(rate: Decimal, sum_assured: Decimal | int) -> Decimal:
    """Annual premium = rate per 1,000 × sum assured / 1,000, rounded half-up to the cent."""
    return to_cents(rate * Decimal(sum_assured) / PER_MILLE)


def annual_premium(
    *, product: ProductRef, sex: str, issue_age: int, term: int, premium_term: int, sum_assured: Decimal | int
) -> Decimal:
    """Gross annual premium for `sum_assured`, rounded half-up to the cent."""
    rate = premium_rate(product=product, sex=sex, issue_age=issue_age, term=term, premium_term=premium_term)
    return premium_for(rate, sum_assured)


def modal_premium(annual: Decimal, factor: Decimal) -> Decimal:
    """Premium per instalment = annual premium × mode factor, rounded half-up to the cent."""
    return to_cents(Decimal(annual) * Decimal(factor))


def mode_factor(*, product: ProductRef, mode: str) -> Decimal:
    """The factor on the annual premium for one instalment of `mode`, or ModeFactorNotFound."""
    factor = (
        PremiumModeFactor.objects.filter(product_id=_product_id(product), mode=mode)
        .values_list("factor", flat=True)
        .first()
    )
    if factor is None:
        raise ModeFactorNotFound(f"{_describe(product)} does not offer premium mode {mode!r}")
    return factor


def cash_value_rate(
    *, product: ProductRef, sex: str, issue_age: int, term: int, premium_term: int, policy_year: int
) -> Decimal:
    """Cash value per 1,000 of sum assured at the end of `policy_year`, or CashValueNotFound."""
    value = (
        CashValue.objects.filter(
            product_id=_product_id(product),
            sex=sex,
            issue_age=issue_age,
            term=term,
            premium_term=premium_term,
            policy_year=policy_year,
        )
        .values_list("value", flat=True)
        .first()
    )
    if value is None:
        raise CashValueNotFound(
            f"{_describe(product)} has no cash value for sex {sex!r}, issue age {issue_age}, term {term}, "
            f"premium term {premium_term}, policy year {policy_year}"
        )
    return value


def cash_value_rates(*, product: ProductRef, sex: str, issue_age: int, term: int, premium_term: int,
                     policy_years: Iterable[int]) -> dict[int, Decimal]:
    """Cash values per 1,000 at the end of each of `policy_years` that the table has, by year (one query; a year
    the table lacks is simply absent: the caller decides whether that is an error)."""
    return dict(CashValue.objects.filter(
        product_id=_product_id(product), sex=sex, issue_age=issue_age, term=term, premium_term=premium_term,
        policy_year__in=list(policy_years)).values_list("policy_year", "value"))


def cash_value(
    *,
    product: ProductRef,
    sex: str,
    issue_age: int,
    term: int,
    premium_term: int,
    policy_year: int,
    sum_assured: Decimal | int,
) -> Decimal:
    """Cash value of `sum_assured` at the end of `policy_year` (0 before the first year ends), to the cent."""
    if policy_year == 0:
        return Decimal("0.00")
    rate = cash_value_rate(
        product=product,
        sex=sex,
        issue_age=issue_age,
        term=term,
        premium_term=premium_term,
        policy_year=policy_year,
    )
    return premium_for(rate, sum_assured)


def loan_limit(*, product: Product, cash_value_amount: Decimal) -> Decimal:
    """The most a policy loan may be: the product's loan limit % of the cash value, to the cent."""
    return to_cents(Decimal(cash_value_amount) * product.loan_limit_pct / Decimal(100))


class _TableLookup(dict):
    """A dict of table values that raises its table's LookupError, with the key, for a missing point."""

    error: type[ProductTableLookupError] = ProductTableLookupError
    key_names: tuple[str, ...] = ()

    def __missing__(self, key):
        if isinstance(key, tuple) and len(key) == len(self.key_names):
            described = ", ".join(f"{name} {value!r}" for name, value in zip(self.key_names, key, strict=True))
        else:
            described = repr(key)
        raise self.error(f"no table entry for {described}")


class RateLookup(_TableLookup):
    """(product_id, sex, issue_age, term, premium_term) → gross annual premium per 1,000."""

    error = RateNotFound
    key_names = ("product", "sex", "issue age", "term", "premium term")

    def annual_premium(
        self, product: ProductRef, sex: str, issue_age: int, term: int, premium_term: int, sum_assured
    ) -> Decimal:
        """Gross annual premium for `sum_assured`, rounded half-up to the cent (no query)."""
        return premium_for(self[(_product_id(product), sex, issue_age, term, premium_term)], sum_assured)


class ModeFactorLookup(_TableLookup):
    """(product_id, mode) → factor on the annual premium."""

    error = ModeFactorNotFound
    key_names = ("product", "mode")


class CashValueLookup(_TableLookup):
    """(product_id, sex, issue_age, term, premium_term, policy_year) → cash value per 1,000."""

    error = CashValueNotFound
    key_names = ("product", "sex", "issue age", "term", "premium term", "policy year")


def _ids(products: Iterable[ProductRef]) -> list[int]:
    return [_product_id(product) for product in products]


def rate_lookup(products: Iterable[ProductRef]) -> RateLookup:
    """Every premium rate of `products` in one query, keyed (product_id, sex, issue_age, term, premium_term)."""
    rows = PremiumRate.objects.filter(product_id__in=_ids(products)).values_list(
        "product_id", "sex", "issue_age", "term", "premium_term", "rate"
    )
    return RateLookup(((product_id, sex, age, term, years), rate) for product_id, sex, age, term, years, rate in rows)


def mode_factor_lookup(products: Iterable[ProductRef]) -> ModeFactorLookup:
    """Every premium mode factor of `products` in one query, keyed (product_id, mode)."""
    rows = PremiumModeFactor.objects.filter(product_id__in=_ids(products)).values_list("product_id", "mode", "factor")
    return ModeFactorLookup(((product_id, mode), factor) for product_id, mode, factor in rows)


def cash_value_lookup(products: Iterable[ProductRef]) -> CashValueLookup:
    """Every cash value of `products` in one query, keyed (product_id, sex, issue_age, term, premium_term, year)."""
    rows = CashValue.objects.filter(product_id__in=_ids(products)).values_list(
        "product_id", "sex", "issue_age", "term", "premium_term", "policy_year", "value"
    )
    return CashValueLookup(
        ((product_id, sex, age, term, years, year), value) for product_id, sex, age, term, years, year, value in rows
    )


CashValueKey = tuple[int, str, int, int, int]  # product_id, sex, issue_age, term, premium_term


def cash_value_vectors(keys: Iterable[CashValueKey]) -> dict[CashValueKey, list[Decimal]]:
    """Each key's cash values per 1,000 by policy year, index 0 (issue: 0) to the term's end, in one query; a key
    without a table is absent."""
    groups: dict[tuple[int, str, int, int], set[int]] = {}
    for product_id, sex, age, term, years in keys:
        groups.setdefault((product_id, sex, term, years), set()).add(age)
    if not groups:
        return {}
    which = Q()
    for (product_id, sex, term, years), ages in groups.items():
        which |= Q(product_id=product_id, sex=sex, term=term, premium_term=years, issue_age__in=sorted(ages))
    out: dict[CashValueKey, list[Decimal]] = {}
    for product_id, sex, age, term, years, year, value in CashValue.objects.filter(which).order_by(
            "product_id", "sex", "issue_age", "term", "premium_term", "policy_year").values_list(
            "product_id", "sex", "issue_age", "term", "premium_term", "policy_year", "value"):
        vector = out.setdefault((product_id, sex, age, term, years), [Decimal(0)])
        vector.extend([Decimal(0)] * (year + 1 - len(vector)))
        vector[year] = value
    return out


# -- assistance benefits (emergency assistance, data/assistance_benefits.json) -----------------------------------

ASSISTANCE_BENEFITS_FILE = Path(__file__).parent / "data" / "assistance_benefits.json"
ASSISTANCE_KINDS = frozenset({"ambulance", "hospital_referral", "medical_advice"})


@cache
def assistance_benefits() -> dict[str, frozenset[str]]:
    """Product code -> the emergency assistance it carries (ambulance, hospital_referral, medical_advice); shipped
    data, read once. An unknown kind in the file is an error, not a silent benefit."""
    rows = json.loads(ASSISTANCE_BENEFITS_FILE.read_text(encoding="utf-8"))["products"]
    unknown = {kind for kinds in rows.values() for kind in kinds} - ASSISTANCE_KINDS
    if unknown:
        raise ValueError(f"{ASSISTANCE_BENEFITS_FILE.name}: unknown assistance kinds {sorted(unknown)}")
    return {code: frozenset(kinds) for code, kinds in rows.items()}
