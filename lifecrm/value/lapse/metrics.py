"""Metrics of a risk score against observed outcomes, pure numpy: AUC, precision in the top decile,
calibration by bins of the score, Brier score. Ties are shared fairly (a rule scoring many policies alike is
neither favoured nor penalised by the order the policies happen to be in)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def auc(scores, labels) -> float:
    """Area under the ROC curve: the probability that a random positive scores above a random negative,
    ties counting one half (the Mann-Whitney statistic on average ranks). NaN without both classes."""
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if not positives or not negatives:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # average rank (1-based) of each group of equal scores
    starts = np.concatenate([[True], sorted_scores[1:] != sorted_scores[:-1]])
    group = np.cumsum(starts) - 1
    first = np.nonzero(starts)[0]
    last = np.concatenate([first[1:], [len(scores)]]) - 1
    ranks[order] = (first[group] + last[group]) / 2 + 1
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def precision_at_top(scores, labels, share: float = 0.10) -> float:
    """Share of positives among the `share` highest scores (the top decile by default). The policies tied at the
    threshold count in proportion to the places left, so a rule's ties yield its expected precision."""
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    if not len(scores):
        return float("nan")
    k = max(1, int(round(len(scores) * share)))
    threshold = np.sort(scores)[::-1][k - 1]
    above = scores > threshold
    tied = scores == threshold
    places = k - int(above.sum())
    hits = labels[above].sum() + places * labels[tied].mean()
    return float(hits / k)


def brier(probabilities, labels) -> float:
    """Mean squared difference between the predicted probability and the outcome (0 is perfect)."""
    probabilities = np.asarray(probabilities, dtype=float)
    labels = np.asarray(labels, dtype=float)
    return float(np.mean((probabilities - labels) ** 2)) if len(labels) else float("nan")


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    """One bin of policies with neighbouring scores: how many, the mean predicted probability, the share that
    lapsed."""

    policies: int
    predicted: float
    observed: float


def calibration(probabilities, labels, bins: int = 10) -> list[CalibrationBin]:
    """Policies sorted by predicted probability and cut into `bins` groups of (nearly) equal size; each bin's mean
    prediction against its observed rate. Empty bins are left out."""
    probabilities = np.asarray(probabilities, dtype=float)
    labels = np.asarray(labels, dtype=float)
    order = np.argsort(probabilities, kind="mergesort")
    out = []
    for part in np.array_split(order, bins):
        if len(part):
            out.append(CalibrationBin(len(part), float(probabilities[part].mean()), float(labels[part].mean())))
    return out


def calibration_error(bins: list[CalibrationBin]) -> float:
    """Expected calibration error: the policy-weighted mean of |predicted − observed| over the bins."""
    total = sum(b.policies for b in bins)
    return float(sum(b.policies * abs(b.predicted - b.observed) for b in bins) / total) if total else float("nan")
