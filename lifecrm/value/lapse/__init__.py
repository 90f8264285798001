"""Lapse risk (issue 15 §6): which premium-paying policies stop being paid in the next 90 days.

| module | holds |
|---|---|
| `features` | the features of each policy at a cut-off date and its label, read from the database only |
| `metrics` | AUC, precision in the top decile, calibration bins, Brier score (pure numpy) |
| `model` | the logistic model: fit, score, per-policy reasons, its parameters as checked JSON |
| `training` | the time-based holdout, the rule baseline, the stored model version and the book's scores |
"""
