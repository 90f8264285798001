"""lifelib basiclife's tables and results (tests/data/basiclife/README.md): the projection's fixtures."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from lifecrm.value import tables

DATA = Path(__file__).resolve().parent / "data" / "basiclife"


def read_reference(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = {"policy_id": np.array([row["policy_id"] for row in rows], dtype=object)}
    for name in rows[0]:
        if name != "policy_id":
            out[name] = np.array([float(row[name]) for row in rows])
    return out


@pytest.fixture(scope="session")
def basiclife():
    return {
        "ME": tables.read_model_points(DATA / "model_point_table.csv", "ME"),
        "S": tables.read_model_points(DATA / "model_point_table.csv", "S"),
        "mort": tables.read_mortality(DATA / "mort_table.csv"),
        "disc": tables.read_discount(DATA / "disc_rate_ann.csv"),
        "premiums": tables.read_premium_table(DATA / "premium_table.csv"),
    }
