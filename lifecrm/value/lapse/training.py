"""Training the lapse-risk model with a time-based holdout, against a rule baseline; storing the version and
scoring the book.

Cut-offs are HORIZON_DAYS apart, counted back from the as-of date: the latest, as-of − 90 days, is the test
cut-off (its labels are observed up to the as-of date); the TRAIN_CUTOFFS before it train the model. Every
training label window ends on or before the test cut-off, so nothing the test period shows is learnt.
The baseline is `features.baseline_flag`, a rule, as a probability: the lapse rate of its two groups in the
training data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lifecrm.billing.services import renewal_priorities_replace
from lifecrm.core.actors import system
from lifecrm.policies.selectors import policy_facts_on, policy_ids_between
from lifecrm.value.lapse import metrics
from lifecrm.value.lapse.features import FEATURES, HORIZON_DAYS, FeatureSet, book_features
from lifecrm.value.lapse.model import ALGORITHM, LapseModel
from lifecrm.value.models import LapseModelVersion, LapseScore
from lifecrm.value.selectors import policy_pvfps

TRAIN_CUTOFFS = 3


class NotEnoughHistory(ValueError):
    """The book has too few policies or lapses at the cut-offs to train or test a model."""


def cutoffs(as_of: date, train: int = TRAIN_CUTOFFS) -> tuple[list[date], date]:
    """(training cut-offs, oldest first; the test cut-off): every HORIZON_DAYS back from `as_of`."""
    test = as_of - timedelta(days=HORIZON_DAYS)
    return [test - timedelta(days=HORIZON_DAYS * k) for k in range(train, 0, -1)], test


def stack(sets: list[FeatureSet]) -> FeatureSet:
    return FeatureSet(sets[-1].on, np.concatenate([s.policy_ids for s in sets]), np.vstack([s.x for s in sets]),
                      np.concatenate([s.labels for s in sets]), np.concatenate([s.rule for s in sets]))


def baseline_probabilities(train: FeatureSet, rule: np.ndarray) -> np.ndarray:
    """The rule as a probability: the training lapse rate of the flagged, or of the unflagged, policies."""
    flagged = train.labels[train.rule].mean() if train.rule.any() else 0.0
    unflagged = train.labels[~train.rule].mean() if (~train.rule).any() else 0.0
    return np.where(rule, flagged, unflagged)


@dataclass
class Scorecard:
    """One scorer's figures on the test cut-off."""

    auc: float
    precision_top_decile: float
    brier: float
    calibration_error: float
    calibration: list[metrics.CalibrationBin] = field(default_factory=list)

    @classmethod
    def of(cls, probabilities: np.ndarray, labels: np.ndarray) -> Scorecard:
        bins = metrics.calibration(probabilities, labels)
        return cls(metrics.auc(probabilities, labels), metrics.precision_at_top(probabilities, labels),
                   metrics.brier(probabilities, labels), metrics.calibration_error(bins), bins)

    def as_dict(self) -> dict:
        return {"auc": self.auc, "precision_top_decile": self.precision_top_decile, "brier": self.brier,
                "calibration_error": self.calibration_error,
                "calibration": [[b.policies, b.predicted, b.observed] for b in self.calibration]}


@dataclass
class Training:
    """What a training run found: the model, the populations, both scorecards."""

    as_of: date
    train_cutoffs: list[date]
    test_cutoff: date
    model: LapseModel
    train_policies: int
    train_lapses: int
    test_policies: int
    test_lapses: int
    model_card: Scorecard
    baseline_card: Scorecard

    @property
    def beats_baseline(self) -> bool:
        return (self.model_card.auc > self.baseline_card.auc
                and self.model_card.precision_top_decile > self.baseline_card.precision_top_decile)

    def metrics(self) -> dict:
        return {"model": self.model_card.as_dict(), "baseline": self.baseline_card.as_dict(),
                "train": {"policies": self.train_policies, "lapses": self.train_lapses},
                "test": {"policies": self.test_policies, "lapses": self.test_lapses},
                "beats_baseline": self.beats_baseline}


def labelled_set(on: date) -> FeatureSet:
    return book_features(on=on, policy_ids=policy_ids_between(last_issued=on), labelled=True)


def train(*, as_of: date, train_cutoffs: int = TRAIN_CUTOFFS) -> Training:
    """Fit on the training cut-offs, evaluate model and baseline on the test cut-off. Writes nothing."""
    train_on, test_on = cutoffs(as_of, train_cutoffs)
    training = stack([labelled_set(on) for on in train_on])
    test = labelled_set(test_on)
    for name, part in (("training", training), ("test", test)):
        lapses = int(part.labels.sum()) if len(part) else 0
        if lapses < 5 or len(part) - lapses < 5:
            raise NotEnoughHistory(
                f"the {name} cut-offs hold {len(part):,} premium-paying policies of which {lapses:,} lapsed within "
                f"{HORIZON_DAYS} days: too few to learn from (generate a bigger book, or pick a later --as-of)")
    model = LapseModel.fit(training.x, training.labels, FEATURES)
    return Training(
        as_of=as_of, train_cutoffs=train_on, test_cutoff=test_on, model=model,
        train_policies=len(training), train_lapses=int(training.labels.sum()),
        test_policies=len(test), test_lapses=int(test.labels.sum()),
        model_card=Scorecard.of(model.predict(test.x), test.labels),
        baseline_card=Scorecard.of(baseline_probabilities(training, test.rule), test.labels),
    )


@transaction.atomic
def model_store(training: Training) -> LapseModelVersion:
    """Store the trained model as the next version."""
    parameters = training.model.parameters()
    last = LapseModelVersion.objects.aggregate(last=Max("version"))["last"] or 0
    return LapseModelVersion.objects.create(
        version=last + 1, as_of=training.as_of, trained_at=timezone.now(), algorithm=ALGORITHM,
        train_cutoffs=[d.isoformat() for d in training.train_cutoffs], test_cutoff=training.test_cutoff,
        parameters=parameters, checksum=LapseModel.checksum(parameters), metrics=training.metrics())


def current_model() -> LapseModelVersion | None:
    return LapseModelVersion.objects.order_by("-version").first()


@transaction.atomic
def scores_compute(*, version: LapseModelVersion, as_of: date) -> int:
    """Score every premium-paying policy at `as_of` with `version` and store the score and its reasons.
    Returns the rows written; a rerun of the same (as_of, version) writes nothing new."""
    model = LapseModel.from_parameters(version.parameters, version.checksum)
    population = book_features(on=as_of, policy_ids=policy_ids_between(last_issued=as_of), labelled=False)
    if not len(population):
        return 0
    probabilities = model.predict(population.x)
    reasons = model.reasons(population.x)
    rows = [LapseScore(policy_id=int(pid), as_of=as_of, model=version, score=float(p), reasons=r)
            for pid, p, r in zip(population.policy_ids, probabilities, reasons, strict=True)]
    before = LapseScore.objects.filter(as_of=as_of, model=version).count()
    LapseScore.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return LapseScore.objects.filter(as_of=as_of, model=version).count() - before


LAPSE_BATCH = system("value.train-lapse")


def priorities_publish(*, version: LapseModelVersion, as_of: date) -> int:
    """Hand billing the renewal priorities of the policies scored at `as_of` by `version`: lapse risk × value,
    the value being the policy's PVFP at `as_of` (`value policies`) or, where it was not valued, its annualised
    premium. Returns the policies written."""
    scores = dict(LapseScore.objects.filter(as_of=as_of, model=version).values_list("policy_id", "score"))
    if not scores:
        return 0
    pvfp = policy_pvfps(as_of=as_of)
    premiums = {fact.policy_id: fact.annual_premium
                for fact in policy_facts_on(on=as_of, first_id=min(scores), last_id=max(scores))}
    priorities = {policy_id: (risk, pvfp.get(policy_id, premiums.get(policy_id, 0)))
                  for policy_id, risk in scores.items()}
    return renewal_priorities_replace(actor=LAPSE_BATCH, as_of=as_of, priorities=priorities)
