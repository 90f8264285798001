"""The pure rules of servicing: status machine, clocks, cash value interpolation, loans, surrender, cooling-off
and maker-checker. No database."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lifecrm.core.rules import Period, Unit, WorkingCalendar
from lifecrm.servicing import rules
from lifecrm.servicing.rules import Clock, RequestStatus

# A synthetic week: Wednesday 1 Oct 2025 a holiday, Saturday 11 Oct a make-up working day.
CAL = WorkingCalendar("XX", exceptions={date(2025, 10, 1): False, date(2025, 10, 11): True})
PERIODS = {Clock.ACCEPT: Period(2, Unit.WORKING_DAYS), Clock.MISSING_ITEMS: Period(5, Unit.WORKING_DAYS),
           Clock.COMPLETE: Period(5, Unit.WORKING_DAYS), Clock.SURRENDER_PAYMENT: Period(30, Unit.DAYS)}


class TestStatusMachine:
    def test_the_happy_path_with_approval(self):
        path = ["received", "accepted", "awaiting_documents", "complete", "pending_approval", "approved", "executed"]
        for current, target in zip(path, path[1:], strict=False):
            assert rules.check_transition(current, target) == RequestStatus(target)

    @pytest.mark.parametrize(("current", "target"), [
        ("received", "executed"), ("received", "approved"), ("pending_approval", "executed"),
        ("executed", "cancelled"), ("rejected", "accepted"), ("awaiting_documents", "approved")])
    def test_refused_steps(self, current, target):
        with pytest.raises(rules.TransitionRefused):
            rules.check_transition(current, target)

    def test_closed_statuses(self):
        assert rules.CLOSED == {RequestStatus.EXECUTED, RequestStatus.REJECTED, RequestStatus.CANCELLED}


class TestClocks:
    def test_accept_across_a_holiday(self):
        # Tuesday 30 Sep: Wed 1 Oct off → Thu 2 (1), Fri 3 (2).
        clocks = rules.request_clocks(received_on=date(2025, 9, 30), complete_on=None, periods=PERIODS,
                                      calendar=CAL, is_surrender=False)
        assert clocks.accept_due == date(2025, 10, 3)
        assert clocks.complete_due is None and clocks.payment_due is None

    def test_missing_items_across_a_make_up_working_day(self):
        # Wednesday 8 Oct: Thu 9, Fri 10, Sat 11 (make-up), Mon 13, Tue 14.
        clocks = rules.request_clocks(received_on=date(2025, 10, 8), complete_on=None, periods=PERIODS,
                                      calendar=CAL, is_surrender=False)
        assert clocks.missing_items_due == date(2025, 10, 14)

    def test_complete_and_surrender_payment(self):
        clocks = rules.request_clocks(received_on=date(2025, 9, 1), complete_on=date(2025, 9, 26), periods=PERIODS,
                                      calendar=CAL, is_surrender=True)
        assert clocks.complete_due == date(2025, 10, 6)  # Mon 29, Tue 30, (Wed 1 off), Thu 2, Fri 3, Mon 6
        assert clocks.payment_due == date(2025, 10, 1)  # 30 calendar days: the insurer's own limit is not moved
        assert clocks.current_due(status="complete", missing_notice_sent=False) == date(2025, 10, 1)

    def test_current_deadline_by_status(self):
        clocks = rules.request_clocks(received_on=date(2025, 9, 30), complete_on=None, periods=PERIODS,
                                      calendar=CAL, is_surrender=False)
        assert clocks.current_due(status="received", missing_notice_sent=False) == clocks.accept_due
        assert clocks.current_due(status="awaiting_documents", missing_notice_sent=False) == clocks.missing_items_due
        assert clocks.current_due(status="awaiting_documents", missing_notice_sent=True) is None
        assert clocks.current_due(status="executed", missing_notice_sent=True) is None

    @pytest.mark.parametrize(("done_on", "as_of", "expected"), [
        (date(2025, 10, 2), date(2025, 10, 9), True),  # the day before
        (date(2025, 10, 3), date(2025, 10, 9), True),  # the day of
        (date(2025, 10, 6), date(2025, 10, 9), False),  # the day after
        (None, date(2025, 10, 3), None),  # still running on its last day
        (None, date(2025, 10, 6), False),  # overdue the day after
    ])
    def test_met(self, done_on, as_of, expected):
        assert rules.met(date(2025, 10, 3), done_on, as_of) is expected


class TestCoolingOff:
    def test_cn_refund_less_at_most_ten(self):
        cap = Decimal("10")
        assert rules.cooling_off_refund(premiums_paid=Decimal("1339.00"), cost=None, cost_cap=cap) == Decimal("1329.00")
        assert rules.cooling_off_refund(premiums_paid=Decimal("1339.00"), cost=Decimal("4"), cost_cap=cap) == \
            Decimal("1335.00")
        assert rules.cooling_off_refund(premiums_paid=Decimal("1339.00"), cost=Decimal("50"), cost_cap=cap) == \
            Decimal("1329.00")

    def test_hk_tw_full_refund(self):
        assert rules.cooling_off_refund(premiums_paid=Decimal("1339.00"), cost=Decimal("50"),
                                        cost_cap=Decimal("0")) == Decimal("1339.00")

    def test_a_last_day_on_a_rest_day_moves_to_the_next_working_day(self):
        period = Period(15, Unit.DAYS, customer_deadline=True)
        # 16 Sep + 15 days = Wed 1 Oct, the holiday → Thu 2 Oct.
        assert rules.cooling_off_end(period=period, receipt_date=date(2025, 9, 16), calendar=CAL) == date(2025, 10, 2)


class TestMakerChecker:
    def test_approval_rule(self):
        assert rules.ApprovalRule(always=True).needs_approval(None)
        above = rules.ApprovalRule(above_amount=Decimal("20000"))
        assert not above.needs_approval(Decimal("20000.00"))
        assert above.needs_approval(Decimal("20000.01"))
        assert not above.needs_approval(None)
        assert not rules.ApprovalRule().needs_approval(Decimal("1e9"))

    def test_the_maker_never_checks(self):
        assert not rules.may_check(maker_id=7, checker_id=7)
        assert not rules.may_check(maker_id=7, checker_id=None)
        assert rules.may_check(maker_id=7, checker_id=8)
        assert rules.may_check(maker_id=None, checker_id=8)

    def test_decrease_premium_in_proportion(self):
        assert rules.sum_assured_decrease_premium(annual_premium=Decimal("1339.00"), old_sum_assured=Decimal("500000"),
                                                  new_sum_assured=Decimal("300000")) == Decimal("803.40")
        with pytest.raises(ValueError):
            rules.sum_assured_decrease_premium(annual_premium=Decimal("1"), old_sum_assured=Decimal("5"),
                                               new_sum_assured=Decimal("5"))
