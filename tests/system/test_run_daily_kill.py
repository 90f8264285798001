"""`run-daily` killed with SIGKILL half-way and run again ends with exactly the rows of a clean run."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

AS_OF = "2026-11-25"
SEED_AS_OF = "2026-09-30"
# Rows compared, by natural content (ids and wall-clock timestamps differ between runs by design).
SNAPSHOT_QUERIES = {
    "policies": "SELECT id, status, status_date, paid_instalments, paid_to_date, version FROM policies_policy",
    "events": "SELECT policy_id, seq, kind, from_status, to_status, effective_date, reason, data "
              "FROM policies_policyevent",
    "due_items": "SELECT policy_id, kind, instalment, due_date, amount, paid_amount, status, grace_end, paid_on, "
                 "demand_arrived FROM billing_dueitem",
    "payments": "SELECT natural_key, policy_id, amount, method, received_on FROM billing_payment",
    "allocations": "SELECT p.natural_key, d.policy_id, d.kind, d.instalment, a.amount FROM billing_allocation a "
                   "JOIN billing_payment p ON p.id = a.payment_id JOIN billing_dueitem d ON d.id = a.due_item_id",
    "reminders": "SELECT d.policy_id, d.instalment, r.step_id, r.channel, r.status, r.scheduled_for "
                 "FROM billing_reminder r JOIN billing_dueitem d ON d.id = r.due_item_id",
    "job_chunks": "SELECT r.step, r.as_of, r.status, c.\"index\", c.first_id, c.last_id, c.rows "
                  "FROM core_jobchunk c JOIN core_jobrun r ON r.id = c.run_id",
}


def lifecrm(db: Path, var: Path, *args: str, **popen) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIFECRM_", "DATABASE_URL"))}
    env.update(LIFECRM_ENV="dev", DATABASE_URL=f"sqlite:///{db}", LIFECRM_VAR=str(var),
               LIFECRM_JOB_CHUNK_SIZE="50")
    return subprocess.Popen([sys.executable, "-m", "lifecrm", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **popen)


def run(db: Path, var: Path, *args: str) -> str:
    process = lifecrm(db, var, *args)
    out, _ = process.communicate(timeout=900)
    assert process.returncode == 0, out
    return out


def snapshot(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as connection:
        return {name: sorted(map(tuple, connection.execute(sql).fetchall()), key=repr)
                for name, sql in SNAPSHOT_QUERIES.items()}


def done_chunks(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as connection:
        return connection.execute("SELECT count(*) FROM core_jobchunk WHERE done_at IS NOT NULL").fetchone()[0]


def copy_database(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def test_sigkill_mid_run_then_rerun_equals_a_clean_run(tmp_path):
    base, clean, killed = tmp_path / "base.sqlite3", tmp_path / "clean.sqlite3", tmp_path / "killed.sqlite3"
    run(base, tmp_path / "var-base", "migrate", "-v", "0")
    run(base, tmp_path / "var-base", "seed", "--customers", "600", "--seed", "11", "--as-of", SEED_AS_OF)
    copy_database(base, clean)
    copy_database(base, killed)

    run(clean, tmp_path / "var-clean", "run-daily", "--as-of", AS_OF, "--no-progress")
    total_chunks = done_chunks(clean)
    assert total_chunks > 20, "the book must need many chunks for the kill to land mid-run"

    process = lifecrm(killed, tmp_path / "var-killed", "run-daily", "--as-of", AS_OF, "--no-progress")
    target = total_chunks // 2
    deadline = time.monotonic() + 600
    while done_chunks(killed) < target:
        assert process.poll() is None, "run-daily finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert 0 < done_chunks(killed) < total_chunks

    run(killed, tmp_path / "var-killed", "run-daily", "--as-of", AS_OF, "--no-progress")
    assert snapshot(killed) == snapshot(clean)

    # The same date once more changes nothing.
    run(killed, tmp_path / "var-killed", "run-daily", "--as-of", AS_OF, "--no-progress")
    assert snapshot(killed) == snapshot(clean)
