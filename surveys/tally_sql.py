"""The SQL that adds replies to a survey's rating and duration counts (`surveys.tallies`
keeps the invariant and the locks; this writes the statements): two INSERT … SELECT …
GROUP BY … ON CONFLICT DO UPDATE SET n = n + excluded.n, one for the ratings and one for
the durations, which PostgreSQL and SQLite (3.24 and newer) both speak. Set-based: no
row goes through Python, whether one reply is counted or a million."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

from surveys.models import (
    DURATION_COUNT_KEY,
    RATING_COUNT_KEY,
    Answer,
    DurationCount,
    Question,
    QuestionKind,
    RatingCount,
    Response,
    ResponseStatus,
)

# Lower bounds (seconds) of the bands of completion time a rating count is kept per:
# band 0 is under 10 s, band i from DURATION_BANDS[i - 1] up to DURATION_BANDS[i], the
# last one a day and more; -1 is "no completion time". Any too-fast limit then cuts
# through one band only, whose replies are few.
DURATION_BANDS: tuple[int, ...] = (10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600)
DURATION_BANDS += (900, 1200, 1800, 2700, 3600, 7200, 14400, 86400)
NO_DURATION = -1

INTERNAL, EXTERNAL = "internal", "external"


def grid_ids(survey_id: int) -> list[int]:
    return list(
        Question.objects.filter(survey_id=survey_id, kind=QuestionKind.GRID).values_list(
            "pk", flat=True
        )
    )


def quoted(name: str) -> str:
    return str(connection.ops.quote_name(name))


RESPONSE = "r"
ANSWER = "a"


def count_into(
    cursor: Any,
    survey_id: int,
    replies: str,
    params: Sequence[Any],
    *,
    grids: Sequence[int] | None = None,
    then: tuple[str, Sequence[Any]] | None = None,
) -> None:
    """Add to the counts the ratings and durations of the survey's replies that meet
    `replies` (SQL on the responses, aliased r, with its `params`): two INSERT … SELECT …
    GROUP BY … ON CONFLICT DO UPDATE SET n = n + excluded.n, which PostgreSQL and SQLite
    (3.24 and newer) both speak. Only quoted names from the models' metadata and
    integers of DURATION_BANDS are formatted in; values are parameters. `grids`: the ids
    of the survey's grid questions (`grid_ids`), if the caller has read them already.

    `then`: a statement (SQL, parameters) to run after the two, one that does not read
    the counts. On PostgreSQL the three are then one statement, one round trip: the two
    INSERTs as data-modifying WITH queries of the third (each runs once, to completion,
    on the statement's snapshot, which holds the replies marked by earlier statements;
    none reads what another writes)."""
    r, a = RESPONSE, ANSWER

    def col(alias: str, model: type[models.Model], name: str) -> str:
        return f"{alias}.{quoted(_column(model, name))}"

    duration = col(r, Response, "duration_seconds")
    band = " ".join(
        [
            f"CASE WHEN {duration} IS NULL THEN {NO_DURATION}",
            *(f"WHEN {duration} < {bound} THEN {i}" for i, bound in enumerate(DURATION_BANDS)),
            f"ELSE {len(DURATION_BANDS)} END",
        ]
    )
    side = _side(col(r, Response, "respondent_internal"))
    # In RATING_COUNT_KEY's order, the survey first.
    rating_key = [
        col(a, Answer, "question"),
        col(a, Answer, "row_code"),
        col(a, Answer, "column_code"),
        col(r, Response, "respondent_group"),
        side,
        col(r, Response, "straight_lined"),
        band,
        col(a, Answer, "value"),
    ]
    # The grids by their ids, not by a subquery: PostgreSQL then knows from its
    # statistics that most answers are ratings, and plans for millions of them.
    grids = list(grid_ids(survey_id) if grids is None else grids) or [0]
    survey_filter = f"{r}.{quoted(_column(Response, 'survey'))} = %s"
    ratings_select = (
        f"SELECT %s, {', '.join(rating_key)}, COUNT(*) "  # noqa: S608
        f"FROM {quoted(Answer._meta.db_table)} {a} "
        f"INNER JOIN {quoted(Response._meta.db_table)} {r} "
        f"ON {r}.{quoted('id')} = {col(a, Answer, 'response')} "
        f"WHERE {survey_filter} AND ({replies}) AND {col(a, Answer, 'value')} IS NOT NULL "
        f"AND {col(a, Answer, 'question')} IN ({', '.join(['%s'] * len(grids))}) "
        f"GROUP BY {', '.join(rating_key)}"
    )
    statements: list[tuple[str, Sequence[Any]]] = [
        (
            _upsert(RatingCount, RATING_COUNT_KEY, ratings_select),
            [survey_id, survey_id, *params, *grids],
        )
    ]
    duration_key = [
        f"{duration} IS NOT NULL",
        f"COALESCE({duration}, 0)",
        col(r, Response, "straight_lined"),
    ]
    durations_select = (
        f"SELECT %s, {', '.join(duration_key)}, COUNT(*) "  # noqa: S608
        f"FROM {quoted(Response._meta.db_table)} {r} WHERE {survey_filter} AND ({replies}) "
        f"GROUP BY {', '.join(duration_key)}"
    )
    statements.append(
        (
            _upsert(DurationCount, DURATION_COUNT_KEY, durations_select),
            [survey_id, survey_id, *params],
        )
    )
    if then is None:
        for sql, values in statements:
            cursor.execute(sql, values)
        return
    if connection.vendor != "postgresql":
        for sql, values in (*statements, then):
            cursor.execute(sql, values)
        return
    with_queries = ", ".join(f"counted_{i} AS ({sql})" for i, (sql, _) in enumerate(statements))
    cursor.execute(
        f"WITH {with_queries} {then[0]}",
        [*(value for _, values in statements for value in values), *then[1]],
    )


def _side(internal: str) -> str:
    """The side code (`RatingCount.respondent_side`) of the column `internal`."""
    return (
        f"CASE WHEN {internal} IS NULL THEN '' WHEN {internal} THEN '{INTERNAL}' "
        f"ELSE '{EXTERNAL}' END"
    )


def rating_sums_sql(
    survey_id: int,
    question_id: int,
    *,
    exclude_straight_lined: bool,
    bands_below: int,
    subtract: tuple[int, int] | None,
) -> tuple[str, list[Any]]:
    """One statement: the rating counts of one grid question summed per row, column,
    group, side and value (rows of those five and a count, each key once), without the
    straight-lined replies if asked and without the bands of completion time under
    `bands_below`; with `subtract` (from, to seconds), less the answers of the counted
    replies that took from `from` to under `to` seconds (the replies under the too-fast
    limit in the one band it cuts through), keys whose sum that leaves at 0 left out."""
    c, r, a = "c", RESPONSE, ANSWER

    def col(alias: str, model: type[models.Model], name: str) -> str:
        return f"{alias}.{quoted(_column(model, name))}"

    names = [
        quoted(_column(RatingCount, name))
        for name in ("row_code", "column_code", "respondent_group", "respondent_side", "value")
    ]
    key = [f"{c}.{name}" for name in names]
    conditions = [
        f"{col(c, RatingCount, 'survey')} = %s",
        f"{col(c, RatingCount, 'question')} = %s",
    ]
    params: list[Any] = [survey_id, question_id]
    if exclude_straight_lined:
        conditions.append(f"{col(c, RatingCount, 'straight_lined')} = %s")
        params.append(False)
    if bands_below > 0:  # the bands wholly under the limit are left out
        band = col(c, RatingCount, "duration_band")
        conditions.append(f"NOT ({band} >= 0 AND {band} < %s)")
        params.append(bands_below)
    counts = f"FROM {quoted(RatingCount._meta.db_table)} {c} WHERE {' AND '.join(conditions)}"
    n = col(c, RatingCount, "n")
    if subtract is None:
        # Every count is above 0 (the table's check): so is every sum.
        sql = f"SELECT {', '.join(key)}, SUM({n}) {counts} GROUP BY {', '.join(key)}"
        return sql, params
    # As joined conditions: PostgreSQL then starts from the few replies (the partial index
    # on counted replies' durations), not from the answers.
    duration = col(r, Response, "duration_seconds")
    answer_key = [
        col(a, Answer, "row_code"),
        col(a, Answer, "column_code"),
        col(r, Response, "respondent_group"),
        _side(col(r, Response, "respondent_internal")),
        col(a, Answer, "value"),
    ]
    conditions = [
        f"{col(a, Answer, 'question')} = %s",
        f"{col(a, Answer, 'value')} IS NOT NULL",
        f"{col(r, Response, 'survey')} = %s",
        f"{col(r, Response, 'status')} = %s",
        f"{col(r, Response, 'tally_batch')} IS NOT NULL",
        f"{duration} >= %s",
        f"{duration} < %s",
    ]
    params += [question_id, survey_id, ResponseStatus.SUBMITTED.value, *subtract]
    if exclude_straight_lined:
        conditions.append(f"{col(r, Response, 'straight_lined')} = %s")
        params.append(False)
    # The counts and the answers (-1 each) in one grouped sum: the database adds up the
    # rows of a key, not the caller (a Python pass over 1,500 rows less).
    s = "s"
    summed = [f"{s}.{name}" for name in names]
    total = f"SUM({s}.{quoted(_column(RatingCount, 'n'))})"  # the first SELECT's names
    sql = (
        f"SELECT {', '.join(summed)}, {total} FROM ("  # noqa: S608
        f"SELECT {', '.join(key)}, {n} {counts} "
        f"UNION ALL SELECT {', '.join(answer_key)}, -1 "
        f"FROM {quoted(Answer._meta.db_table)} {a} "
        f"INNER JOIN {quoted(Response._meta.db_table)} {r} "
        f"ON {r}.{quoted('id')} = {col(a, Answer, 'response')} "
        f"WHERE {' AND '.join(conditions)}) {s} "
        f"GROUP BY {', '.join(summed)} HAVING {total} > 0"
    )
    return sql, params


def mark_waiting_sql(survey_id: int, batch: int) -> tuple[str, list[Any]]:
    """UPDATE the survey's submitted replies not counted yet to carry `batch`: the
    statement of `Response.objects.filter(survey_id=…, status=SUBMITTED,
    tally_batch__isnull=True).update(tally_batch=batch)`, written without the ORM."""
    batch_column = quoted(_column(Response, "tally_batch"))
    return (
        f"UPDATE {quoted(Response._meta.db_table)} SET {batch_column} = %s "  # noqa: S608
        f"WHERE {quoted(_column(Response, 'survey'))} = %s "
        f"AND {quoted(_column(Response, 'status'))} = %s AND {batch_column} IS NULL",
        [batch, survey_id, ResponseStatus.SUBMITTED.value],
    )


def update_sql(
    model: type[models.Model], values: dict[str, Any], where: dict[str, Any]
) -> tuple[str, list[Any]]:
    """UPDATE `model`'s table SET `values` WHERE `where` (field names -> values, already
    adapted for the database), as SQL and parameters."""
    table = quoted(model._meta.db_table)
    assignments = ", ".join(f"{quoted(_column(model, name))} = %s" for name in values)
    conditions = " AND ".join(f"{quoted(_column(model, name))} = %s" for name in where)
    return (
        f"UPDATE {table} SET {assignments} WHERE {conditions}",  # noqa: S608 - quoted names
        [*values.values(), *where.values()],
    )


def _upsert(model: type[models.Model], key: Sequence[str], select: str) -> str:
    """INSERT the rows of `select` (survey id, *key without the survey, n) into `model`'s
    table, adding `n` to the stored count of a key that is there already."""
    table = quoted(model._meta.db_table)
    keys = [_column(model, name) for name in key]
    columns = ["survey_id", *(c for c in keys if c != "survey_id"), "n"]
    # SQLite reads an INSERT … SELECT's ON CONFLICT right only after a WHERE or GROUP BY,
    # which every select here has.
    return (
        f"INSERT INTO {table} ({', '.join(map(quoted, columns))}) {select} "
        f"ON CONFLICT ({', '.join(map(quoted, keys))}) "
        f"DO UPDATE SET {quoted('n')} = {table}.{quoted('n')} + excluded.{quoted('n')}"
    )


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return str(field.column)
