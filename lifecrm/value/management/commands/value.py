"""`lifecrm value project …` (lifelib's basiclife on files), `value policies --as-of DATE` (lifecrm's own book),
`value load-assumptions` (the products' assumption sets), `value customers --as-of DATE` (each customer's value,
tier and life-cycle stage), `value train-lapse --as-of DATE` and `value score-lapse --as-of DATE` (the lapse-risk
model).

`value project --model ME|S --model-points F --mort F --disc F [--premium-table F] --out F`:

Runs lifelib's basiclife projection (BasicTerm_ME or BasicTerm_S) on the given files (lifelib's own
xlsx files or the same tables as CSV) and writes one CSV row per model point: policy_id,
premium_pp, pv_premiums, pv_claims, pv_expenses, pv_commissions, pv_net_cf, floats written with
repr() so that they read back exactly. A point outside the tables is refused by name.
"""
from __future__ import annotations

import csv
import os
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lifecrm.core.commands import parse_date
from lifecrm.value.book import ValuationError
from lifecrm.value.projection import ENGINES, MODELS, RESULT_COLUMNS, ProjectionError, project, projection_for
from lifecrm.value.tables import (
    TableError,
    read_discount,
    read_model_points,
    read_mortality,
    read_premium_table,
)


def write_results(result, out: Path) -> None:
    """Write the CSV beside its final name and move it there: no half-written file is left behind."""
    out = Path(out)
    if not out.parent.is_dir():
        raise CommandError(f"--out: the folder {out.parent} does not exist")
    handle = tempfile.NamedTemporaryFile("w", dir=out.parent, prefix=f".{out.name}.", suffix=".tmp",
                                         delete=False, newline="", encoding="utf-8")
    try:
        with handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(("policy_id", *RESULT_COLUMNS))
            writer.writerows((row[0], *map(repr, row[1:])) for row in result.rows())
        os.replace(handle.name, out)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = "Actuarial valuation: `value project` runs lifelib's basiclife projection on a book of model points."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="ACTION")
        sub.required = True
        p = sub.add_parser("project", help="project a book of model points (lifelib basiclife BasicTerm_ME or _S)",
                           called_from_command_line=getattr(parser, "called_from_command_line", None))
        # Everything is validated in handle(), so a missing or bad option is one CommandError line.
        p.add_argument("--model", help=f"{' or '.join(MODELS)}: BasicTerm_ME (premium table, policies in force) "
                                       "or BasicTerm_S (one new policy per point, premium computed)")
        p.add_argument("--model-points", help="model points, xlsx or CSV: policy_id (or point_id), age_at_entry, "
                                              "policy_term, policy_count, sum_assured, duration_mth")
        p.add_argument("--mort", help="mortality table, xlsx or CSV: Age, 0, 1, 2, 3, 4, 5")
        p.add_argument("--disc", help="annual spot rates, xlsx or CSV: year, disc_rate_ann (or zero_spot)")
        p.add_argument("--premium-table", help="ME only, xlsx or CSV: age_at_entry, policy_term, premium_rate")
        p.add_argument("--out", help="the CSV file to write")
        p.add_argument("--engine", default="numba", help=f"{' or '.join(ENGINES)} (default numba)")
        p.add_argument("--trace", metavar="POLICY_ID", help="also print this model point's projection month by month")

        v = sub.add_parser("policies", help="value every in-force policy of the book at a date (PV of premiums, "
                                            "claims, expenses, commissions, PVFP), stored per coverage",
                           called_from_command_line=getattr(parser, "called_from_command_line", None))
        v.add_argument("--as-of", help="valuation date, YYYY-MM-DD")
        c = sub.add_parser("customers", help="value every customer at a date (current, historical, potential and "
                                             "network value, with reasons) and record their tier and life-cycle "
                                             "stage; values the policies at that date first",
                           called_from_command_line=getattr(parser, "called_from_command_line", None))
        c.add_argument("--as-of", help="valuation date, YYYY-MM-DD")
        sub.add_parser("load-assumptions", help="load each product's assumption set from its basis (a new version "
                                                "when it changed)",
                       called_from_command_line=getattr(parser, "called_from_command_line", None))
        t = sub.add_parser("train-lapse", help="train the lapse-risk model on the book's history (time-based holdout), "
                                               "print it against the rule baseline, store it and score the book; "
                                               "exit status 1 when it does not beat the baseline",
                           called_from_command_line=getattr(parser, "called_from_command_line", None))
        t.add_argument("--as-of", help="business date, YYYY-MM-DD: the test cut-off is 90 days before it")
        r = sub.add_parser("score-lapse", help="score every premium-paying policy at a date with the latest stored "
                                               "lapse model and reorder the renewal work lists (no training)",
                           called_from_command_line=getattr(parser, "called_from_command_line", None))
        r.add_argument("--as-of", help="business date, YYYY-MM-DD")

    def handle(self, *args, action=None, **options):
        if action == "project":
            self.project(**options)
        elif action == "policies":
            self.policies(options.get("as_of"), progress=options.get("verbosity", 1) >= 1)
        elif action == "customers":
            self.customers(options.get("as_of"), progress=options.get("verbosity", 1) >= 1)
        elif action == "load-assumptions":
            from lifecrm.value.reference_data import load_assumption_sets

            self.stdout.write(str(load_assumption_sets()))
        elif action == "train-lapse":
            self.train_lapse(options.get("as_of"))
        elif action == "score-lapse":
            self.score_lapse(options.get("as_of"))

    def score_lapse(self, as_of) -> None:
        from lifecrm.value.lapse.model import ModelIntegrityError
        from lifecrm.value.lapse.training import current_model, priorities_publish, scores_compute

        day = parse_date(as_of, "--as-of")
        version = current_model()
        if version is None:
            raise CommandError("no lapse model is stored yet: train one first (lifecrm value train-lapse --as-of DATE)")
        try:
            scored = scores_compute(version=version, as_of=day)
        except ModelIntegrityError as exc:
            raise CommandError(str(exc)) from None
        prioritised = priorities_publish(version=version, as_of=day)
        self.stdout.write(f"lapse model v{version.version}: {scored:,} policies newly scored at {day}; renewal work "
                          f"lists ordered by risk × value ({prioritised:,} policies)")

    def train_lapse(self, as_of) -> None:
        from lifecrm.value.lapse.training import (
            NotEnoughHistory,
            model_store,
            priorities_publish,
            scores_compute,
            train,
        )

        day = parse_date(as_of, "--as-of")
        started = time.perf_counter()
        try:
            result = train(as_of=day)
        except NotEnoughHistory as exc:
            raise CommandError(str(exc)) from None
        cutoffs = ", ".join(d.isoformat() for d in result.train_cutoffs)
        self.stdout.write(f"lapse within 90 days: trained on the cut-offs {cutoffs} ({result.train_policies:,} "
                          f"policies, {result.train_lapses:,} lapsed), tested on {result.test_cutoff} "
                          f"({result.test_policies:,} policies, {result.test_lapses:,} lapsed)")
        model, baseline = result.model_card, result.baseline_card
        self.stdout.write(f"{'metric':<28}{'model':>10}{'baseline':>10}")
        for label, name in (("AUC", "auc"), ("precision in the top decile", "precision_top_decile"),
                            ("Brier score", "brier"), ("calibration error", "calibration_error")):
            self.stdout.write(f"{label:<28}{getattr(model, name):>10.3f}{getattr(baseline, name):>10.3f}")
        self.stdout.write("calibration of the model on the test cut-off (deciles of its score):")
        self.stdout.write(f"{'decile':<8}{'policies':>10}{'predicted':>11}{'observed':>10}")
        for i, b in enumerate(model.calibration, 1):
            self.stdout.write(f"{i:<8}{b.policies:>10,}{b.predicted:>11.3f}{b.observed:>10.3f}")
        if not result.beats_baseline:
            raise CommandError("the model does not beat the rule baseline (AUC and precision in the top decile): "
                               "nothing stored")
        version = model_store(result)
        scored = scores_compute(version=version, as_of=day)
        prioritised = priorities_publish(version=version, as_of=day)
        self.stdout.write(f"stored lapse model v{version.version} (sha256 {version.checksum[:12]}…); "
                          f"{scored:,} policies scored at {day}; renewal work lists ordered by risk × value "
                          f"({prioritised:,} policies); {time.perf_counter() - started:.1f} s")

    def policies(self, as_of, *, progress: bool) -> None:
        from lifecrm.value.jobs import run_policy_values
        from lifecrm.value.selectors import book_totals

        self._run(run_policy_values, book_totals, as_of, progress=progress, what="policy values",
                  count="coverages", unit="coverages on the current assumption sets",
                  names=("reserve", "pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pvfp"))

    def customers(self, as_of, *, progress: bool) -> None:
        from lifecrm.value.jobs import run_customer_values
        from lifecrm.value.selectors import customer_value_totals

        self._run(run_customer_values, customer_value_totals, as_of, progress=progress, what="customer values",
                  count="customers", unit="customers",
                  names=("current_value", "premiums_paid", "margin_earned", "potential_value", "network_value",
                         "total_value"))

    def _run(self, run_step, totals_of, as_of, *, progress: bool, what: str, count: str, unit: str, names) -> None:
        """Run a valuation step for `as_of` and print its totals: "<what> at <day> (<status>): <n> <unit>, <s> s; …"."""
        day = parse_date(as_of, "--as-of")
        started = time.perf_counter()
        try:
            run = run_step(as_of=day, progress=progress)
        except ValuationError as exc:
            raise CommandError(str(exc)) from None
        seconds = time.perf_counter() - started
        totals = totals_of(as_of=day)
        amounts = ", ".join(f"{name} {totals[name]:,}" for name in names)
        self.stdout.write(f"{what} at {day} ({run.status}): {totals[count]:,} {unit}, {seconds:.1f} s; {amounts}")

    def project(self, *, model=None, model_points=None, mort=None, disc=None, premium_table=None, out=None,
                engine="numba", trace=None, **options):
        if model not in MODELS:
            raise CommandError(f"--model must be {' or '.join(MODELS)}" + (f", not {model!r}" if model else ""))
        for option, value in (("--model-points", model_points), ("--mort", mort), ("--disc", disc), ("--out", out)):
            if not value:
                raise CommandError(f"{option} is required")
        if model == "ME" and not premium_table:
            raise CommandError("--premium-table is required for model ME")
        if model == "S" and premium_table:
            raise CommandError("--premium-table is for model ME only: model S computes its premiums")
        try:
            points = read_model_points(Path(model_points), model)
            tables = (read_mortality(Path(mort)), read_discount(Path(disc)))
            premiums = read_premium_table(Path(premium_table)) if premium_table else None
            started = time.perf_counter()
            result = project(model, points, *tables, premiums, engine=engine)
            seconds = time.perf_counter() - started
        except (TableError, ProjectionError) as exc:
            raise CommandError(str(exc)) from None
        write_results(result, Path(out))
        if trace is not None:
            self.trace(model, points, tables, premiums, trace)
        totals = ", ".join(f"{name} {result.columns[name].sum():,.2f}" for name in RESULT_COLUMNS[1:])
        self.stdout.write(f"BasicTerm_{model}: {len(points):,} model points projected in {seconds:.3f} s "
                          f"({engine}); totals: {totals}; written to {out}")

    def trace(self, model, points, tables, premiums, policy_id: str) -> None:
        where = [i for i, pid in enumerate(points.policy_id) if pid == policy_id]
        if not where:
            raise CommandError(f"--trace: there is no model point {policy_id!r}")
        point = points.take(where[:1])
        if model == "S":
            point = point.as_new_business()
        rows = projection_for(point, *tables, premiums).trace(0)
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(rows[0].keys())
        writer.writerows(row.values() for row in rows)
