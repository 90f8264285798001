"""`lifecrm value project` end to end: lifelib's files in, one exact CSV row per model point out; bad files refused."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from django.core.management import CommandError, call_command

from lifecrm.value.tests.conftest import DATA, read_reference
from lifecrm.value.tests.test_projection import PV_COLUMNS

HEADER = ["policy_id", "premium_pp", "pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pv_net_cf"]
ROOT = Path(__file__).resolve().parents[3]


def tables(ext: str = "csv") -> list[str]:
    return ["--mort", str(DATA / f"mort_table.{ext}"), "--disc", str(DATA / f"disc_rate_ann.{ext}")]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIFECRM_ENV": "test"}
    return subprocess.run([sys.executable, "-m", "lifecrm", "value", "project", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


def assert_like_reference(out: Path, reference_file: Path, count: int | None = None) -> None:
    with out.open(newline="") as handle:
        assert next(csv.reader(handle)) == HEADER
    ours, theirs = read_reference(out), read_reference(reference_file)
    if count is not None:
        assert len(ours["policy_id"]) == count
    # The reference may hold a subset of the points (S: those lifelib had the time to run).
    keep = np.isin(ours["policy_id"], theirs["policy_id"])
    ours = {name: values[keep] for name, values in ours.items()}
    theirs_at = {pid: i for i, pid in enumerate(theirs["policy_id"])}
    index = np.array([theirs_at[pid] for pid in ours["policy_id"]])
    theirs = {name: values[index] for name, values in theirs.items()}
    assert len(index) >= min(count or 500, 50)
    np.testing.assert_array_equal(ours["premium_pp"], theirs["premium_pp"])
    for name in PV_COLUMNS:
        assert np.abs(ours[name] - theirs[name]).max() <= 1e-6
        assert abs(ours[name].sum() - theirs[name].sum()) <= 1e-9 * abs(theirs[name].sum())


def test_me_on_csv_files_from_the_command_line(tmp_path):
    out = tmp_path / "me.csv"
    done = run_cli("--model", "ME", "--model-points", str(DATA / "model_point_table.csv"), *tables(),
                   "--premium-table", str(DATA / "premium_table.csv"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "BasicTerm_ME: 10,000 model points projected" in done.stdout
    assert_like_reference(out, DATA / "reference_me.csv")


def test_floats_are_written_to_read_back_exactly(tmp_path, basiclife):
    from lifecrm.value.projection import project

    out = tmp_path / "me.csv"
    call_command("value", "project", "--model", "ME", "--model-points", str(DATA / "model_point_table.csv"),
                 *tables(), "--premium-table", str(DATA / "premium_table.csv"), "--out", str(out))
    result = project("ME", basiclife["ME"], basiclife["mort"], basiclife["disc"], basiclife["premiums"])
    written = read_reference(out)
    for name in HEADER[1:]:
        np.testing.assert_array_equal(written[name], result.columns[name])


def _points_workbook(path: Path, count: int, key: str) -> Path:
    """The first `count` lifelib points as an xlsx sheet keyed `key` (lifelib's S file says point_id)."""
    with (DATA / "model_point_table.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))[: count + 1]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([key if cell == "policy_id" else cell for cell in rows[0]])
    for row in rows[1:]:
        sheet.append([row[0] if i == 2 else int(cell) for i, cell in enumerate(row)])
    book.save(path)
    return path


def test_s_on_lifelibs_own_xlsx_files(tmp_path):
    """lifelib's workbooks: `zero_spot` for the rates, S points keyed `point_id`."""
    points = _points_workbook(tmp_path / "model_point_table.xlsx", 200, "point_id")
    out = tmp_path / "s.csv"
    call_command("value", "project", "--model", "S", "--model-points", str(points), *tables("xlsx"),
                 "--out", str(out))
    assert_like_reference(out, DATA / "reference_s.csv", count=200)


def test_me_on_lifelibs_own_xlsx_files(tmp_path):
    """lifelib's premium workbook merges the age cells of each block of terms."""
    points = _points_workbook(tmp_path / "model_point_table.xlsx", 200, "policy_id")
    out = tmp_path / "me.csv"
    call_command("value", "project", "--model", "ME", "--model-points", str(points), *tables("xlsx"),
                 "--premium-table", str(DATA / "premium_table.xlsx"), "--out", str(out))
    assert_like_reference(out, DATA / "reference_me.csv", count=200)


def test_a_point_outside_the_tables_is_refused_in_one_line_without_a_stack_trace(tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("policy_id,age_at_entry,sex,policy_term,policy_count,sum_assured,duration_mth,note\n"
                      "A1,40,M,10,5,100000,0,x\n"
                      "B2,61,F,10,5,100000,0,y\n")
    out = tmp_path / "out.csv"
    done = run_cli("--model", "ME", "--model-points", str(points), *tables(),
                   "--premium-table", str(DATA / "premium_table.csv"), "--out", str(out))
    assert done.returncode == 1
    assert done.stderr.strip() == ("CommandError: model point B2: no premium rate for age_at_entry 61, policy_term 10 "
                                   "in the premium table")
    assert "Traceback" not in done.stderr + done.stdout
    assert not out.exists() and not list(tmp_path.glob(".out.csv*"))


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(("points", "message"), [
    ("policy_id,age_at_entry,sex,policy_term,policy_count,duration_mth\n1,40,M,10,1,0\n",
     "the model point file has no column 'sum_assured' (its columns: policy_id, age_at_entry, sex, policy_term, "
     "policy_count, duration_mth)"),
    ("policy_id,age_at_entry,sex,policy_term,policy_count,sum_assured,duration_mth\n1,40,M,10,1,lots,0\n",
     ", row 2: sum_assured is 'lots', not a number"),
    ("policy_id,age_at_entry,sex,policy_term,policy_count,sum_assured,duration_mth\n1,40.5,M,10,1,1000,0\n",
     ", row 2: age_at_entry is '40.5', not a whole number"),
    ("policy_id,age_at_entry,sex,policy_term,policy_count,sum_assured,duration_mth\n1,40,M,,1,1000,0\n",
     ", row 2: policy_term is blank, not a whole number"),
    ("policy_id,age_at_entry,sex,policy_term,policy_count,sum_assured,duration_mth\n",
     "the model point file has no rows"),
])
def test_bad_model_point_files_are_refused(tmp_path, points, message):
    path = _write(tmp_path / "points.csv", points)
    with pytest.raises(CommandError) as caught:
        call_command("value", "project", "--model", "ME", "--model-points", path, *tables(),
                     "--premium-table", str(DATA / "premium_table.csv"), "--out", str(tmp_path / "out.csv"))
    assert message in str(caught.value)
    assert str(caught.value).startswith(path)


@pytest.mark.parametrize(("option", "text", "message"), [
    ("--mort", "Age,0,1,2,3,4\n18,0.1,0.1,0.1,0.1,0.1\n", "the mortality table has no column '5'"),
    ("--mort", "Age,0,1,2,3,4,5\n18,0.1,0.1,0.1,0.1,0.1,0.1\n20,0.1,0.1,0.1,0.1,0.1,0.1\n",
     "the mortality table has no row for age 19"),
    ("--mort", "Age,0,1,2,3,4,5\n18,0.1,0.1,0.1,0.1,0.1,1.5\n", "the rate for age 18, duration 5 is 1.5"),
    ("--disc", "year,rate\n0,0.01\n", "the discount curve has no column 'disc_rate_ann' or 'zero_spot'"),
    ("--disc", "year,disc_rate_ann\n0,0.01\n2,0.01\n", "the discount curve has no rate for year 1"),
    ("--premium-table", "age_at_entry,policy_term,premium_rate\n20,10,x\n", "row 2: premium_rate is 'x', not a number"),
])
def test_bad_tables_are_refused(tmp_path, option, text, message):
    files = {"--mort": str(DATA / "mort_table.csv"), "--disc": str(DATA / "disc_rate_ann.csv"),
             "--premium-table": str(DATA / "premium_table.csv")}
    files[option] = _write(tmp_path / "table.csv", text)
    args = [arg for pair in files.items() for arg in pair]
    with pytest.raises(CommandError, match=message):
        call_command("value", "project", "--model", "ME", "--model-points", str(DATA / "model_point_table.csv"),
                     *args, "--out", str(tmp_path / "out.csv"))


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "X"], "--model must be ME or S, not 'X'"),
    (["--model", "ME", "--mort", "m", "--disc", "d", "--out", "o"], "--model-points is required"),
    (["--model", "ME", "--model-points", "p", "--mort", "m", "--disc", "d", "--out", "o"],
     "--premium-table is required for model ME"),
    (["--model", "S", "--model-points", "nowhere.csv", "--mort", "m", "--disc", "d", "--out", "o"],
     "nowhere.csv: no such file"),
    (["--model", "S", "--model-points", str(DATA / "model_point_table.csv"), *tables(), "--out", "/nowhere/o.csv"],
     "--out: the folder /nowhere does not exist"),
    (["--model", "S", "--model-points", str(DATA / "model_point_table.csv"), *tables(), "--out", "o.csv",
      "--engine", "fortran"], "engine must be one of numba, numpy, not 'fortran'"),
])
def test_bad_options_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("value", "project", *args)


def test_trace_prints_a_point_month_by_month(tmp_path, capsys):
    call_command("value", "project", "--model", "S", "--model-points", str(DATA / "model_point_table.csv"),
                 *tables(), "--out", str(tmp_path / "s.csv"), "--trace", "1")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("t,duration_mth,age,mort_rate_mth")
    assert len([line for line in lines if line[:1].isdigit()]) == 121  # policy 1: ten years, t = 0..120
    with pytest.raises(CommandError, match="--trace: there is no model point 'zz'"):
        call_command("value", "project", "--model", "S", "--model-points", str(DATA / "model_point_table.csv"),
                     *tables(), "--out", str(tmp_path / "s.csv"), "--trace", "zz")
