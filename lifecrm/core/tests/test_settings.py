"""Settings fail closed: production refuses to start without its secrets or with a bad value."""
import os
import subprocess
import sys

import pytest

CHECK = "import django; django.setup(); print('started')"


def start(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LIFECRM_", "SECRET_KEY", "DATABASE_URL"))}
    clean.update(env, DJANGO_SETTINGS_MODULE="lifecrm.config.settings")
    return subprocess.run([sys.executable, "-c", CHECK], env=clean, capture_output=True, text=True, timeout=60)


def test_production_without_secret_key_refuses_to_start():
    result = start(LIFECRM_ENV="prod")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_all_secrets_starts(tmp_path):
    result = start(
        LIFECRM_ENV="prod", SECRET_KEY="x1y2z3" * 9, LIFECRM_FIELD_KEYS="ZGV2LWluc2VjdXJlLWZpZWxkLWtleS0zMi1ieXRlcyE=",
        LIFECRM_HASH_KEY="h1i2j3" * 6, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", ALLOWED_HOSTS="crm.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("name", "value"), [("LIFECRM_ENV", "staging"), ("LIFECRM_JOBS", "threads"), ("LIFECRM_JURISDICTION", "SG")]
)
def test_misspelled_settings_are_refused(name, value):
    env = {"LIFECRM_ENV": "dev", name: value}
    result = start(**env)
    assert result.returncode != 0
    assert name in result.stderr
