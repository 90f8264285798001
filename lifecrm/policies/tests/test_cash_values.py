"""The cash value at the exact duration (one computation for servicing's loans and surrenders and billing's
automatic premium loans): the table's value at each policy-year end, linear by days in between, the day before,
of and after an anniversary, a leap-day issue, the table's last year holding on."""
from datetime import date
from decimal import Decimal

import pytest

from lifecrm.policies import cash_values
from lifecrm.products.models import CashValue
from lifecrm.products.selectors import CashValueNotFound
from tests.factories import make_customer, make_org, make_policy, make_product, make_staff

RATES = {1: Decimal("0"), 2: Decimal("100.0000"), 3: Decimal("250.0000")}
ISSUE = date(2023, 3, 1)


def cv(on, issue=ISSUE):
    return cash_values.cash_value_at(issue_date=issue, on=on, rates=RATES, sum_assured=Decimal("100000"))


class TestRule:
    def test_on_policy_year_ends_the_table_values(self):
        assert cv(date(2023, 3, 1)) == Decimal("0.00")
        assert cv(date(2025, 3, 1)) == Decimal("10000.00")
        assert cv(date(2026, 3, 1)) == Decimal("25000.00")

    def test_mid_year_linear_by_days(self):
        # 1 Mar 2025 → 1 Mar 2026 is 365 days; 1 Sep 2025 is day 184: 100 + 150 × 184/365 = 175.6164… per 1,000.
        assert cv(date(2025, 9, 1)) == Decimal("17561.64")

    def test_the_day_before_of_and_after_an_anniversary(self):
        assert cv(date(2025, 2, 28)) == Decimal("9972.60")  # day 364 of 365, from 0 to 100: 99.72602…
        assert cv(date(2025, 3, 1)) == Decimal("10000.00")
        assert cv(date(2025, 3, 2)) == Decimal("10041.10")  # day 1 of 365, from 100 to 250: 100.41095…

    def test_a_leap_day_issue_has_its_anniversary_on_28_february(self):
        assert cash_values.policy_years_completed(date(2024, 2, 29), date(2025, 2, 27)) == 0
        assert cash_values.policy_years_completed(date(2024, 2, 29), date(2025, 2, 28)) == 1

    def test_a_year_missing_from_the_table_fails_loudly(self):
        with pytest.raises(LookupError):
            cash_values.cash_value_at(issue_date=ISSUE, on=date(2026, 6, 1), rates=RATES, sum_assured=Decimal("1000"))

    def test_before_issue_is_refused(self):
        with pytest.raises(ValueError):
            cv(date(2023, 2, 28))


@pytest.mark.django_db
class TestPolicy:
    @pytest.fixture
    def policy(self):
        org = make_org()
        agent = make_staff("agent", org.team_a)
        owner = make_customer(branch=org.branch_a, agent=agent, birth_date=date(1980, 5, 17), sex="M")
        product = make_product("CVT3", terms="3")
        for year, value in ((1, "0"), (2, "100"), (3, "250")):
            CashValue.objects.create(product=product, sex="M", issue_age=42, term=3, premium_term=3,
                                     policy_year=year, value=Decimal(value))
        return make_policy(owner=owner, agent=agent, branch=org.branch_a, product=product, issue_date=ISSUE,
                           term_years=3, premium_term_years=3, sum_assured=Decimal("100000"))

    def test_reads_the_two_years_it_needs_in_one_query(self, policy, django_assert_num_queries):
        version = policy.versions.get(effective_to__isnull=True)
        policy = type(policy).objects.select_related("insured").get(pk=policy.pk)
        with django_assert_num_queries(1):
            assert cash_values.cash_value(policy=policy, on=date(2025, 9, 1),
                                          sum_assured=version.sum_assured) == Decimal("17561.64")

    @pytest.mark.parametrize(("on", "expected"), [
        (date(2025, 2, 28), "9972.60"), (date(2025, 3, 1), "10000.00"), (date(2025, 3, 2), "10041.10"),
        (date(2026, 3, 1), "25000.00"),  # the term's last day: the table's last year
        (date(2026, 6, 1), "25000.00"),  # past it the last value holds
    ])
    def test_exact_durations(self, policy, on, expected):
        assert cash_values.cash_value(policy=policy, on=on) == Decimal(expected)

    def test_a_policy_without_a_table_has_no_cash_value(self, policy):
        CashValue.objects.filter(product=policy.product).delete()
        with pytest.raises(CashValueNotFound):
            cash_values.cash_value(policy=policy, on=date(2025, 9, 1))
