"""Derives the product tables and writes them as CSV files: `python -m lifecrm.products.actuarial.derive`.

Writes, into lifecrm/products/data/ (or the folder given as the only argument):
    products.csv        one row per product (the Product model's fields)
    mode_factors.csv    product, mode, payments_per_year, factor
    premium_rates.csv   product, sex, issue_age, term, premium_term, rate (gross annual premium per 1,000 SA)
    cash_values.csv     product, sex, issue_age, term, premium_term, policy_year, value (per 1,000 SA)

Output is deterministic: fixed row order, 4 decimals, "\\n" line ends, UTF-8, so a rerun is
byte-identical. Cash values run from policy year 1 to the end of the term (to age 105 for
whole of life), for the (term, premium term) combinations each product offers.
"""
from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lifecrm.products.actuarial import pricing
from lifecrm.products.actuarial.basis import MODE_FACTORS, SEXES
from lifecrm.products.actuarial.catalogue import MORTALITY_BASIS_LABELS, PRODUCTS, ProductSpec

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

PRODUCT_COLUMNS = (
    "code", "name", "name_en", "kind", "is_rider", "jurisdiction", "currency", "premium_modes",
    "terms", "premium_terms", "min_issue_age", "max_issue_age", "min_sum_assured", "max_sum_assured",
    "loan_limit_pct", "grace_basis", "mortality_basis", "interest_rate", "basis_note", "is_active",
)  # fmt: skip
MODE_FACTOR_COLUMNS = ("product", "mode", "payments_per_year", "factor")
PREMIUM_RATE_COLUMNS = ("product", "sex", "issue_age", "term", "premium_term", "rate")
CASH_VALUE_COLUMNS = ("product", "sex", "issue_age", "term", "premium_term", "policy_year", "value")


@dataclass(frozen=True, slots=True)
class CoverTables:
    """The derived tables of one product, sex and cover, per 1,000 SA, for issue ages `ages`."""

    ages: np.ndarray
    gross_premium: np.ndarray
    net_premium: np.ndarray
    reserve: np.ndarray
    cash_value: np.ndarray
    policy_years: np.ndarray


def derive_cover(spec: ProductSpec, cover: pricing.Cover, sex: str) -> CoverTables:
    """Premiums, reserves (durations 0..n) and cash values (years 1..n) of one cover for all its issue ages."""
    ages = np.asarray(spec.table_ages, dtype=np.int64)
    if cover.kind == pricing.HOSPITAL:
        gross = pricing.hospital_cash_rate(spec.basis, ages)
        zeros = np.zeros((ages.size, 2))
        return CoverTables(ages, gross, gross, zeros, zeros, np.ones_like(ages))
    comm = pricing.cover_commutation(cover, sex, spec.basis)
    years = cover.policy_years(ages)
    gross = pricing.gross_premium(cover, comm, spec.basis, ages)
    net = pricing.net_premium(cover, comm, spec.basis, ages)
    durations = np.arange(int(years.max()) + 1)
    reserve = pricing.net_premium_reserve(cover, comm, spec.basis, ages, durations)
    charge = pricing.surrender_charge(cover, spec.basis, gross[:, None], durations[None, :])
    cash = np.where(durations[None, :] <= years[:, None], pricing.cash_value(reserve, charge), 0.0)
    return CoverTables(ages, gross, net, reserve, cash, years)


def _money(value: float) -> str:
    """A float as fixed 4-decimal text; -0.0000 never appears."""
    text = f"{value:.4f}"
    return "0.0000" if text == "-0.0000" else text


def product_row(spec: ProductSpec) -> dict[str, str]:
    if spec.kind == pricing.HOSPITAL:
        mortality = "hospital admission rates by age band (illustrative)"
    elif spec.kind == pricing.CRITICAL_ILLNESS:
        mortality = MORTALITY_BASIS_LABELS[spec.jurisdiction] + " + CI incidence (illustrative)"
    else:
        mortality = MORTALITY_BASIS_LABELS[spec.jurisdiction]
    return {
        "code": spec.code,
        "name": spec.name,
        "name_en": spec.name_en,
        "kind": spec.kind,
        "is_rider": str(spec.is_rider).lower(),
        "jurisdiction": spec.jurisdiction,
        "currency": spec.currency,
        "premium_modes": ",".join(mode for mode, _, _ in MODE_FACTORS),
        "terms": spec.terms,
        "premium_terms": spec.premium_terms,
        "min_issue_age": str(spec.min_issue_age),
        "max_issue_age": str(spec.max_issue_age),
        "min_sum_assured": f"{spec.min_sum_assured}.00",
        "max_sum_assured": f"{spec.max_sum_assured}.00",
        "loan_limit_pct": f"{spec.loan_limit_pct}.00",
        "grace_basis": spec.grace_basis,
        "mortality_basis": mortality,
        "interest_rate": f"{spec.basis.interest_rate:.4f}",
        "basis_note": spec.basis_note,
        "is_active": "true",
    }


def mode_factor_rows(spec: ProductSpec) -> Iterator[tuple]:
    for mode, payments, factor in MODE_FACTORS:
        yield spec.code, mode, payments, f"{factor:.4f}"


def table_rows(spec: ProductSpec) -> tuple[list[tuple], list[tuple]]:
    """(premium rate rows, cash value rows) of one product, in a fixed order."""
    rates: list[tuple] = []
    cash_values: list[tuple] = []
    for cover in spec.covers():
        for sex in SEXES:
            tables = derive_cover(spec, cover, sex)
            for row, age in enumerate(tables.ages.tolist()):
                key = (spec.code, sex, age, cover.term, cover.premium_term)
                rates.append((*key, _money(tables.gross_premium[row])))
                for year in range(1, int(tables.policy_years[row]) + 1):
                    cash_values.append((*key, year, _money(tables.cash_value[row, year])))
    return rates, cash_values


def write_csv(path: Path, columns, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


def derive(data_dir: Path = DATA_DIR) -> dict[str, int]:
    """Write the four CSV files into `data_dir`; returns the row count of each."""
    data_dir.mkdir(parents=True, exist_ok=True)
    products = [product_row(spec) for spec in PRODUCTS]
    modes = [row for spec in PRODUCTS for row in mode_factor_rows(spec)]
    rates: list[tuple] = []
    cash_values: list[tuple] = []
    for spec in PRODUCTS:
        spec_rates, spec_cash_values = table_rows(spec)
        rates.extend(spec_rates)
        cash_values.extend(spec_cash_values)
    write_csv(data_dir / "products.csv", PRODUCT_COLUMNS, ([row[c] for c in PRODUCT_COLUMNS] for row in products))
    write_csv(data_dir / "mode_factors.csv", MODE_FACTOR_COLUMNS, modes)
    write_csv(data_dir / "premium_rates.csv", PREMIUM_RATE_COLUMNS, rates)
    write_csv(data_dir / "cash_values.csv", CASH_VALUE_COLUMNS, cash_values)
    return {
        "products": len(products),
        "mode_factors": len(modes),
        "premium_rates": len(rates),
        "cash_values": len(cash_values),
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else DATA_DIR
    counts = derive(target)
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    print(f"wrote {summary} to {target}")


if __name__ == "__main__":
    main()
