"""The lapse-risk model (value.lapse): metrics on hand-made examples, the time split, features read from the
database only, the model beating the rule baseline on a generated book, the stored version and scores, the
command's table and exit status."""
from __future__ import annotations

import ast
import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lifecrm.billing.models import DueItem
from lifecrm.policies.models import PolicyEvent
from lifecrm.value.lapse import metrics
from lifecrm.value.lapse.features import FEATURES, HORIZON_DAYS, INDEX, features_at
from lifecrm.value.lapse.model import LapseModel, ModelIntegrityError
from lifecrm.value.lapse.training import cutoffs, train
from lifecrm.value.models import LapseModelVersion, LapseScore
from tests.factories import make_customer, make_org, make_policy, make_staff

AS_OF = date(2026, 11, 25)
LAPSE_PACKAGE = Path(__file__).resolve().parents[1] / "lapse"


# --- metrics on hand-made examples -------------------------------------------------------------------------

def test_auc_counts_pairs_and_shares_ties():
    # positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered right
    assert metrics.auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert metrics.auc([1, 1, 0, 0], [1, 0, 1, 0]) == pytest.approx(0.5)  # a rule's ties: half each
    assert metrics.auc([0.9, 0.8, 0.1], [1, 1, 0]) == pytest.approx(1.0)
    assert math.isnan(metrics.auc([0.2, 0.3], [0, 0]))


def test_precision_in_the_top_decile_shares_the_places_of_ties():
    scores = np.arange(20, dtype=float)  # the top decile: the 2 highest scores (18, 19)
    labels = np.zeros(20, dtype=bool)
    labels[[19, 5]] = True
    assert metrics.precision_at_top(scores, labels) == pytest.approx(0.5)
    # four policies tied at the top for two places, two of them lapsed: expected precision 0.5
    tied = np.array([1, 1, 1, 1] + [0] * 16, dtype=float)
    assert metrics.precision_at_top(tied, np.array([1, 1, 0, 0] + [0] * 16, dtype=bool)) == pytest.approx(0.5)


def test_calibration_bins_and_brier_score():
    probabilities = [0.1, 0.1, 0.2, 0.2, 0.6, 0.8]
    labels = [0, 0, 0, 1, 1, 1]
    bins = metrics.calibration(probabilities, labels, bins=3)
    assert [(b.policies, round(b.predicted, 3), round(b.observed, 3)) for b in bins] == [
        (2, 0.1, 0.0), (2, 0.2, 0.5), (2, 0.7, 1.0)]
    assert metrics.calibration_error(bins) == pytest.approx((0.1 + 0.3 + 0.3) / 3)
    assert metrics.brier([1.0, 0.0, 0.5], [1, 0, 1]) == pytest.approx(0.25 / 3)


# --- the time split --------------------------------------------------------------------------------------------

def test_training_cutoffs_come_before_the_test_cutoff_and_their_labels_end_by_it():
    train_on, test_on = cutoffs(AS_OF, 3)
    assert test_on == AS_OF - timedelta(days=HORIZON_DAYS)  # the test labels are observed up to the as-of date
    assert train_on == sorted(train_on) and len(train_on) == 3
    assert all(on + timedelta(days=HORIZON_DAYS) <= test_on for on in train_on)


# --- the features read only the database -------------------------------------------------------------------------

def test_the_lapse_package_imports_no_generator():
    """What the model reads comes through selectors from the database: no generator module (whose hidden drivers,
    such as household income, are never stored) is imported by it. import-linter checks the indirect imports."""
    for path in LAPSE_PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        names += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not [n for n in names if "generator" in n], path


@pytest.fixture
def hand_book(db):
    org = make_org()
    agent = make_staff("agent", org.team_a)
    other_agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent, birth_date=date(1990, 6, 1), occupation_class=3)
    return org, agent, other_agent, owner


def _event(policy, kind: str, to_status: str, day: date, from_status: str = "in_force"):
    seq = PolicyEvent.objects.filter(policy=policy).count() + 1
    PolicyEvent.objects.create(policy=policy, seq=seq, kind=kind, from_status=from_status, to_status=to_status,
                               effective_date=day, recorded_at=datetime(day.year, day.month, day.day, tzinfo=UTC))


def test_features_and_labels_of_a_hand_made_book(hand_book):
    org, agent, other_agent, owner = hand_book
    on = date(2026, 6, 30)
    issue = date(2024, 3, 15)
    # a cash payer, monthly: a grace period last year, then in grace on the cut-off, suspended 40 days later
    late = make_policy(owner=owner, agent=other_agent, branch=org.branch_a, issue_date=issue, as_of=issue,
                       payment_method="cash", premium_mode="monthly", annual_premium=Decimal("2400.00"),
                       modal_premium=Decimal("200.00"))
    _event(late, "grace_started", "grace", date(2025, 9, 16))
    _event(late, "premium_paid", "in_force", date(2025, 10, 1), "grace")
    _event(late, "grace_started", "grace", date(2026, 6, 16))
    _event(late, "suspended", "suspended", date(2026, 8, 9), "grace")
    for month, paid in ((4, date(2026, 4, 10)), (5, date(2026, 5, 12)), (6, None)):
        due = date(2026, month, 15)
        DueItem.objects.create(policy=late, instalment=month, due_date=due, amount=Decimal("200.00"),
                               paid_amount=Decimal("200.00") if paid else 0, currency="CNY",
                               status="paid" if paid else "open", paid_on=paid, raised_on=due - timedelta(days=30))
    # an annual auto-debit payer, never late, with its next premium due after the horizon
    steady = make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2025, 1, 10),
                         as_of=date(2025, 1, 10), premium_mode="annual", annual_premium=Decimal("5000.00"),
                         modal_premium=Decimal("5000.00"))
    # surrendered before the cut-off: outside the population
    gone = make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=issue, as_of=issue)
    _event(gone, "surrendered", "surrendered", date(2026, 1, 5))
    # issued after the cut-off: outside too
    make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2026, 8, 1), as_of=date(2026, 8, 1))

    found = features_at(on=on, first_id=late.pk, last_id=late.pk + 100, labelled=True)
    assert list(found.policy_ids) == [late.pk, steady.pk]
    assert list(found.labels) == [True, False]
    assert list(found.rule) == [True, False]
    first, second = found.x
    expected = {"in_grace": 1, "days_in_grace": 14, "grace_periods_ever": 2, "grace_periods_last_year": 2,
                "grace_periods_recent": 1, "overdue_premiums": 1, "late_payments_last_year": 0,
                "days_paid_early": 4.0, "method_cash": 1, "payments_per_year": 12, "premiums_due_next_90_days": 3,
                "policy_year_3": 1, "owner_age": 36, "occupation_class_3": 1, "agent_not_servicing_agent": 1,
                "payer_policies": 3, "ever_suspended": 0, "kind_term": 1}
    assert {name: first[INDEX[name]] for name in expected} == pytest.approx(expected)
    assert first[INDEX["log_annual_premium"]] == pytest.approx(math.log1p(2400))
    assert second[INDEX["in_grace"]] == 0 and second[INDEX["method_auto_debit"]] == 1
    assert second[INDEX["premiums_due_next_90_days"]] == 0  # next due 2027-01-10
    assert second[INDEX["policy_year_2"]] == 1 and second[INDEX["agent_not_servicing_agent"]] == 0

    # what happened after the cut-off changes the label only, never a feature
    before = features_at(on=on, first_id=late.pk, last_id=late.pk + 100, labelled=False)
    assert before.labels is None
    np.testing.assert_array_equal(before.x, found.x)


def test_features_take_a_fixed_number_of_queries(hand_book, django_assert_num_queries):
    org, agent, _other, owner = hand_book
    first = make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2025, 1, 10),
                        as_of=date(2025, 1, 10))
    for _ in range(5):
        make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2025, 1, 10),
                    as_of=date(2025, 1, 10))
    with django_assert_num_queries(6):
        found = features_at(on=date(2026, 6, 30), first_id=first.pk, last_id=first.pk + 10, labelled=True)
    assert len(found) == 6


# --- the model, the baseline and the command on a generated book ------------------------------------------------

@pytest.fixture
def generated_book(db):
    call_command("seed", customers="4000", seed="7", as_of=AS_OF.isoformat(), no_progress=True, stdout=StringIO())


def test_the_model_beats_the_rule_baseline_on_the_holdout(generated_book):
    result = train(as_of=AS_OF)
    assert result.test_cutoff == AS_OF - timedelta(days=HORIZON_DAYS)
    assert result.train_lapses >= 50 and result.test_lapses >= 20
    assert result.model_card.auc > result.baseline_card.auc + 0.03
    assert result.model_card.precision_top_decile > result.baseline_card.precision_top_decile
    assert result.model_card.brier < result.baseline_card.brier
    assert result.model_card.calibration_error < 0.01
    assert result.beats_baseline


def test_train_lapse_prints_the_table_stores_the_version_and_scores_the_book(generated_book):
    out = StringIO()
    call_command("value", "train-lapse", as_of=AS_OF.isoformat(), stdout=out)
    text = out.getvalue()
    for line in ("AUC", "precision in the top decile", "Brier score", "calibration error", "decile",
                 "stored lapse model v1"):
        assert line in text
    version = LapseModelVersion.objects.get()
    assert version.metrics["beats_baseline"] is True
    assert version.test_cutoff == AS_OF - timedelta(days=HORIZON_DAYS)
    model = LapseModel.from_parameters(version.parameters, version.checksum)
    assert model.features == FEATURES
    scores = list(LapseScore.objects.filter(as_of=AS_OF, model=version).order_by("-score"))
    assert len(scores) > 1000
    riskiest = scores[0]
    assert riskiest.score > 0.3 and riskiest.reasons
    assert {"feature", "value", "contribution"} <= set(riskiest.reasons[0])
    assert all(r["contribution"] > 0 for s in scores[:50] for r in s.reasons)
    # the renewal work lists' order: risk × value (PVFP, or the annualised premium where not valued)
    from lifecrm.billing.models import RenewalPriority

    assert RenewalPriority.objects.count() == len(scores)
    top = RenewalPriority.objects.order_by("-priority").first()
    assert top.priority == pytest.approx(top.lapse_risk * float(top.value))

    # the owner's personal data export shows the score and its reasons (PIPL Art. 24)
    from lifecrm.core.privacy import personal_data
    from lifecrm.policies.models import Policy

    owner_id = Policy.objects.values_list("owner_id", flat=True).get(pk=riskiest.policy_id)
    section = personal_data(owner_id)["lapse_risk"]
    assert any(row["probability_90_days"] == round(riskiest.score, 4) and row["reasons"] == riskiest.reasons
               for row in section)

    # scoring a later date with the stored model, without training; the same date again writes nothing new
    out = StringIO()
    call_command("value", "score-lapse", as_of=(AS_OF + timedelta(days=7)).isoformat(), stdout=out)
    assert f"newly scored at {AS_OF + timedelta(days=7)}" in out.getvalue()
    assert LapseScore.objects.filter(as_of=AS_OF + timedelta(days=7)).count() > 1000
    out = StringIO()
    call_command("value", "score-lapse", as_of=AS_OF.isoformat(), stdout=out)
    assert "0 policies newly scored" in out.getvalue()

    # a second run is the next version; a stored model whose parameters were altered is refused
    call_command("value", "train-lapse", as_of=AS_OF.isoformat(), stdout=StringIO())
    assert list(LapseModelVersion.objects.values_list("version", flat=True)) == [2, 1]
    altered = dict(version.parameters, intercept=version.parameters["intercept"] + 1)
    with pytest.raises(ModelIntegrityError):
        LapseModel.from_parameters(altered, version.checksum)

    # scores and priorities are derived from the book: replacing it deletes them, the model versions stay
    from django.db import connection

    if connection.vendor == "postgresql":  # the test's transaction: its deferred foreign-key checks run now, as a
        with connection.cursor() as cursor:  # commit would run them (TRUNCATE refuses pending trigger events)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("seed", customers="50", seed="8", as_of=AS_OF.isoformat(), no_progress=True, replace=True,
                 stdout=StringIO())
    assert not LapseScore.objects.exists() and not RenewalPriority.objects.exists()
    assert LapseModelVersion.objects.count() == 2


def test_train_lapse_exits_non_zero_when_the_model_does_not_beat_the_baseline(generated_book, monkeypatch):
    monkeypatch.setattr(LapseModel, "predict", lambda self, x: np.full(len(x), 0.01))
    out = StringIO()
    with pytest.raises(CommandError, match="does not beat the rule baseline"):
        call_command("value", "train-lapse", as_of=AS_OF.isoformat(), stdout=out)
    assert "AUC" in out.getvalue()
    assert not LapseModelVersion.objects.exists() and not LapseScore.objects.exists()


def test_train_lapse_refuses_a_book_without_history(db):
    with pytest.raises(CommandError, match="no lapse model is stored yet"):
        call_command("value", "score-lapse", as_of=AS_OF.isoformat(), stdout=StringIO())
    with pytest.raises(CommandError, match="too few to learn from"):
        call_command("value", "train-lapse", as_of=AS_OF.isoformat(), stdout=StringIO())
    with pytest.raises(CommandError, match="--as-of"):
        call_command("value", "train-lapse", as_of="2026-13-01", stdout=StringIO())


# --- renewal work lists ordered by risk × value ------------------------------------------------------------------

def test_the_grace_list_puts_the_riskiest_and_most_valuable_first(hand_book):
    from lifecrm.billing.models import RenewalPriority
    from lifecrm.billing.services import PriorityRefused, renewal_priorities_replace
    from lifecrm.billing.worklists import policies_in_grace
    from lifecrm.core.actors import system
    from lifecrm.policies.models import Policy

    org, agent, _other, owner = hand_book
    policies = []
    for due in (date(2026, 10, 1), date(2026, 10, 20), date(2026, 11, 1)):
        policy = make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2025, due.month, 1),
                             as_of=date(2025, due.month, 1), premium_mode="annual")
        Policy.objects.filter(pk=policy.pk).update(status="grace", status_date=due + timedelta(days=1))
        DueItem.objects.create(policy=policy, instalment=1, due_date=due, amount=Decimal("1339.00"), currency="CNY",
                               raised_on=due - timedelta(days=30))
        policies.append(policy)
    everyone = Policy.objects.all()
    # without scores: the longest overdue first
    assert [r.policy.pk for r in policies_in_grace(scope=None, as_of=AS_OF, policies=everyone)] == [
        p.pk for p in policies]
    written = renewal_priorities_replace(actor=system("test"), as_of=AS_OF, priorities={
        policies[0].pk: (0.05, Decimal("1000.00")),  # 50
        policies[1].pk: (0.50, Decimal("-300.00")),  # a loss-making policy: 0
        policies[2].pk: (0.20, Decimal("20000.00")),  # 4,000
    })
    assert written == 3
    assert RenewalPriority.objects.get(pk=policies[2].pk).priority == pytest.approx(4000)
    assert [r.policy.pk for r in policies_in_grace(scope=None, as_of=AS_OF, policies=everyone)] == [
        policies[2].pk, policies[0].pk, policies[1].pk]
    with pytest.raises(PriorityRefused):
        renewal_priorities_replace(actor=agent.user, as_of=AS_OF, priorities={})
