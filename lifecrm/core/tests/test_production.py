"""Production settings: `check --deploy` is clean, and a process refuses to start on a weak or misspelled
configuration; demo and destructive commands refuse to run outside dev and test. Each case in a real process."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lifecrm.config.environment import KNOWN, misspelled
from lifecrm.core.tests.production import production_env, run_lifecrm, run_python

SETUP = "import django; django.setup(); print('started')"
PACKAGE = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_lifecrm(production_env(tmp_path), tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)" in result.stdout


def test_the_operators_choices_are_not_warnings(tmp_path):
    """The proxy redirects to HTTPS, HSTS without preload: said in the environment, so not warned about."""
    env = production_env(tmp_path, LIFECRM_SSL_REDIRECT="false", LIFECRM_HSTS_PRELOAD="false")
    result = run_lifecrm(env, tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_production_settings_are_those_of_an_https_site(tmp_path):
    code = SETUP + (
        "\nfrom django.conf import settings as s"
        "\nprint(s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.DATABASES['default']['CONN_HEALTH_CHECKS'], s.LOG_FORMAT, s.MIDDLEWARE[0])"
    )
    result = run_python(code, production_env(tmp_path, LIFECRM_HSTS_SECONDS="600"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "True ('HTTP_X_FORWARDED_PROTO', 'https') 600 True True True json "
        "lifecrm.core.request_id.RequestIdMiddleware"
    )


@pytest.mark.parametrize(("prepared", "expected"), [
    (None, "True 2 -c jit=off"),  # the default: the busy pages' reads are planned once per connection
    ("false", "None None -c jit=off"),  # behind a pooler in transaction mode
])
def test_postgresql_prepares_repeated_statements_unless_told_not_to(tmp_path, prepared, expected):
    code = SETUP + (
        "\nfrom django.conf import settings as s; o = s.DATABASES['default']['OPTIONS']"
        "\nprint(o.get('server_side_binding'), o.get('prepare_threshold'), o['options'])"
    )
    env = production_env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
                         LIFECRM_DB_PREPARED=prepared)
    result = run_python(code, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == expected


def test_a_web_worker_freezes_the_loaded_application_out_of_the_garbage_collectors_scans(tmp_path):
    """gunicorn's hook after a worker has loaded the application: the objects loaded so far are frozen (a full
    collection no longer scans them in the middle of a request)."""
    code = (
        "import gc, runpy; config = runpy.run_path('" + str(PACKAGE / "config" / "gunicorn.py") + "')"
        "\nimport django; django.setup(); before = gc.get_freeze_count()"
        "\nconfig['post_worker_init'](None); print(before, gc.get_freeze_count() > 10000)"
    )
    result = run_python(code, production_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 True"


@pytest.mark.parametrize(("overrides", "refusal"), [
    ({"DEBUG": "true"}, "DEBUG must be off when LIFECRM_ENV=prod"),
    ({"LIFECRM_FIELD_KEYS": "notakey"}, "LIFECRM_FIELD_KEYS: key 1 is not a Fernet key"),
    ({"LIFECRM_FIELD_KEYS": "ZGV2LWluc2VjdXJlLWZpZWxkLWtleS0zMi1ieXRlcyE=,c2hvcnQ="},
     "LIFECRM_FIELD_KEYS: key 2 is not a Fernet key"),
    ({"LIFECRM_HASH_KEY": "hash-key-of-31-characters-xxxxx"}, "LIFECRM_HASH_KEY is weak"),
    ({"LIFECRM_HASH_KEY": "a" * 40}, "LIFECRM_HASH_KEY is weak"),
    ({"SECRET_KEY": "s3cret-but-short"}, "SECRET_KEY is weak"),
    ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "SECRET_KEY is weak"),
    ({"SECRET_KEY": None}, "SECRET_KEY must be set when LIFECRM_ENV=prod"),
    ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must be set when LIFECRM_ENV=prod"),
    ({"ADMIN_SITE_HEADER": "Our CRM"},
     "ADMIN_SITE_HEADER: named like a Django setting, and lifecrm reads no such variable"),
    ({"SESSION_COOKIE_AGE": "900"}, "SESSION_COOKIE_AGE: named like a Django setting"),
    ({"LIFECRM_JOB_WORKER": "2"}, "LIFECRM_JOB_WORKER: lifecrm reads no such variable; did you mean LIFECRM_JOB_WORKERS?"),
    ({"DATABSE_URL": "postgres://db/lifecrm"}, "DATABSE_URL: not a variable lifecrm reads; did you mean DATABASE_URL?"),
    ({"LIFECRM_HSTS_SECONDS": "a year"}, "LIFECRM_HSTS_SECONDS must be a whole number of seconds"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be json or text"),
])
def test_production_refuses_to_start(tmp_path, overrides, refusal):
    result = run_python(SETUP, production_env(tmp_path, **overrides), tmp_path)
    assert result.returncode != 0 and "started" not in result.stdout
    assert refusal in result.stderr, result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_starts_with_other_programs_variables(tmp_path):
    """Kubernetes' service links of a service named lifecrm, and a variable the operator lets through."""
    env = production_env(tmp_path, LIFECRM_SERVICE_HOST="10.0.0.7", LIFECRM_PORT_8000_TCP="tcp://10.0.0.7:8000",
                         EMAIL_SUBJECT_PREFIX="[crm] ", LIFECRM_ALLOW_ENV="EMAIL_SUBJECT_PREFIX")
    result = run_python(SETUP, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_dev_and_test_keep_their_built_in_keys(tmp_path):
    env = {k: v for k, v in production_env(tmp_path, LIFECRM_ENV="dev", DEBUG="true").items()
           if k not in {"SECRET_KEY", "LIFECRM_FIELD_KEYS", "LIFECRM_HASH_KEY", "ALLOWED_HOSTS"}}
    env["LIFECRM_JOB_WORKER"] = "2"  # the misspelling check is production's
    result = run_python(SETUP + "\nfrom django.conf import settings; print(settings.LOG_FORMAT)", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["started", "text"]


def test_misspelled_names_the_closest_known_variable():
    assert misspelled({"PATH": "/bin", "HOME": "/root", "LANGUAGE": "en", "CI": "1", "LIFECRM_ENV": "prod"}) == []
    assert misspelled({"LIFECRM_JURISDICTON": "HK"}) == [
        "LIFECRM_JURISDICTON: lifecrm reads no such variable; did you mean LIFECRM_JURISDICTION?"]
    assert misspelled({"SECURE_HSTS_SECONDS": "60"}) == [
        "SECURE_HSTS_SECONDS: named like a Django setting, and lifecrm reads no such variable; "
        "did you mean LIFECRM_HSTS_SECONDS?"]
    assert misspelled({"FIELD_ENCRYPTION_KEYS": "k"}, extra_settings={"FIELD_ENCRYPTION_KEYS"}) == [
        "FIELD_ENCRYPTION_KEYS: named like a Django setting, and lifecrm reads no such variable"]


_ENV_READ = re.compile(r"""(?:os\.environ\.get|os\.getenv|os\.environ\.setdefault|os\.environ\[|\b_required|\b_flag"""
                       r"""|\b_whole)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")


def test_every_variable_lifecrm_reads_is_registered():
    """The registry is what the misspelling check lets through: a variable read but not registered would be
    refused in production."""
    read = {}
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for name in _ENV_READ.findall(path.read_text(encoding="utf-8")):
            read.setdefault(name, path.relative_to(PACKAGE.parent))
    assert "SECRET_KEY" in read and "LIFECRM_WEB_WORKERS" in read  # the pattern sees the settings and gunicorn
    missing = {name: str(path) for name, path in read.items() if name not in KNOWN}
    assert not missing, f"read from the environment but not in lifecrm.config.environment.KNOWN: {missing}"


def test_the_registry_is_documented():
    operations = (PACKAGE.parent / "docs" / "operations.md").read_text(encoding="utf-8")
    undocumented = [name for name in KNOWN if f"`{name}`" not in operations]
    assert not undocumented, f"docs/operations.md does not list {undocumented}"


def test_the_registry_is_a_plain_dict_of_descriptions():
    tree = ast.parse((PACKAGE / "config" / "environment.py").read_text(encoding="utf-8"))
    assert any(isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "KNOWN" for node in tree.body)
    assert all(isinstance(text, str) and text for text in KNOWN.values())


@pytest.mark.parametrize(("args", "what"), [
    (("seed", "--customers", "10", "--replace", "--no-progress"), "deletes the book (--replace)"),
    (("seed", "--customers", "10", "--no-progress"), "writes a generated book"),
    (("demo-setup", "--customers", "10", "--no-progress"), "creates demo logins"),
    (("flush", "--no-input"), "deletes every row of every table"),
])
def test_demo_and_destructive_commands_refuse_outside_dev_and_test(tmp_path, args, what):
    env = production_env(tmp_path)
    migrated = run_lifecrm(env, tmp_path, "migrate", "--no-input", "-v", "0") if args[0] == "flush" else None
    assert migrated is None or migrated.returncode == 0, migrated.stderr
    database = tmp_path / "lifecrm.sqlite3"
    before = database.read_bytes() if database.exists() else None

    result = run_lifecrm(env, tmp_path, *args)
    assert result.returncode == 1
    assert f"`lifecrm {args[0]}` {what}" in result.stderr
    assert "runs only with LIFECRM_ENV=dev or test, not prod; nothing was changed" in result.stderr
    assert "Traceback" not in result.stderr
    assert (database.read_bytes() if database.exists() else None) == before
