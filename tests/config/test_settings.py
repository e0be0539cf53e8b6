"""Configuration comes from the environment and refuses malformed values by name.

Each case imports the settings in a fresh interpreter, as a server start-up would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 60 + "production-like-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "materia.example.com",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
}


def start(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_PROJECT_VARS)}
    return subprocess.run(
        [sys.executable, "manage.py", *(args or ("check",))],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


_PROJECT_VARS = (
    "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_", "EMAIL_", "LANGUAGE",
    "ALLOWED_HOSTS", "TIME_ZONE", "SECURE_",
)  # fmt: skip


def test_it_starts_on_the_embedded_default_in_debug() -> None:
    result = start({"DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off() -> None:
    result = start({"DEBUG": "false", "ALLOWED_HOSTS": "example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysqlx://nowhere/db"),
        ("REDIS_URL", "http://127.0.0.1:6379/0"),
        ("CELERY_BROKER_URL", "redis//missing-colon"),
        ("EMAIL_PORT", "twenty-five"),
        ("LANGUAGES", "zh-hans,klingon"),
        ("LANGUAGE_CODE", "fr"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
        ("DATABASE_CONN_MAX_AGE", "-5"),
        ("DATABASE_CONNECT_TIMEOUT", "1"),  # libpq rounds 1 up to 2: say so instead
        ("DATABASE_TCP_TIMEOUT_MS", "soon"),
        ("REDIS_TIMEOUT_MS", "0"),
        ("MATERIA_RUN_STALE_SECONDS", "15"),  # under twice the heartbeat (10 s)
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(variable: str, value: str) -> None:
    env = {"DEBUG": "true", variable: value}
    if variable == "EMAIL_PORT":
        env["EMAIL_HOST"] = "smtp.example.com"
    if variable.startswith("DATABASE_") and "TIMEOUT" in variable:
        # PostgreSQL's connection settings are read only for a PostgreSQL database.
        env["DATABASE_URL"] = "postgres://materia@127.0.0.1:5432/materia"
    result = start(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.splitlines()[-1]


def test_check_deploy_is_clean_with_production_values() -> None:
    result = start(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_debug_is_left_on() -> None:
    result = start({**PRODUCTION, "DEBUG": "true"}, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "DEBUG" in result.stdout + result.stderr


def test_a_language_can_be_added_by_configuration_alone() -> None:
    script = "from django.conf import settings; print([c for c, _ in settings.LANGUAGES])"
    result = start({"DEBUG": "true", "LANGUAGES": "zh-hans,en,es,id"}, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert "['zh-hans', 'en', 'es', 'id']" in result.stdout


def test_every_redis_client_gives_up_after_the_configured_time_out() -> None:
    script = (
        "from django.conf import settings; from config.celery import app; "
        "print(settings.CACHES['default']['OPTIONS']); print(app.conf.broker_transport_options); "
        "print(app.conf.redis_socket_connect_timeout, app.conf.redis_socket_timeout)"
    )
    env = {"DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:6379/1", "REDIS_TIMEOUT_MS": "250"}
    result = start(env, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    timeouts = "{'socket_connect_timeout': 0.25, 'socket_timeout': 0.25}"
    assert result.stdout.splitlines()[-3:] == [timeouts, timeouts, "0.25 0.25"]


def test_postgresql_connections_give_up_on_a_silent_host_unless_the_url_says_otherwise() -> None:
    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    url = "postgres://materia@127.0.0.1:5432/materia"
    defaults = start({"DEBUG": "true", "DATABASE_URL": url}, "shell", "-c", show)
    tuned = start(
        {"DEBUG": "true", "DATABASE_URL": f"{url}?connect_timeout=30"}, "shell", "-c", show
    )
    assert "'connect_timeout': 5" in defaults.stdout, defaults.stdout + defaults.stderr
    assert "'tcp_user_timeout': 10000" in defaults.stdout
    assert "'connect_timeout': 30" in tuned.stdout, tuned.stdout + tuned.stderr
    assert "'tcp_user_timeout': 10000" in tuned.stdout
