"""Boundary tests of lifecrm.policies.rules: due dates at month ends, premium term, the status transition table."""
from __future__ import annotations

from datetime import date
from itertools import product

import pytest

from lifecrm.policies.rules import (
    COVER_IN_FORCE,
    PREMIUM_PAYING,
    TERMINAL,
    TRANSITIONS,
    Status,
    TransitionRefused,
    check_transition,
    due_date,
    maturity_date,
    months_between_payments,
    next_due_date,
    premium_term_end,
)

# Written out from DOMAIN.md's state machine, independently of the table under test.
ALLOWED = {
    ("proposal", "in_force"),
    ("in_force", "grace"), ("in_force", "paid_up"), ("in_force", "surrendered"), ("in_force", "matured"),
    ("in_force", "terminated"), ("in_force", "cooling_off_cancelled"),
    ("grace", "in_force"), ("grace", "suspended"), ("grace", "paid_up"), ("grace", "surrendered"),
    ("grace", "terminated"),
    ("suspended", "reinstated"), ("suspended", "lapsed"), ("suspended", "surrendered"),
    ("suspended", "terminated"),
    # a premium received within grace but booked after the suspension undoes it (no reinstatement)
    ("suspended", "in_force"), ("suspended", "grace"),
    ("reinstated", "in_force"), ("reinstated", "grace"), ("reinstated", "paid_up"),
    ("reinstated", "surrendered"), ("reinstated", "matured"), ("reinstated", "terminated"),
    ("paid_up", "surrendered"), ("paid_up", "matured"), ("paid_up", "terminated"),
    # a waiver-of-premium claim (issue 17 §3): cover runs without premiums to the policy's end
    ("in_force", "premium_waived"), ("grace", "premium_waived"), ("reinstated", "premium_waived"),
    ("premium_waived", "surrendered"), ("premium_waived", "matured"), ("premium_waived", "terminated"),
}
ENDS = {"surrendered", "lapsed", "matured", "terminated", "cooling_off_cancelled"}


class TestDueDates:
    def test_monthly_from_31_january_2024(self):
        issue = date(2024, 1, 31)
        assert [due_date(issue, "monthly", n) for n in range(5)] == [
            date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31),
        ]
        assert due_date(issue, "monthly", 13) == date(2025, 2, 28)

    @pytest.mark.parametrize(
        ("issue", "mode", "instalment", "expected"),
        [
            (date(2023, 11, 30), "quarterly", 1, date(2024, 2, 29)),
            (date(2023, 11, 30), "quarterly", 2, date(2024, 5, 30)),  # back to the 30th, not the 29th
            (date(2023, 8, 31), "semiannual", 1, date(2024, 2, 29)),
            (date(2023, 8, 31), "semiannual", 2, date(2024, 8, 31)),
            (date(2024, 2, 29), "annual", 1, date(2025, 2, 28)),
            (date(2024, 2, 29), "annual", 4, date(2028, 2, 29)),
        ],
    )
    def test_other_modes_at_month_ends(self, issue, mode, instalment, expected):
        assert due_date(issue, mode, instalment) == expected

    def test_the_first_premium_is_due_at_issue(self):
        assert due_date(date(2024, 1, 31), "annual", 0) == date(2024, 1, 31)

    def test_unknown_mode_is_refused(self):
        with pytest.raises(ValueError, match="weekly"):
            months_between_payments("weekly")
        with pytest.raises(ValueError):
            due_date(date(2024, 1, 31), "weekly", 1)

    def test_modes(self):
        assert {m: months_between_payments(m) for m in ("annual", "semiannual", "quarterly", "monthly")} == {
            "annual": 12, "semiannual": 6, "quarterly": 3, "monthly": 1,
        }


class TestPremiumTerm:
    def test_premium_term_end(self):
        assert premium_term_end(date(2024, 2, 29), 1) == date(2025, 2, 28)
        assert premium_term_end(date(2024, 2, 29), 20) == date(2044, 2, 29)
        assert premium_term_end(date(2024, 1, 31), 10) == date(2034, 1, 31)

    def test_next_due_date_until_the_term_is_complete(self):
        issue = date(2024, 1, 31)
        # annual, 3 years: due at issue, 2025, 2026; nothing in 2027.
        assert next_due_date(issue_date=issue, mode="annual", paid_instalments=0, premium_term_years=3) == issue
        assert next_due_date(issue_date=issue, mode="annual", paid_instalments=2, premium_term_years=3) == date(
            2026, 1, 31
        )
        assert next_due_date(issue_date=issue, mode="annual", paid_instalments=3, premium_term_years=3) is None
        # monthly, 1 year: the 12th instalment (index 11) is the last, on 31 December.
        assert next_due_date(issue_date=issue, mode="monthly", paid_instalments=11, premium_term_years=1) == date(
            2024, 12, 31
        )
        assert next_due_date(issue_date=issue, mode="monthly", paid_instalments=12, premium_term_years=1) is None
        assert next_due_date(issue_date=issue, mode="monthly", paid_instalments=1, premium_term_years=1) == date(
            2024, 2, 29
        )

    def test_maturity_date(self):
        assert maturity_date(date(2024, 2, 29), 20) == date(2044, 2, 29)
        assert maturity_date(date(2024, 2, 29), 1) == date(2025, 2, 28)
        assert maturity_date(date(2024, 2, 29), None) is None
        assert maturity_date(date(2024, 2, 29), 0) is None  # whole of life


class TestTransitions:
    def test_the_table_is_the_documented_state_machine(self):
        table = {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}
        assert table == ALLOWED
        assert set(TRANSITIONS) == set(Status)

    @pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
    def test_every_allowed_pair_is_accepted(self, current, target):
        check_transition(current, target)

    @pytest.mark.parametrize(
        ("current", "target"),
        sorted(set(product([s.value for s in Status], repeat=2)) - ALLOWED),
    )
    def test_every_other_pair_is_refused(self, current, target):
        with pytest.raises(TransitionRefused) as refused:
            check_transition(current, target)
        assert refused.value.current == current and refused.value.target == target
        assert current in str(refused.value) and target in str(refused.value)

    def test_terminal_states_have_no_exits(self):
        assert {s.value for s in TERMINAL} == ENDS
        for status in TERMINAL:
            assert TRANSITIONS[status] == frozenset()
            for target in Status:
                with pytest.raises(TransitionRefused):
                    check_transition(status, target)

    def test_unknown_status_is_refused(self):
        with pytest.raises(ValueError):
            check_transition("in_force", "alive")
        with pytest.raises(ValueError):
            check_transition("zombie", "in_force")

    def test_cover_and_premium_sets(self):
        assert PREMIUM_PAYING <= COVER_IN_FORCE
        assert not (COVER_IN_FORCE & TERMINAL)
        assert Status.PAID_UP in COVER_IN_FORCE and Status.PAID_UP not in PREMIUM_PAYING
        assert Status.PREMIUM_WAIVED in COVER_IN_FORCE and Status.PREMIUM_WAIVED not in PREMIUM_PAYING
        assert Status.SUSPENDED not in COVER_IN_FORCE
