"""Synthetic replies written with COPY: into the app's tables, exactly as the app stores
them, and into the minimal table of the bare baseline (benchmarks/bare_sql.py).

The replies are `materiality.demo.synthetic.replies_generate`'s blocks (numpy arrays). Each
table gets one `COPY ... FROM STDIN` (text format) of the whole stream, so PostgreSQL
parses rows while Python builds the next ones (psycopg's queued writer sends from a
thread). The generator is deterministic and cheap (about 2 s per million replies), so it
is simply run once per table: responses, answers, minimal rows.

The rows are those of `replies_load`, the engine's own bulk loader: a response submitted
through the open link (status submitted, source web with reference "synthetic", group
and side answered on the first page and copied onto the response, straight_lined by the
engine's rule, a duration) and its answers — group, side, one row per topic × axis (a
value, or NULL with dont_know), a few topic and overall comments. `check_same_rows`
proves it on every run against `replies_load` with the same seed.

Foreign keys are not checked row by row during the load (`session_replication_role =
replica` skips their triggers; unique and check constraints and every index still apply,
as pg_restore does it), and are checked once afterwards with two anti-joins: 34 million
deferred trigger events would not fit in the backend's memory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from benchmarks import bare_sql
from materiality.demo.shape import DEMO_REPLIES_PER_GROUP
from materiality.demo.synthetic import (
    DONT_KNOW,
    FIELDWORK,
    SOURCE_REFERENCE,
    ReplyBlock,
    group_plans,
    replies_generate,
)
from materiality.models import AXES, Assessment
from materiality.questionnaire import (
    GROUP_QUESTION,
    IMPORTANCE_QUESTION,
    OVERALL_COMMENT_QUESTION,
    SIDE_QUESTION,
)
from surveys.bulk import ANSWER_COPY_COLUMNS
from surveys.models import (
    Answer,
    DurationCount,
    OptionRole,
    Question,
    QuestionOption,
    RatingCount,
    RatingTally,
    Response,
    ResponseSource,
    ResponseStatus,
)

NULL = "\\N"
assert DONT_KNOW == -1, "the row tables below index ratings by value + 1"
RESPONSE_COLUMNS = (
    "id",
    "survey_id",
    "resume_hash",
    "status",
    "source",
    "source_reference",
    "language",
    "respondent_group",
    "respondent_internal",
    "respondent_fixed",
    "started_at",
    "updated_at",
    "submitted_at",
    "duration_seconds",
    "straight_lined",
    "contact_email",
    "limit_address",
    "limit_device",
    "tally_batch",
)


def replies_per_group(total: int) -> dict[str, int]:
    """`total` replies spread over the eight groups as the model company's 1,151 are
    (largest remainders, so the counts add up exactly)."""
    base = sum(DEMO_REPLIES_PER_GROUP.values())
    shares = {code: n * total / base for code, n in DEMO_REPLIES_PER_GROUP.items()}
    counts = {code: int(share) for code, share in shares.items()}
    by_remainder = sorted(shares, key=lambda code: shares[code] - counts[code], reverse=True)
    for code in by_remainder[: total - sum(counts.values())]:
        counts[code] += 1
    return counts


@dataclass(frozen=True)
class Form:
    """The ids and codes of the assessment's questionnaire that answers point at."""

    survey_id: int
    group_question: int
    side_question: int
    grid: int
    overall_comment: int | None
    row_comments: bool
    topics: tuple[str, ...]
    scale: tuple[int, int]
    dont_know: bool
    languages: tuple[str, ...]
    estimated_minutes: int

    @classmethod
    def of(cls, assessment: Assessment) -> Form:
        survey = assessment.survey
        codes = (GROUP_QUESTION, SIDE_QUESTION, IMPORTANCE_QUESTION, OVERALL_COMMENT_QUESTION)
        questions = {
            q.code: q for q in Question.objects.filter(survey=survey, retired=False, code__in=codes)
        }
        grid = questions[IMPORTANCE_QUESTION]
        rows = QuestionOption.objects.filter(question=grid, role=OptionRole.ROW).order_by(
            "order", "pk"
        )
        closing = questions.get(OVERALL_COMMENT_QUESTION)
        return cls(
            survey_id=survey.pk,
            group_question=questions[GROUP_QUESTION].pk,
            side_question=questions[SIDE_QUESTION].pk,
            grid=grid.pk,
            overall_comment=closing.pk if closing else None,
            row_comments=grid.row_comments,
            topics=tuple(rows.values_list("code", flat=True)),
            scale=(grid.scale_min, grid.scale_max),
            dont_know=grid.allow_dont_know,
            languages=tuple(survey.languages or [settings.LANGUAGE_CODE]),
            estimated_minutes=survey.estimated_minutes,
        )


@dataclass(frozen=True)
class Load:
    replies: int
    answer_rows: int
    minimal_rows: int
    seconds: dict[str, float]  # per table, plus "vacuum analyze"

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _blocks(
    assessment: Assessment, form: Form, replies: Mapping[str, int], seed: int
) -> Iterator[ReplyBlock]:
    internal = dict(
        assessment.groups.filter(code__in=list(replies)).values_list("code", "internal")
    )
    return replies_generate(
        topics=form.topics,
        groups=group_plans(replies, internal),
        seed=seed,
        scale=form.scale,
        dont_know=form.dont_know,
        estimated_minutes=form.estimated_minutes,
        languages=form.languages,
    )


def _timestamps(seconds: np.ndarray) -> list[str]:
    """Epoch seconds as PostgreSQL timestamptz text, vectorised."""
    micro = np.rint(seconds * 1e6).astype("datetime64[us]")
    return [f"{text}+00" for text in np.datetime_as_string(micro, unit="us").tolist()]


def _response_rows(
    block: ReplyBlock,
    form: Form,
    first_id: int,
    start: float,
    span: float,
    now: str,
    batch: int | None,
) -> str:
    mark = r"\N" if batch is None else str(batch)
    n = len(block)
    duration = block.duration_seconds.astype(np.float64)
    submitted = start + duration + block.arrival * np.maximum(span - duration, 0)
    started_at = _timestamps(submitted - duration)
    submitted_at = _timestamps(submitted)
    hashes = os.urandom(32 * n).hex()  # unique like a token digest; nothing resumes them
    plans = block.groups
    lines = []
    for i, (g, lang, seconds, straight) in enumerate(
        zip(
            block.group.tolist(),
            block.language.tolist(),
            block.duration_seconds.tolist(),
            block.straight_lined.tolist(),
            strict=True,
        )
    ):
        plan = plans[g]
        lines.append(
            f"{first_id + i}\t{form.survey_id}\t{hashes[64 * i : 64 * i + 64]}\t"
            f"{ResponseStatus.SUBMITTED.value}\t{ResponseSource.WEB.value}\t{SOURCE_REFERENCE}\t"
            f"{block.languages[lang]}\t{plan.code}\t{'t' if plan.internal else 'f'}\tf\t"
            f"{started_at[i]}\t{now}\t{submitted_at[i]}\t{seconds}\t{'t' if straight else 'f'}\t"
            f"\t\t\t{mark}\n"  # contact_email, limit_address, limit_device empty
        )
    return "".join(lines)


def _answer_rows(block: ReplyBlock, form: Form, first_id: int) -> str:
    low, high = form.scale
    # cells[k][v + 1]: the row of topic × axis k with rating v (index 0: "don't know").
    cells = [
        [f"\t{form.grid}\t{topic}\t{axis}\t{NULL}\tt\t\n"]
        + [
            f"\t{form.grid}\t{topic}\t{axis}\t{v}\tf\t\n" if low <= v <= high else ""
            for v in range(high + 1)
        ]
        for topic in form.topics
        for axis in AXES
    ]
    comments: dict[int, list[str]] = {}
    if form.row_comments:
        for i, t, text in block.comments:
            comments.setdefault(i, []).append(
                f"\t{form.grid}\t{form.topics[t]}\t\t{NULL}\tf\t{_escape(text)}\n"
            )
    if form.overall_comment is not None:
        for i, text in block.overall_comments:
            comments.setdefault(i, []).append(
                f"\t{form.overall_comment}\t\t\t{NULL}\tf\t{_escape(text)}\n"
            )
    group_rows = [f"\t{form.group_question}\t\t{plan.code}\t{NULL}\tf\t\n" for plan in block.groups]
    side_rows = [
        f"\t{form.side_question}\t\t{'internal' if plan.internal else 'external'}\t{NULL}\tf\t\n"
        for plan in block.groups
    ]
    ratings = block.ratings.reshape(len(block), -1).tolist()
    parts = []
    for i, (g, row) in enumerate(zip(block.group.tolist(), ratings, strict=True)):
        rid = str(first_id + i)
        parts.append(rid + group_rows[g])
        parts.append(rid + side_rows[g])
        parts.extend([rid + cells[k][v + 1] for k, v in enumerate(row)])
        parts.extend(rid + line for line in comments.get(i, ()))
    return "".join(parts)


def _minimal_rows(block: ReplyBlock, form: Form, first_id: int) -> str:
    value = [NULL, *(str(v) for v in range(form.scale[1] + 1))]  # value[v + 1]
    codes = [plan.code for plan in block.groups]
    ratings = block.ratings.tolist()
    parts = []
    for i, (g, rows) in enumerate(zip(block.group.tolist(), ratings, strict=True)):
        head = f"{first_id + i}\t{codes[g]}\t"
        parts.extend(
            [
                f"{head}{topic}\t{value[company + 1]}\t{value[stakeholder + 1]}\n"
                for topic, (company, stakeholder) in zip(form.topics, rows, strict=True)
            ]
        )
    return "".join(parts)


def _copy(
    cursor: psycopg.Cursor[tuple[object, ...]],
    table: str,
    columns: Sequence[str],
    chunks: Iterator[str],
) -> int:
    """One COPY of the whole stream; returns the number of rows sent."""
    rows = 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for chunk in chunks:
            rows += chunk.count("\n")  # texts are escaped: one newline per row
            copy.write(chunk.encode())
    return rows


def copy_replies(
    database_url: str,
    assessment: Assessment,
    replies: Mapping[str, int],
    seed: int,
    tally_batch: int | None = None,
) -> Load:
    """Load sum(replies) synthetic replies into the assessment's survey and the minimal
    table (created if missing), in one transaction, then VACUUM ANALYZE. The replies are
    submitted but not in the survey's rating counts yet. With `tally_batch` (from
    `surveys.tallies.tally_batch_reserve`) they are written marked with it, as the
    engine's bulk store writes them, for `tally_batch_count` to count them next;
    without, the next run folds them in."""
    form = Form.of(assessment)
    total = sum(replies.values())
    now = timezone.now()
    start = (now - FIELDWORK).timestamp()  # replies_load's fieldwork for an undated survey
    span = FIELDWORK.total_seconds()
    stamp = _timestamps(np.array([now.timestamp()]))[0]
    seconds: dict[str, float] = {}
    with psycopg.connect(database_url) as pg, pg.cursor() as cursor:
        cursor.execute(bare_sql.CREATE_TABLE)
        # Only this benchmark writes to its database: reserve `total` ids in one go.
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [Response._meta.db_table, Response._meta.db_table, total],
        )
        row = cursor.fetchone()
        assert row is not None
        first_id = int(row[0]) - total + 1
        cursor.execute("SET LOCAL session_replication_role = replica")
        began = time.perf_counter()
        responses = _copy(
            cursor,
            Response._meta.db_table,
            RESPONSE_COLUMNS,
            (
                _response_rows(b, form, first_id + b.first, start, span, stamp, tally_batch)
                for b in _blocks(assessment, form, replies, seed)
            ),
        )
        seconds[Response._meta.db_table] = time.perf_counter() - began
        began = time.perf_counter()
        answers = _copy(
            cursor,
            Answer._meta.db_table,
            ANSWER_COPY_COLUMNS,
            (
                _answer_rows(b, form, first_id + b.first)
                for b in _blocks(assessment, form, replies, seed)
            ),
        )
        seconds[Answer._meta.db_table] = time.perf_counter() - began
        began = time.perf_counter()
        minimal = _copy(
            cursor,
            bare_sql.TABLE,
            bare_sql.COLUMNS,
            (
                _minimal_rows(b, form, first_id + b.first)
                for b in _blocks(assessment, form, replies, seed)
            ),
        )
        seconds[bare_sql.TABLE] = time.perf_counter() - began
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        began = time.perf_counter()
        _check_foreign_keys(cursor)
        seconds["foreign keys checked"] = time.perf_counter() - began
    began = time.perf_counter()
    vacuum_analyze()
    seconds["vacuum analyze"] = time.perf_counter() - began
    if responses != total:
        raise SystemExit(f"COPY sent {responses} responses for {total} replies")
    return Load(total, answers, minimal, seconds)


def _check_foreign_keys(cursor: psycopg.Cursor[tuple[object, ...]]) -> None:
    """What the skipped triggers would have checked, in one pass per key."""
    checks = {
        "answers without their response": (
            "SELECT count(*) FROM surveys_answer a "
            "WHERE NOT EXISTS (SELECT 1 FROM surveys_response r WHERE r.id = a.response_id)"
        ),
        "answers to an unknown question": (
            "SELECT count(*) FROM surveys_answer a "
            "WHERE NOT EXISTS (SELECT 1 FROM surveys_question q WHERE q.id = a.question_id)"
        ),
        "responses to an unknown survey": (
            "SELECT count(*) FROM surveys_response r "
            "WHERE NOT EXISTS (SELECT 1 FROM surveys_survey s WHERE s.id = r.survey_id)"
        ),
    }
    for problem, query in checks.items():
        cursor.execute(query)
        row = cursor.fetchone()
        if row is None or row[0]:
            raise SystemExit(f"COPY left {row[0] if row else '?'} {problem}")


# The survey's counts and their bookkeeping (surveys.tallies).
COUNT_TABLES = (
    RatingCount._meta.db_table,
    DurationCount._meta.db_table,
    RatingTally._meta.db_table,
)


def vacuum_analyze(tables: Sequence[str] | None = None) -> None:
    """Fresh statistics and visibility maps, then a checkpoint, so that no timed query pays
    for hint bits or dirty pages of a bulk write. By default the tables a load writes
    (the reply tables, the minimal table) and the survey's counts (empty after a load)."""
    if tables is None:
        tables = (Response._meta.db_table, Answer._meta.db_table, bare_sql.TABLE, *COUNT_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        cursor.execute("CHECKPOINT")


def truncate_replies() -> None:
    """Empty the reply tables (and what hangs off answers, comment tags) and the surveys'
    rating counts and their bookkeeping, so that every size is measured on tables holding
    that size alone and starts with no counts."""
    tables = (Answer._meta.db_table, Response._meta.db_table, bare_sql.TABLE, *COUNT_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(bare_sql.CREATE_TABLE)
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


# --- Same rows as the engine's own loader ----------------------------------------------

ResponseShape = tuple[object, ...]


def _shapes(survey_id: int) -> list[tuple[ResponseShape, list[tuple[object, ...]]]]:
    """Every response of a survey in order, with its answers, without ids and times."""
    responses = list(
        Response.objects.filter(survey_id=survey_id)
        .order_by("pk")
        .values_list(
            "pk",
            "status",
            "source",
            "source_reference",
            "language",
            "respondent_group",
            "respondent_internal",
            "respondent_fixed",
            "duration_seconds",
            "straight_lined",
            "contact_email",
            "invitation_id",
        )
    )
    answers: dict[int, list[tuple[object, ...]]] = {}
    for response_id, *rest in Answer.objects.filter(response__survey_id=survey_id).values_list(
        "response_id", "question__code", "row_code", "column_code", "value", "dont_know", "text"
    ):
        answers.setdefault(response_id, []).append(tuple(rest))
    return [(tuple(r[1:]), sorted(answers.get(r[0], []), key=repr)) for r in responses]


def check_same_rows(copied: Assessment, loaded: Assessment) -> int:
    """SystemExit unless the COPY-loaded survey holds the rows `replies_load` stored for
    the same replies; returns the number of rows compared."""
    ours, engine = _shapes(copied.survey_id), _shapes(loaded.survey_id)
    if len(ours) != len(engine):
        raise SystemExit(f"COPY stored {len(ours)} responses, replies_load {len(engine)}")
    for number, (a, b) in enumerate(zip(ours, engine, strict=True)):
        if a != b:
            raise SystemExit(f"response {number} differs:\nCOPY:         {a}\nreplies_load: {b}")
    return sum(1 + len(answers) for _, answers in ours)
