"""The benchmark's own PostgreSQL database: created fresh for every run, so that every
run starts from the same empty tables and no run measures the leftovers of another."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

# A benchmark writes thousands of made-up responses: it refuses any database whose name
# does not say it is a benchmark database, so it can never be pointed at real data.
NAME_MARK = "bench"


def database_name(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"the benchmark needs PostgreSQL (postgres://...), got {url!r}")
    name = parts.path.lstrip("/")
    if NAME_MARK not in name:
        raise SystemExit(
            f"refusing database {name!r}: the benchmark drops and re-creates its database, "
            f"so its name must contain {NAME_MARK!r} (e.g. materia_bench)"
        )
    return name


def database_recreate(url: str) -> None:
    """Drop the benchmark database if it exists and create it empty."""
    name = database_name(url)
    parts = urlsplit(url)
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        identifier = sql.Identifier(name)
        # FORCE ends sessions a previous, interrupted run may have left behind.
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(identifier))
