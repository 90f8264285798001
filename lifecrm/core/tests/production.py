"""A production environment for subprocess tests: LIFECRM_ENV=prod with freshly generated, real-looking secrets
and nothing of the test run's own environment (its LIFECRM_* and DATABASE_URL) but the path to this checkout."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet


def production_env(var: Path, **overrides: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in ("PATH", "HOME", "PYTHONPATH", "LANG", "TMPDIR") if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="lifecrm.config.settings",
        LIFECRM_ENV="prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        LIFECRM_FIELD_KEYS=f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
        LIFECRM_HASH_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="crm.example.com,127.0.0.1",
        LIFECRM_VAR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'lifecrm.sqlite3'}",
    )
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def run_python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def run_lifecrm(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lifecrm", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)
