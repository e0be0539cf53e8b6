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


def count_into(cursor: Any, survey_id: int, replies: str, params: Sequence[Any]) -> None:
    """Add to the counts the ratings and durations of the survey's replies that meet
    `replies` (SQL on the responses, aliased r, with its `params`): two INSERT … SELECT …
    GROUP BY … ON CONFLICT DO UPDATE SET n = n + excluded.n, which PostgreSQL and SQLite
    (3.24 and newer) both speak. Only quoted names from the models' metadata and
    integers of DURATION_BANDS are formatted in; values are parameters."""
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
    internal = col(r, Response, "respondent_internal")
    side = (
        f"CASE WHEN {internal} IS NULL THEN '' WHEN {internal} THEN '{INTERNAL}' "
        f"ELSE '{EXTERNAL}' END"
    )
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
    grids = grid_ids(survey_id) or [0]
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
    cursor.execute(
        _upsert(RatingCount, RATING_COUNT_KEY, ratings_select),
        [survey_id, survey_id, *params, *grids],
    )
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
    cursor.execute(
        _upsert(DurationCount, DURATION_COUNT_KEY, durations_select),
        [survey_id, survey_id, *params],
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
