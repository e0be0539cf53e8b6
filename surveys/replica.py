"""Storing rows with PostgreSQL's per-row foreign-key checks off, where the writer proves
the same references itself (the answers of a large import: `surveys.bulk`; a run's
scores: `materiality.runs.score_store`).

`SET LOCAL session_replication_role = replica` turns off every trigger that is not
enabled ALWAYS or REPLICA, for this transaction only, as `pg_restore --disable-triggers`
does. Two things must hold first, and this module answers both:

* the role may set it: a superuser, or (PostgreSQL 15+) a role granted SET on it
  (`privilege_sql`); and the connection is at `origin` (nobody else turned it);
* the triggers an INSERT into the tables fires are exactly their foreign keys' checks
  (`foreign_key_check_triggers`): a trigger added by hand is never skipped.

What the checks would have proven (and the rows they would have locked) is the
writer's to prove, in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import connection, models

logger = logging.getLogger(__name__)

REPLICA = "SET LOCAL session_replication_role = replica"
ORIGIN = "SET LOCAL session_replication_role = origin"

# The enabled triggers an INSERT into the tables (regclass[] parameter) fires, by oid:
# 4 is tgtype's INSERT bit; D, disabled, fires on nothing.
INSERT_TRIGGERS_SQL = """
    ARRAY(
        SELECT t.oid FROM pg_trigger t
        WHERE t.tgrelid = ANY(%s::regclass[]) AND t.tgtype & 4 <> 0 AND t.tgenabled <> 'D'
        ORDER BY t.oid
    )"""


def privilege_sql() -> str:
    """A boolean SQL expression: this connection's role may set session_replication_role
    to replica, and it is at origin now. has_parameter_privilege is PostgreSQL 15's: an
    unknown function would abort the transaction, so it is named only where it exists."""
    connection.ensure_connection()
    granted = (
        "has_parameter_privilege('session_replication_role', 'SET')"
        if connection.connection.info.server_version >= 150000
        else "false"
    )
    return (
        "(current_setting('session_replication_role') = 'origin'"
        f" AND (current_setting('is_superuser') = 'on' OR {granted}))"
    )


def foreign_keys(model: type[models.Model]) -> set[tuple[str, str, str, str]]:
    """`model`'s foreign keys as (table, column, referenced table, referenced column)."""
    keys = [field for field in model._meta.concrete_fields if isinstance(field, models.ForeignKey)]
    return {
        (
            model._meta.db_table,
            field.column,
            field.target_field.model._meta.db_table,
            field.target_field.column,
        )
        for field in keys
    }


def foreign_key_check_triggers(models_: Iterable[type[models.Model]]) -> tuple[int, ...] | None:
    """If this connection's role may store the models' rows with the checks off
    (`privilege_sql`) and the triggers an INSERT into their tables fires are exactly their
    foreign keys' check triggers (enabled at origin, internal, each a one-column key the
    model declares): those triggers' oids, ordered as `INSERT_TRIGGERS_SQL` lists them.
    None otherwise, with a warning naming the other triggers (or a key's check missing).
    One statement."""
    models_ = list(models_)
    expected = set().union(*(foreign_keys(model) for model in models_))
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH listed AS (
                SELECT t.oid, concat_ws(' ', t.tgenabled, t.tgisinternal, c.contype,
                    t.tgrelid::regclass::text, column_.attname, c.confrelid::regclass::text,
                    referenced.attname) AS description
                FROM unnest({INSERT_TRIGGERS_SQL}) listed (oid)
                JOIN pg_trigger t ON t.oid = listed.oid
                LEFT JOIN pg_constraint c ON c.oid = t.tgconstraint AND c.conrelid = t.tgrelid
                    AND cardinality(c.conkey) = 1
                LEFT JOIN pg_attribute column_
                    ON column_.attrelid = c.conrelid AND column_.attnum = c.conkey[1]
                LEFT JOIN pg_attribute referenced
                    ON referenced.attrelid = c.confrelid AND referenced.attnum = c.confkey[1]
            )
            SELECT {privilege_sql()},
                ARRAY(SELECT oid FROM listed ORDER BY oid),
                ARRAY(SELECT description FROM listed ORDER BY oid)
            """,  # noqa: S608
            [tables],
        )
        allowed, oids, found = cursor.fetchone()
    if not allowed:
        return None
    # Each key's check, as the query reads it: enabled at origin (O), internal (t), a
    # foreign key's (f), its table and column, the table and column it refers to.
    proven = {f"O t f {' '.join(key)}" for key in expected}
    unexpected = set(found) - proven
    if unexpected or len(found) != len(proven):
        logger.warning(
            "Rows of %s stored with row-by-row checks: triggers besides their keys' (%s)",
            ", ".join(tables),
            ", ".join(sorted(unexpected)) or "a key's check missing",
        )
        return None
    return tuple(oids)
