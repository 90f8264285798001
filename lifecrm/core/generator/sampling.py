"""Drawing values in bulk: weighted choices, uniform integers, unique scattered numbers, zero-padded digits."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def choice_weighted(rng: np.random.Generator, weights: Sequence[float] | np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with the given weights (inverse CDF on one uniform each: fast and stable)."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1)


def choice_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row of a (rows × options) weight matrix; a row of zeros gives -1."""
    cdf = np.cumsum(weights, axis=1)
    total = cdf[:, -1]
    u = rng.random(len(weights)) * total
    picked = (cdf <= u[:, None]).sum(axis=1)
    picked = np.minimum(picked, weights.shape[1] - 1)
    return np.where(total > 0, picked, -1)


def uniform_int(rng: np.random.Generator, low: np.ndarray | int, high: np.ndarray | int) -> np.ndarray:
    """Integers uniform in [low, high] (inclusive, element-wise); high < low gives low."""
    low = np.asarray(low, dtype=np.int64)
    high = np.asarray(high, dtype=np.int64)
    span = np.maximum(high - low + 1, 1)
    shape = np.broadcast(low, high).shape
    return low + (rng.random(shape) * span).astype(np.int64)


def unique_tail(index: np.ndarray, modulus: int, salt: int) -> np.ndarray:
    """A bijection of 0..modulus-1 applied to `index`: distinct indices give distinct, scattered values.

    Used for phone numbers and registration codes: unique by construction, no bookkeeping.
    """
    multiplier = 7_919_393 if modulus % 7_919_393 else 7_919_389  # a prime not dividing the modulus
    return (np.asarray(index, dtype=np.int64) * multiplier + salt) % modulus


def digits_str(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings (object array): digits as UCS-4 code points, viewed as strings."""
    values = np.asarray(values)
    if values.dtype.kind not in "iu" or not 0 < width <= 18 or (
            values.size and (values.min() < 0 or values.max() >= 10**width)):
        return np.array([f"{v:0{width}d}" for v in values.tolist()], dtype=object)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    codes = (values.astype(np.int64).reshape(-1, 1) // powers % 10 + ord("0")).astype(np.uint32)
    return codes.view(f"U{width}").reshape(-1).astype(object)
