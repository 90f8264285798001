"""Tests of the product selectors: single lookups, rounding, bulk lookups, and loud failures off the table."""
from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from lifecrm.products import selectors
from lifecrm.products.models import Product
from lifecrm.products.reference_data import DATA_DIR, load_product_tables

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    load_product_tables()
    return {product.code: product for product in Product.objects.all()}


def shipped_rate(code, sex, age, term, premium_term) -> Decimal:
    with (DATA_DIR / "premium_rates.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (row["product"], row["sex"], row["issue_age"], row["term"], row["premium_term"]) == (
                code, sex, str(age), str(term), str(premium_term)
            ):  # fmt: skip
                return Decimal(row["rate"])
    raise AssertionError("not shipped")


def test_premium_rate_and_annual_premium(catalogue):
    whole_life = catalogue["CN-WL01"]
    rate = selectors.premium_rate(product=whole_life, sex="M", issue_age=35, term=0, premium_term=20)
    assert rate == shipped_rate("CN-WL01", "M", 35, 0, 20)
    premium = selectors.annual_premium(
        product=whole_life.pk, sex="M", issue_age=35, term=0, premium_term=20, sum_assured=Decimal("200000")
    )
    assert premium == (rate * 200).quantize(Decimal("0.01"))
    assert premium.as_tuple().exponent == -2


def test_premiums_round_half_up_to_the_cent():
    assert selectors.premium_for(Decimal("1.2345"), 10_000) == Decimal("12.35")  # banker's rounding gives 12.34
    assert selectors.modal_premium(Decimal("1000.00"), Decimal("0.0900")) == Decimal("90.00")
    assert selectors.modal_premium(Decimal("333.33"), Decimal("0.2650")) == Decimal("88.33")
    assert selectors.modal_premium(Decimal("100.10"), Decimal("0.2650")) == Decimal("26.53")  # 26.5265


def test_mode_factors(catalogue):
    factors = {
        mode: selectors.mode_factor(product=catalogue["TW-WL01"], mode=mode)
        for mode in ("annual", "semiannual", "quarterly", "monthly")
    }
    assert factors == {
        "annual": Decimal("1.0000"),
        "semiannual": Decimal("0.5200"),
        "quarterly": Decimal("0.2650"),
        "monthly": Decimal("0.0900"),
    }
    with pytest.raises(selectors.ModeFactorNotFound, match="weekly"):
        selectors.mode_factor(product=catalogue["TW-WL01"], mode="weekly")


def test_cash_value_and_loan_limit(catalogue):
    endowment = catalogue["CN-EN01"]
    point = {"product": endowment, "sex": "F", "issue_age": 30, "term": 10, "premium_term": 10}
    assert selectors.cash_value(**point, policy_year=0, sum_assured=100_000) == Decimal("0.00")
    assert selectors.cash_value(**point, policy_year=10, sum_assured=100_000) == Decimal("100000.00")
    fifth = selectors.cash_value(**point, policy_year=5, sum_assured=100_000)
    assert Decimal(0) < fifth < Decimal(100_000)
    assert selectors.loan_limit(product=endowment, cash_value_amount=fifth) == (fifth * Decimal("0.8")).quantize(
        Decimal("0.01")
    )
    with pytest.raises(selectors.CashValueNotFound, match="policy year 11"):
        selectors.cash_value(**point, policy_year=11, sum_assured=100_000)


@pytest.mark.parametrize(
    "point",
    [
        {"issue_age": 56, "term": 10, "premium_term": 10},  # above the maximum issue age
        {"issue_age": 17, "term": 10, "premium_term": 10},  # below the minimum
        {"issue_age": 30, "term": 15, "premium_term": 15},  # a term not offered
        {"issue_age": 30, "term": 20, "premium_term": 10},  # a combination not offered
    ],
)
def test_points_outside_the_rate_table_raise(catalogue, point):
    with pytest.raises(selectors.RateNotFound) as raised:
        selectors.premium_rate(product=catalogue["CN-TL01"], sex="M", **point)
    assert isinstance(raised.value, LookupError) and "CN-TL01" in str(raised.value)
    with pytest.raises(selectors.RateNotFound):
        selectors.premium_rate(product=catalogue["CN-TL01"], sex="X", issue_age=30, term=10, premium_term=10)


def test_rate_lookup_prices_many_policies_with_one_query(catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):
        lookup = selectors.rate_lookup(catalogue.values())
    term = catalogue["CN-TL01"]
    key = (term.pk, "F", 40, 20, 20)
    assert lookup[key] == selectors.premium_rate(product=term, sex="F", issue_age=40, term=20, premium_term=20)
    assert lookup.annual_premium(term, "F", 40, 20, 20, 500_000) == selectors.annual_premium(
        product=term, sex="F", issue_age=40, term=20, premium_term=20, sum_assured=500_000
    )
    with pytest.raises(selectors.RateNotFound, match="issue age 70"):
        lookup[(term.pk, "F", 70, 20, 20)]
    assert (term.pk, "F", 70, 20, 20) not in lookup
    with django_assert_num_queries(1):
        modes = selectors.mode_factor_lookup([term])
    assert modes[(term.pk, "monthly")] == Decimal("0.0900")


def test_every_product_offers_a_full_grid(catalogue):
    """Each product's combinations exist for both sexes at every issue age from its minimum to its maximum."""
    lookup = selectors.rate_lookup(catalogue.values())
    values = selectors.cash_value_lookup(catalogue.values())
    for product in catalogue.values():
        combinations = {(term, years) for (pid, _, _, term, years) in lookup if pid == product.pk}
        assert {str(term) for term, _ in combinations} == set(product.terms.split(","))
        assert {str(years) for _, years in combinations} == set(product.premium_terms.split(","))
        for term, years in combinations:
            for sex in selectors.SEXES:
                for age in range(product.min_issue_age, product.max_issue_age + 1):
                    assert lookup[(product.pk, sex, age, term, years)] > 0
                    last_year = term or 105 - age
                    assert (product.pk, sex, age, term, years, last_year) in values
                    assert (product.pk, sex, age, term, years, last_year + 1) not in values


def test_catalogue_selectors(catalogue):
    codes = [product.code for product in selectors.products_on_sale(jurisdiction="HK")]
    assert codes == ["HK-TL01", "HK-WL01"]
    assert [p.code for p in selectors.products_on_sale(riders=True)] == ["CN-CI01", "CN-HC01"]
    assert selectors.product_by_code("TW-TL01").currency == "TWD"
    with pytest.raises(selectors.ProductTableLookupError):
        selectors.product_by_code("NOPE")
