"""The lapse-risk model: a logistic regression on standardised features (scikit-learn), its scores and the
per-policy reasons, and its parameters as plain JSON with a SHA-256 checksum (no pickle: a stored model is data,
loading it runs no code).

A logistic model is chosen over gradient boosting because each score is then the sum of one contribution per
feature (coefficient × standardised value): the reasons given for a policy are exactly what made its score
(PIPL Art. 24: automated decisions are explainable), and it beats the rule baseline on the generated book.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

ALGORITHM = "logistic_regression"
REASONS = 3  # top contributing features kept per policy
REGULARISATION_C = 0.5


class ModelIntegrityError(ValueError):
    """Stored parameters whose checksum does not match: the model is not used."""


@dataclass(frozen=True)
class LapseModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    # --- fitting and scoring
    @classmethod
    def fit(cls, x: np.ndarray, labels: np.ndarray, features: tuple[str, ...]) -> LapseModel:
        from sklearn.linear_model import LogisticRegression

        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        fitted = LogisticRegression(C=REGULARISATION_C, max_iter=2000).fit((x - mean) / scale, labels.astype(int))
        return cls(tuple(features), mean, scale, fitted.coef_[0].copy(), float(fitted.intercept_[0]))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each feature's part of each policy's log-odds (policies × features)."""
        return (x - self.mean) / self.scale * self.coef

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The probability of lapsing within the horizon, per policy."""
        logit = self.contributions(x).sum(axis=1) + self.intercept
        return 1.0 / (1.0 + np.exp(-logit))

    def reasons(self, x: np.ndarray, count: int = REASONS) -> list[list[dict]]:
        """Per policy, the features that raise its risk most: name, the policy's value, the log-odds it adds."""
        parts = self.contributions(x)
        out = []
        for row, contribution in enumerate(parts):
            top = [j for j in np.argsort(-contribution, kind="mergesort")[:count] if contribution[j] > 0]
            out.append([{"feature": self.features[j], "value": round(float(x[row, j]), 4),
                         "contribution": round(float(contribution[j]), 4)} for j in top])
        return out

    # --- storage
    def parameters(self) -> dict:
        return {"algorithm": ALGORITHM, "features": list(self.features), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(), "intercept": self.intercept}

    @staticmethod
    def checksum(parameters: dict) -> str:
        canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def from_parameters(cls, parameters: dict, checksum: str) -> LapseModel:
        if cls.checksum(parameters) != checksum:
            raise ModelIntegrityError("the stored lapse model's parameters do not match their checksum")
        if parameters.get("algorithm") != ALGORITHM:
            raise ModelIntegrityError(f"unknown lapse model algorithm {parameters.get('algorithm')!r}")
        return cls(tuple(parameters["features"]), np.array(parameters["mean"]), np.array(parameters["scale"]),
                   np.array(parameters["coef"]), float(parameters["intercept"]))
