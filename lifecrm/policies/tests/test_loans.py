"""One loan ledger: simple interest by calendar days, repayments (interest first), what a loan may be and what a
surrender pays; the services journal each loan, repayment and settlement on the policy and audit them."""
from datetime import date
from decimal import Decimal

import pytest

from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
from lifecrm.org.access import AccessDenied, NotInScope
from lifecrm.policies import loans, services
from lifecrm.policies.models import PolicyEvent, PolicyLoan
from tests.factories import make_customer, make_org, make_policy, make_staff

D = Decimal


def loan(principal="10000", rate="5", taken_on=date(2025, 1, 1), repayments=(), kind="policy"):
    return loans.Loan(1, kind, D(principal), D(rate), taken_on, None, tuple((d, D(a)) for d, a in repayments))


class TestRules:
    def test_simple_interest_by_calendar_days(self):
        assert loans.loan_interest(principal=D("10000"), rate_percent=D("5"), start=date(2025, 1, 1),
                                   end=date(2026, 1, 1)) == D("500.00")
        assert loans.loan_interest(principal=D("10000"), rate_percent=D("5"), start=date(2025, 1, 1),
                                   end=date(2025, 1, 31)) == D("41.10")
        assert loans.loan_interest(principal=D("10000"), rate_percent=D("5"), start=date(2025, 1, 1),
                                   end=date(2025, 1, 1)) == D("0.00")

    def test_a_repayment_pays_the_interest_first_then_principal(self):
        # 41.10 of interest by 31 Jan; 1,041.10 repaid leaves 9,000 owing, on which interest runs from then.
        repaid = loan(repayments=[(date(2025, 1, 31), "1041.10")])
        assert loans.loan_owed(repaid, date(2025, 1, 31)) == loans.LoanPosition(D("9000.00"), D("0.00"))
        assert loans.loan_owed(repaid, date(2025, 3, 2)) == loans.LoanPosition(D("9000.00"), D("36.99"))
        # before the repayment's day it does not count yet
        assert loans.loan_owed(repaid, date(2025, 1, 30)).principal == D("10000.00")

    def test_nothing_before_it_is_taken(self):
        assert loans.loan_owed(loan(), date(2024, 12, 31)) == loans.NOTHING

    def test_position_adds_up_every_kind_or_one(self):
        both = [loan(), loan(principal="361.50", taken_on=date(2025, 12, 1), kind="apl")]
        assert loans.position(both, date(2026, 1, 1)).principal == D("10361.50")
        assert loans.position(both, date(2026, 1, 1), kind="apl").principal == D("361.50")

    def test_loan_maximum_is_the_percentage_less_what_is_owed(self):
        assert loans.loan_maximum(cash_value=D("20000"), loan_limit_percent=D("80"),
                                  outstanding=D("5000.50")) == D("10999.50")
        assert loans.loan_maximum(cash_value=D("1000"), loan_limit_percent=D("80"), outstanding=D("900")) == D("0.00")

    def test_surrender_value(self):
        assert loans.surrender_value(cash_value=D("17561.64"),
                                     owed=loans.LoanPosition(D("5000"), D("41.10"))) == D("12520.54")
        assert loans.surrender_value(cash_value=D("100"), owed=loans.LoanPosition(D("90"), D("20"))) == D("0.00")


@pytest.mark.django_db
class TestServices:
    @pytest.fixture
    def world(self):
        org = make_org()
        agent = make_staff("agent", org.team_a)
        owner = make_customer(branch=org.branch_a, agent=agent)
        policy = make_policy(owner=owner, agent=agent, branch=org.branch_a)
        return org, agent, policy

    def grant(self, policy, kind="policy", principal="10000", on=date(2025, 1, 1), actor=SYSTEM):
        return services.policy_loan_grant(actor=actor, policy_id=policy.pk, kind=kind, principal=D(principal),
                                          rate_percent=D("5"), taken_on=on, as_of=on, reference="SV00000001")

    def test_each_loan_repayment_and_settlement_is_journaled_and_audited(self, world):
        _, _, policy = world
        granted = self.grant(policy)
        services.policy_loan_repay(actor=SYSTEM, loan_id=granted.pk, amount=D("1041.10"), paid_on=date(2025, 1, 31),
                                   as_of=date(2025, 1, 31))
        self.grant(policy, kind="apl", principal="361.50", on=date(2025, 6, 30))
        owed = services.policy_loans_settle(actor=SYSTEM, policy_id=policy.pk, on=date(2025, 7, 30),
                                            as_of=date(2025, 7, 30))
        assert owed == loans.LoanPosition(D("9361.50"), D("223.41"))  # 9,000 × 5 % × 180/365 + 361.50 × 5 % × 30/365
        kinds = list(PolicyEvent.objects.filter(policy=policy, kind__startswith="loan").values_list("kind", flat=True))
        assert kinds == ["loan_granted", "loan_repaid", "loan_granted", "loans_settled"]
        assert not PolicyLoan.objects.filter(policy=policy, settled_on__isnull=True).exists()
        assert AuditEvent.objects.filter(object_type="policies.policyloan", action="create").count() == 2
        assert AuditEvent.objects.filter(object_type="policies.loanrepayment").count() == 1
        assert loans.loan_position(policy_id=policy.pk, on=date(2025, 8, 1)) == loans.NOTHING

    def test_repaying_in_full_settles_more_is_refused(self, world):
        _, _, policy = world
        granted = self.grant(policy)
        with pytest.raises(services.LoanRefused, match="10041.10"):
            services.policy_loan_repay(actor=SYSTEM, loan_id=granted.pk, amount=D("10041.11"),
                                       paid_on=date(2025, 1, 31), as_of=date(2025, 1, 31))
        services.policy_loan_repay(actor=SYSTEM, loan_id=granted.pk, amount=D("10041.10"), paid_on=date(2025, 1, 31),
                                   as_of=date(2025, 1, 31))
        granted.refresh_from_db()
        assert granted.settled_on == date(2025, 1, 31)

    def test_the_actor_is_checked(self, world):
        org, _, policy = world
        other_agent = make_staff("agent", org.team_b)
        with pytest.raises((AccessDenied, NotInScope)):
            self.grant(policy, actor=other_agent.user)
        assert not PolicyLoan.objects.exists()

    def test_loans_of_many_policies_in_two_queries(self, world, django_assert_num_queries):
        _, _, policy = world
        self.grant(policy)
        self.grant(policy, kind="apl", principal="100", on=date(2025, 2, 1))
        with django_assert_num_queries(2):
            found = loans.loans_by_policy([policy.pk, policy.pk + 1000])
        assert [x.kind for x in found[policy.pk]] == ["policy", "apl"]
