"""The product catalogue the tables are derived for: each product's cover, ages, sums assured and basis."""
from __future__ import annotations

from dataclasses import dataclass

from lifecrm.products.actuarial.basis import MORTALITY_BASIS_NAME, PricingBasis
from lifecrm.products.actuarial.pricing import (
    ANNUITY,
    CRITICAL_ILLNESS,
    ENDOWMENT,
    HOSPITAL,
    TERM,
    WHOLE_LIFE,
    Cover,
)

ANNUITY_START_AGE = 60


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """One product row and the (term, premium term) combinations its tables are derived for.

    Every combination is offered at every issue age from min_issue_age to max_issue_age, for
    both sexes: the rate table is a full grid (the hospital rider adds renewal ages to 64).
    """

    code: str
    name: str
    name_en: str
    kind: str
    jurisdiction: str
    currency: str
    combinations: tuple[tuple[int, int], ...]
    min_issue_age: int
    max_issue_age: int
    min_sum_assured: int
    max_sum_assured: int
    loan_limit_pct: int
    basis: PricingBasis
    basis_note: str
    is_rider: bool = False
    grace_basis: str = "due_date"
    annuity_start_age: int | None = None
    max_table_age: int | None = None

    @property
    def terms(self) -> str:
        return ",".join(str(term) for term in sorted({term for term, _ in self.combinations}))

    @property
    def premium_terms(self) -> str:
        return ",".join(str(years) for years in sorted({years for _, years in self.combinations}))

    @property
    def table_ages(self) -> range:
        """Issue ages with a rate: the issue-age range, widened to max_table_age for renewals."""
        return range(self.min_issue_age, (self.max_table_age or self.max_issue_age) + 1)

    def covers(self) -> list[Cover]:
        return [Cover(self.kind, term, years, self.annuity_start_age) for term, years in self.combinations]


def _basis(
    interest_rate: float,
    *,
    mortality_multiplier: float = 1.0,
    renewal_loading: float = 0.08,
    acquisition_loading: float,
    initial_expense: float,
    maintenance_expense: float,
    surrender_runoff_years: int = 10,
) -> PricingBasis:
    return PricingBasis(
        interest_rate=interest_rate,
        mortality_multiplier=mortality_multiplier,
        renewal_loading=renewal_loading,
        acquisition_loading=acquisition_loading,
        initial_expense=initial_expense,
        maintenance_expense=maintenance_expense,
        surrender_runoff_years=surrender_runoff_years,
    )


# Per-policy expenses are turned into per-1,000 loadings at a reference sum assured, named in each note.
CN_RATE = 0.025
HK_RATE = 0.03
TW_RATE = 0.02
HK_MORTALITY = 0.85
TW_MORTALITY = 0.95

PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        code="CN-TL01",
        name="安心定期寿险",
        name_en="Peace of Mind Term Life",
        kind=TERM,
        jurisdiction="CN",
        currency="CNY",
        combinations=((10, 10), (20, 20), (30, 30)),
        min_issue_age=18,
        max_issue_age=55,
        min_sum_assured=100_000,
        max_sum_assured=3_000_000,
        loan_limit_pct=0,
        basis=_basis(CN_RATE, acquisition_loading=0.50, initial_expense=0.60, maintenance_expense=0.10),
        basis_note="Level premium, death benefit = SA. Expenses at reference SA CNY 500,000: "
        "issue CNY 300, CNY 50 a year.",
    ),
    ProductSpec(
        code="CN-WL01",
        name="传家终身寿险",
        name_en="Heritage Whole Life",
        kind=WHOLE_LIFE,
        jurisdiction="CN",
        currency="CNY",
        combinations=((0, 10), (0, 20)),
        min_issue_age=0,
        max_issue_age=65,
        min_sum_assured=50_000,
        max_sum_assured=5_000_000,
        loan_limit_pct=80,
        basis=_basis(CN_RATE, acquisition_loading=0.40, initial_expense=1.00, maintenance_expense=0.25),
        basis_note="Death benefit = SA to age 105, SA paid at 105. Expenses at reference SA "
        "CNY 200,000: issue CNY 200, CNY 50 a year.",
    ),
    ProductSpec(
        code="CN-EN01",
        name="稳盈两全保险",
        name_en="Steady Gain Endowment",
        kind=ENDOWMENT,
        jurisdiction="CN",
        currency="CNY",
        combinations=((10, 10), (20, 20)),
        min_issue_age=0,
        max_issue_age=60,
        min_sum_assured=10_000,
        max_sum_assured=1_000_000,
        loan_limit_pct=80,
        basis=_basis(CN_RATE, acquisition_loading=0.25, initial_expense=1.50, maintenance_expense=0.50),
        basis_note="SA on death within the term or on survival to its end. Expenses at reference "
        "SA CNY 100,000: issue CNY 150, CNY 50 a year.",
    ),
    ProductSpec(
        code="CN-AN01",
        name="金色晚年养老年金保险",
        name_en="Golden Years Deferred Pension Annuity",
        kind=ANNUITY,
        jurisdiction="CN",
        currency="CNY",
        combinations=((0, 5), (0, 10)),
        min_issue_age=18,
        max_issue_age=50,
        min_sum_assured=2_000,
        max_sum_assured=200_000,
        loan_limit_pct=70,
        annuity_start_age=ANNUITY_START_AGE,
        basis=_basis(CN_RATE, acquisition_loading=0.20, initial_expense=7.50, maintenance_expense=2.50),
        basis_note="Sum assured = yearly pension, paid at each policy anniversary from age 60 to 104 "
        "while alive; death before 60 refunds the gross premiums paid, without interest. "
        "Expenses at reference pension CNY 20,000 a year: issue CNY 150, CNY 50 a year.",
    ),
    ProductSpec(
        code="CN-CI01",
        name="附加重大疾病保险",
        name_en="Critical Illness Rider",
        kind=CRITICAL_ILLNESS,
        is_rider=True,
        jurisdiction="CN",
        currency="CNY",
        combinations=((10, 10), (20, 20), (30, 30)),
        min_issue_age=18,
        max_issue_age=50,
        min_sum_assured=50_000,
        max_sum_assured=500_000,
        loan_limit_pct=0,
        basis=_basis(CN_RATE, acquisition_loading=0.40, initial_expense=1.00, maintenance_expense=0.20),
        basis_note="SA on first diagnosis of a covered critical illness within the term; cover ends "
        "then; no death benefit. Incidence exp(α + βx) illustrative. Expenses at reference SA "
        "CNY 200,000: issue CNY 200, CNY 40 a year.",
    ),
    ProductSpec(
        code="CN-HC01",
        name="附加住院日额津贴保险",
        name_en="Hospital Cash Rider",
        kind=HOSPITAL,
        is_rider=True,
        jurisdiction="CN",
        currency="CNY",
        combinations=((1, 1),),
        min_issue_age=0,
        max_issue_age=60,
        max_table_age=64,
        min_sum_assured=9_000,
        max_sum_assured=90_000,
        loan_limit_pct=0,
        basis=_basis(CN_RATE, renewal_loading=0.30, acquisition_loading=0.0, initial_expense=0.0,
                     maintenance_expense=1.00),
        basis_note="Yearly renewable to age 65. SA = 180 days of the daily cash (CNY 50–500 a day). "
        "Rate per 1,000 SA by attained-age band, renewals at the attained age's rate; expense "
        "CNY 18 a year at reference SA CNY 18,000.",
    ),
    ProductSpec(
        code="HK-TL01",
        name="安心定期人壽保險",
        name_en="Peace of Mind Term Life (HK)",
        kind=TERM,
        jurisdiction="HK",
        currency="HKD",
        combinations=((10, 10), (20, 20)),
        min_issue_age=18,
        max_issue_age=60,
        min_sum_assured=200_000,
        max_sum_assured=10_000_000,
        loan_limit_pct=0,
        basis=_basis(HK_RATE, mortality_multiplier=HK_MORTALITY, acquisition_loading=0.50,
                     initial_expense=0.50, maintenance_expense=0.08),
        basis_note="Level premium, death benefit = SA. Expenses at reference SA HKD 1,000,000: "
        "issue HKD 500, HKD 80 a year.",
    ),
    ProductSpec(
        code="HK-WL01",
        name="傳家終身人壽保險",
        name_en="Heritage Whole Life (HK)",
        kind=WHOLE_LIFE,
        jurisdiction="HK",
        currency="HKD",
        combinations=((0, 10), (0, 20)),
        min_issue_age=0,
        max_issue_age=65,
        min_sum_assured=100_000,
        max_sum_assured=10_000_000,
        loan_limit_pct=90,
        basis=_basis(HK_RATE, mortality_multiplier=HK_MORTALITY, acquisition_loading=0.40,
                     initial_expense=1.00, maintenance_expense=0.20),
        basis_note="Death benefit = SA to age 105, SA paid at 105. Expenses at reference SA "
        "HKD 500,000: issue HKD 500, HKD 100 a year.",
    ),
    ProductSpec(
        code="TW-TL01",
        name="安心定期壽險",
        name_en="Peace of Mind Term Life (TW)",
        kind=TERM,
        jurisdiction="TW",
        currency="TWD",
        combinations=((10, 10), (20, 20)),
        min_issue_age=18,
        max_issue_age=60,
        min_sum_assured=500_000,
        max_sum_assured=20_000_000,
        loan_limit_pct=0,
        grace_basis="demand",
        basis=_basis(TW_RATE, mortality_multiplier=TW_MORTALITY, acquisition_loading=0.50,
                     initial_expense=0.50, maintenance_expense=0.10),
        basis_note="Level premium, death benefit = SA. Expenses at reference SA TWD 3,000,000: "
        "issue TWD 1,500, TWD 300 a year.",
    ),
    ProductSpec(
        code="TW-WL01",
        name="傳家終身壽險",
        name_en="Heritage Whole Life (TW)",
        kind=WHOLE_LIFE,
        jurisdiction="TW",
        currency="TWD",
        combinations=((0, 6), (0, 10), (0, 20)),
        min_issue_age=0,
        max_issue_age=65,
        min_sum_assured=300_000,
        max_sum_assured=30_000_000,
        loan_limit_pct=90,
        grace_basis="demand",
        basis=_basis(TW_RATE, mortality_multiplier=TW_MORTALITY, acquisition_loading=0.40,
                     initial_expense=1.00, maintenance_expense=0.20),
        basis_note="Death benefit = SA to age 105, SA paid at 105. Expenses at reference SA "
        "TWD 2,000,000: issue TWD 2,000, TWD 400 a year.",
    ),
)

MORTALITY_BASIS_LABELS = {
    "CN": f"{MORTALITY_BASIS_NAME} × 100%",
    "HK": f"{MORTALITY_BASIS_NAME} × {HK_MORTALITY:.0%}",
    "TW": f"{MORTALITY_BASIS_NAME} × {TW_MORTALITY:.0%}",
}


def product(code: str) -> ProductSpec:
    """The spec of product `code`, or KeyError."""
    for spec in PRODUCTS:
        if spec.code == code:
            return spec
    raise KeyError(code)
