"""Whole responses collected elsewhere, stored many at a time: replies imported from a
file, the demo's synthetic replies. Part of the engine's one writer (`surveys.services`
is its home): whoever collected the replies stores them here rather than writing the
tables itself.

A reply arrives complete and is stored as submitted, as `response_submit` leaves a
response: submitted_at, duration_seconds (started_at that much earlier) and
straight_lined by the engine's rule. Every answer is checked against the survey's asked
questions first; one reply that does not fit refuses the whole call, naming it, and
nothing of the call is stored. The bookkeeping matches a submit's:

* rating counts: a submit writes none; with `count`, this stores the replies marked
  with a batch of the survey's counts (`surveys.tallies.tally_batch_reserve`, which
  locks the counts until the transaction ends) and counts them at the end, in the same
  transaction, with one set-based INSERT … SELECT … GROUP BY for the ratings and one for
  the durations (`tally_batch_count`): the first run after an import or a load then
  finds them counted instead of counting a million replies itself. Without it they stay
  uncounted (`tally_batch` null) until the next read folds them in;
* invitations: a reply brings no link, so no invitation is marked responded, and an
  anonymous survey keeps no way back to a person;
* submit hooks (`SURVEYS_SUBMIT_HOOKS`) do not run: they follow one submission, and a
  caller that stores thousands decides what follows once, in its own transaction (the
  importer asks for a scores run and records it in the audit trail with the import).

Queries: a lock on the survey row and the questionnaire (two reads, none for a
non-draft survey this process has read before), then per batch of replies one INSERT
of responses and, on PostgreSQL, one COPY of their answers, sent from a thread while the
next batch is made, with the answers' foreign keys checked as each COPY ends (two SET
CONSTRAINTS around the batches; `_AnswerWriter`); elsewhere one INSERT of answers per
ANSWER_ROWS_PER_INSERT rows. On PostgreSQL one query more finds whether the answers may be
bulk-loaded (below, "Bulk load"); if so, two at the start (the questions' lock, an answer
id from the sequence), two SET LOCAL around each COPY and one anti-join at the end.
SQLite, to Django 5.2, splits each into statements of at most 999 parameters; without
INSERT … RETURNING (SQLite before 3.35) one SELECT per batch finds the new responses'
ids. With `count`, a fixed handful more (the counts' lock and batch at the start; at
the end the grids' ids, two INSERT … SELECT and the tally's row).
"""

from __future__ import annotations

import logging
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

import psycopg
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.errors import ReplyInvalid, SurveyNotOpen
from surveys.models import (
    Answer,
    Question,
    QuestionKind,
    QuestionPurpose,
    Response,
    ResponseSource,
    ResponseStatus,
    Survey,
    SurveyStatus,
)
from surveys.plaintext import plain_text
from surveys.replica import ORIGIN, REPLICA, foreign_key_check_triggers
from surveys.selectors import Questionnaire, questionnaire_load
from surveys.services import AnswerInput, answer_rows, is_straight_lined
from surveys.tallies import tally_batch_count, tally_batch_reserve

logger = logging.getLogger(__name__)

# Replies validated and inserted per step (and per `on_batch` report).
BATCH_SIZE = 500
# Rows per INSERT, well under PostgreSQL's 65,535 parameters: a response has 18
# columns, an answer 7.
RESPONSE_ROWS_PER_INSERT = 2000
ANSWER_ROWS_PER_INSERT = 4000
JUDGED_MAX = 100_000  # answers without text remembered with what is wrong with them
# Answer objects remembered by identity (their check, their COPY line): an import passes
# the same few hundred over and over; a caller that makes new ones per reply fills this
# many and goes on without.
MET_MAX = 10_000


@dataclass(frozen=True)
class ReplyInput:
    """One respondent's whole response, as collected elsewhere.

    `answers` as the web form gives them (`AnswerInput`: a grid cell with a rating or
    "don't know", a row's comment with no column, a choice in `column_code`, a text).
    The respondent's group and side are taken from the answers to the questions that
    describe the respondent, where the reply has them, as the web form does; the fields
    here hold them otherwise (a survey without such questions, a file that names the
    group), and must agree with those answers when both are given. `respondent_fixed`:
    the group and side came with the reply, as with a group link, rather than being
    asked."""

    answers: Sequence[AnswerInput]
    submitted_at: datetime | None = None  # None: the time of the store
    duration_seconds: int | None = None  # None: not known
    language: str = ""
    respondent_group: str = ""
    respondent_internal: bool | None = None
    respondent_fixed: bool = False
    source_reference: str = ""  # where the reply came from (a file and line, "synthetic")


@transaction.atomic
def responses_store_bulk(
    *,
    survey: Survey,
    replies: Iterable[ReplyInput],
    source: ResponseSource,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
    count: bool = False,
) -> int:
    """Store `replies` as submitted responses of `survey`, with their answers; returns
    how many. All or nothing: `ReplyInvalid` names the first reply that does not fit
    (and what is wrong); `SurveyNotOpen` for a draft survey, whose questions may still
    change. A closed survey takes replies (an import after the fieldwork).

    `replies` is read once, `batch_size` at a time, so a generator of a million replies
    is never held whole; `on_batch` is told the number stored so far after each batch
    (a progress bar), once that batch is in the database: it may use the connection
    too. The survey row stays locked until the caller's transaction ends:
    the questionnaire cannot change under the replies. `count`: fold them into the
    survey's rating counts before returning (see the module's docstring)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if locked.status == SurveyStatus.DRAFT:
        raise SurveyNotOpen
    checker = _Checker(questionnaire_load(locked))
    now = timezone.now()
    stored = 0  # sent to the database; on PostgreSQL the last batch may be on its way
    # Counted: written already marked with a batch of the counts, counted at the end.
    tally_batch = tally_batch_reserve(locked.pk) if count else None
    texts = _AnswerTexts()
    writer = _AnswerWriter(locked.pk) if connection.vendor == "postgresql" else None
    # While a COPY is under way nothing else may use the connection (bulk-loaded, its
    # triggers are off): a statement of `replies` or `on_batch` then is refused.
    guard = connection.execute_wrapper(writer.refuse_while_copying) if writer else nullcontext()
    try:
        with guard:
            for batch in _batches(replies, batch_size):
                # Made while the writer sends the batch before (PostgreSQL).
                responses = [
                    checker.response(
                        reply, number=stored + i, survey_id=locked.pk, source=source, now=now
                    )
                    for i, reply in enumerate(batch, start=1)
                ]
                for response in responses:
                    response.tally_batch = tally_batch
                if writer is not None:
                    writer.wait()  # the batch before is in: the connection is free
                    if stored and on_batch is not None:
                        on_batch(stored)
                _insert(responses, batch, texts, writer)
                stored += len(batch)
                if writer is None and on_batch is not None:
                    on_batch(stored)
            if writer is not None:
                writer.finish()
                if stored and on_batch is not None:
                    on_batch(stored)
    finally:
        if writer is not None:
            writer.close(propagating=sys.exc_info()[1])
    if tally_batch is not None:
        tally_batch_count(locked.pk, tally_batch, stored)
    return stored


def _batches(replies: Iterable[ReplyInput], size: int) -> Iterator[list[ReplyInput]]:
    iterator = iter(replies)
    while batch := list(islice(iterator, size)):
        yield batch


def _insert(
    responses: list[Response],
    replies: Sequence[ReplyInput],
    texts: _AnswerTexts,
    writer: _AnswerWriter | None,
) -> None:
    Response.objects.bulk_create(responses, batch_size=RESPONSE_ROWS_PER_INSERT)
    if not connection.features.can_return_rows_from_bulk_insert:
        # Old SQLite: the new ids by their (unique) resume hashes, in one query.
        ids = dict(
            Response.objects.filter(
                resume_hash__in=[response.resume_hash for response in responses]
            ).values_list("resume_hash", "pk")
        )
        for response in responses:
            response.pk = ids[response.resume_hash]
    if writer is not None:
        writer.send(_copy_text_lines(responses, replies, texts))
        return
    answers: list[Answer] = []
    for response, reply in zip(responses, replies, strict=True):
        answers.extend(answer_rows(response, reply.answers))
    Answer.objects.bulk_create(answers, batch_size=ANSWER_ROWS_PER_INSERT)


# An answer row's columns, in the order a COPY of answers sends them (benchmarks too).
ANSWER_COPY_COLUMNS = (
    "response_id",
    "question_id",
    "row_code",
    "column_code",
    "value",
    "dont_know",
    "text",
)


def _copy_text_lines(
    responses: Sequence[Response], replies: Sequence[ReplyInput], texts: _AnswerTexts
) -> str:
    """The answers of a batch as COPY's text: the rows `answer_rows` makes, without a
    model instance each (an imported reply holds 36 answers: at 100,000 replies, building
    and binding 3.6 million Answer objects cost more than the rest of the import). Each
    answer's columns after the response's id are written once per answer object
    (`_AnswerTexts`: an import passes the same few hundred objects over and over), its
    text cleaned as `answer_rows` cleans it."""
    return "".join(
        [
            f"{response.pk}{texts.line(answer)}"
            for response, reply in zip(responses, replies, strict=True)
            for answer in reply.answers
        ]
    )


class _AnswerWriter:
    """Sends each batch's answers in one COPY (PostgreSQL), from a thread of its own, so
    that the database stores a batch while Python makes the next one: the two run on two
    cores rather than one after the other.

    The answers' foreign keys are checked when each COPY ends (SET CONSTRAINTS ALL
    IMMEDIATE, within this transaction only) rather than all at the commit: checking
    3.6 million answers' response and question at the commit kept the database busy
    for as long again while Python waited. ALL, not the two by name: Django declares
    every foreign key DEFERRABLE INITIALLY DEFERRED and no other constraint deferrable,
    so ALL DEFERRED at the end gives the caller's transaction back exactly what it had.

    A role that may bulk-load (`bulk_load_allowed`) sends each COPY with the foreign-key
    triggers off and proves the keys once after the last (`_bulk_load_prove`).

    The thread uses the same connection, and so the same transaction; psycopg serialises
    its use, and `wait` is called before the connection is used for anything else: with
    the triggers off during a COPY, nothing else may run then."""

    def __init__(self, survey_id: int) -> None:
        self.connection = connection.connection  # psycopg's, within the atomic block
        self.table = connection.ops.quote_name(Answer._meta.db_table)
        self.statement = f"COPY {self.table} ({', '.join(ANSWER_COPY_COLUMNS)}) FROM STDIN"
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answers-copy")
        self.pending: Future[float] | None = None
        self._constraints("IMMEDIATE")
        # Bulk load: the answers stored are proven at the end.
        self.proof: _Proof | None = None
        if bulk_load_allowed():
            self.proof = _bulk_load_begin(survey_id)

    def _constraints(self, mode: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS ALL {mode}")

    def send(self, data: str) -> None:
        self.wait()
        self.pending = self.pool.submit(self._copy, data)

    def _copy(self, data: str) -> float:
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            if self.proof is not None:
                cursor.execute(REPLICA)
            with cursor.copy(self.statement) as copy:
                copy.write(data)
            if self.proof is not None:
                # Not on the way out of a failed COPY: the transaction is aborted then,
                # and its rollback takes the SET LOCAL back with everything else.
                cursor.execute(ORIGIN)
        return time.perf_counter() - started

    def wait(self) -> None:
        """Until the batch sent last is stored (its error raised here, as Django's)."""
        pending, self.pending = self.pending, None
        if pending is None:
            return
        with connection.wrap_database_errors:
            elapsed = pending.result()
        if connection.queries_logged:  # statements like any other for query counts
            sent = [self.statement]
            if self.proof is not None:
                sent = [REPLICA, self.statement, ORIGIN]
            connection.queries_log.extend({"sql": sql, "time": f"{elapsed:.3f}"} for sql in sent)

    def refuse_while_copying(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        """A `connection.execute_wrapper` around the store: a statement sent while the
        COPY thread has the connection is refused instead of run in the COPY's
        transaction (with the foreign keys' triggers off, when bulk-loaded)."""
        if self.pending is not None and not self.pending.done():
            raise RuntimeError("the answers' COPY is using the database connection")
        return execute(sql, params, many, context)

    def finish(self) -> None:
        """The last batch stored (and, bulk-loaded, its references proven); the foreign
        keys deferred again, as the caller's transaction expects them."""
        self.wait()
        if self.proof is not None:
            _bulk_load_prove(self.proof)
        self._constraints("DEFERRED")

    def close(self, propagating: BaseException | None = None) -> None:
        """The thread ended, once the COPY under way (if any) is over. Called on the
        way out of an error too (`propagating`). A failed COPY's error is raised when
        nothing else went wrong, or when what went wrong is the database's too (a query
        refused in the transaction the COPY aborted: the COPY's error is its cause).
        A reply refused meanwhile ("row N: …") is what the person importing can act on:
        it goes on, and the COPY's error is logged. Either way the transaction then
        rolls back to where this call began, and with it the constraints' mode."""
        pending, self.pending = self.pending, None
        if pending is not None:
            futures_wait([pending])
        self.pool.shutdown()
        failed = pending.exception() if pending is not None else None
        if failed is None:
            return
        if propagating is None or isinstance(propagating, DatabaseError | psycopg.Error):
            with connection.wrap_database_errors:
                raise failed
        logger.error("Answers not stored (%s); the store stopped for: %s", failed, propagating)


# --- Bulk load (PostgreSQL): the answers' foreign keys proven once, not row by row ------
#
# Checking an answer's response and question row by row (PostgreSQL's foreign-key
# triggers: one SELECT … FOR KEY SHARE per answer and key) is most of the database's
# work in a large import: 8.9 s of 15 s per 720,000 answers (docs/benchmarks.md, "Reply
# import"). A role allowed to set session_replication_role (a superuser, or granted SET
# on it: PostgreSQL 15+) loads the answers as pg_restore --disable-triggers does: the
# COPY runs with the triggers off (SET LOCAL, this transaction only, origin again before
# anything else runs on the connection), and the same integrity is proven set-based in
# the same transaction: the survey's questions locked at the start as the per-row
# checks would lock them (FOR KEY SHARE: not deleted, nor their id changed, until the
# commit), the new responses being this transaction's own, and after the last COPY one
# anti-join over the answers stored, which refuses the whole store if one lacks its
# response or question. Only when the triggers that an INSERT of answers fires are
# exactly those two keys' checks: a trigger added to the table by hand is never skipped
# (the answers then go as without the privilege, checked row by row).


def bulk_load_allowed() -> bool:
    """Whether this connection's role may load answers with their foreign-key triggers
    off, and the table has no other trigger that would be skipped with them
    (surveys/replica.py)."""
    return connection.vendor == "postgresql" and foreign_key_check_triggers([Answer]) is not None


@dataclass(frozen=True)
class _Proof:
    """What the proof after the last COPY holds the answers to."""

    survey_id: int
    answers_above: int  # every answer this store makes has a higher id
    responses_above: int  # and so has every response


def _bulk_load_begin(survey_id: int) -> _Proof:
    """Locks the survey's questions against deletion until the commit, as the per-row
    checks would, and takes one id from the answers' and the responses' sequences, which
    never give the same or a lower one again: what this store makes is above them."""
    questions = connection.ops.quote_name(Question._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {questions} WHERE survey_id = %s FOR KEY SHARE",  # noqa: S608
            [survey_id],
        )
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')),"
            " nextval(pg_get_serial_sequence(%s, 'id')),"
            " current_setting('is_superuser') = 'on'",
            [Answer._meta.db_table, Response._meta.db_table],
        )
        answers_above, responses_above, superuser = cursor.fetchone()
        if not superuser:
            # A parallel worker starts with the settings its leader changed in the
            # transaction, session_replication_role among them, and PostgreSQL (15)
            # refuses it that one unless the role is a superuser, a grant of SET
            # notwithstanding ("permission denied to set parameter … parallel worker"):
            # the proof, and every query after it in this transaction, run without.
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    return _Proof(survey_id, int(answers_above), int(responses_above))


def _bulk_load_prove(proof: _Proof) -> None:
    """Every answer this store made belongs to a response it made (this transaction's
    own, which no other can delete) and to a question of the survey (locked since the
    start), in one statement; IntegrityError (the transaction then rolls back) if not."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FILTER (WHERE r.id IS NULL), count(*) FILTER (WHERE q.id IS NULL)
            FROM {quote(Answer._meta.db_table)} a
            LEFT JOIN {quote(Response._meta.db_table)} r
                ON r.id = a.response_id AND r.id > %s AND r.survey_id = %s
            LEFT JOIN {quote(Question._meta.db_table)} q
                ON q.id = a.question_id AND q.survey_id = %s
            WHERE a.id > %s
            """,  # noqa: S608
            [proof.responses_above, proof.survey_id, proof.survey_id, proof.answers_above],
        )
        no_response, no_question = cursor.fetchone()
    if no_response or no_question:
        raise IntegrityError(
            f"{no_response} answers refer to no response stored with them and"
            f" {no_question} to no question of the survey: nothing stored."
        )


# COPY's text format: these characters are written as escapes; NULL is \N.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(text: str) -> str:
    """`text` as a value in COPY's text format."""
    return text.translate(_COPY_ESCAPES)


class _AnswerTexts:
    """An answer's columns after response_id as a line of COPY's text format, made once
    per answer object: `known` keeps the object itself beside its line, so that its id()
    cannot be reused while the line is kept."""

    def __init__(self) -> None:
        self.known: dict[int, tuple[AnswerInput, str]] = {}

    def line(self, answer: AnswerInput) -> str:
        found = self.known.get(id(answer))
        if found is not None and found[0] is answer:
            return found[1]
        text = plain_text(answer.text, multiline=True) if answer.text else ""
        value = "\\N" if answer.value is None else str(int(answer.value))
        line = (
            f"\t{int(answer.question_id)}\t{copy_text(answer.row_code)}"
            f"\t{copy_text(answer.column_code)}\t{value}"
            f"\t{'t' if answer.dont_know else 'f'}\t{copy_text(text)}\n"
        )
        if len(self.known) < MET_MAX:
            self.known[id(answer)] = (answer, line)
        return line


class _Checker:
    """Checks replies against the survey's asked questions (indexed once, to check many
    replies fast) and makes their responses."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questions = {question.pk: question for question in questionnaire.questions}
        self.rows: dict[int, frozenset[str]] = {}
        # A grid's columns, or a choice question's choices: what `column_code` may hold.
        self.columns: dict[int, frozenset[str]] = {}
        for question in questionnaire.questions:
            self.rows[question.pk] = frozenset(o.code for o in questionnaire.rows(question))
            options = questionnaire.columns(question) or questionnaire.choices(question)
            self.columns[question.pk] = frozenset(o.code for o in options)
        self.grid_cells = questionnaire.grid_cells
        self.judged: dict[AnswerInput, str] = {}  # answers without text, checked before
        self.met: dict[int, tuple[AnswerInput, Question, tuple[int, str, str], str]] = {}
        self.straight_line_min_cells = questionnaire.survey.straight_line_min_cells
        # The texts of a reply that the database would refuse (PostgreSQL) or keep whole
        # (SQLite) when too long: (the ReplyInput field, the model's limit).
        self.limits: list[tuple[str, int]] = []
        for name in ("language", "respondent_group", "source_reference"):
            field = Response._meta.get_field(name)
            if isinstance(field, models.CharField) and field.max_length is not None:
                self.limits.append((name, field.max_length))

    def response(
        self, reply: ReplyInput, *, number: int, survey_id: int, source: str, now: datetime
    ) -> Response:
        """The unsaved response of a checked reply; `ReplyInvalid` if it does not fit."""

        def refuse(problem: str) -> ReplyInvalid:
            return ReplyInvalid(number=number, reference=reply.source_reference, problem=problem)

        group, internal, ratings = self._check_answers(reply.answers, refuse)
        if reply.respondent_group and group is not None and group != reply.respondent_group:
            raise refuse(
                _("it is given the group “%(given)s” but answers “%(answered)s”")
                % {"given": reply.respondent_group, "answered": group}
            )
        if reply.respondent_internal is not None and internal not in (
            None,
            reply.respondent_internal,
        ):
            raise refuse(_("it is given one side (internal or external) but answers the other"))
        duration = reply.duration_seconds
        if duration is not None and duration < 0:
            raise refuse(_("its duration is negative"))
        for name, limit in self.limits:
            if len(getattr(reply, name)) > limit:
                raise refuse(
                    _("its %(field)s is longer than %(max)d characters")
                    % {"field": name, "max": limit}
                )
        submitted = reply.submitted_at or now
        return Response(
            survey_id=survey_id,
            # Nobody holds a token for this hash: a stored reply cannot be resumed.
            resume_hash=secrets.token_hex(32),
            status=ResponseStatus.SUBMITTED,
            source=source,
            source_reference=reply.source_reference,
            language=reply.language,
            respondent_group=reply.respondent_group if group is None else group,
            respondent_internal=reply.respondent_internal if internal is None else internal,
            respondent_fixed=reply.respondent_fixed,
            started_at=submitted - timedelta(seconds=duration or 0),
            submitted_at=submitted,
            duration_seconds=duration,
            straight_lined=is_straight_lined(
                ratings, self.grid_cells, self.straight_line_min_cells
            ),
        )

    def _check_answers(
        self, answers: Sequence[AnswerInput], refuse: Callable[[str], ReplyInvalid]
    ) -> tuple[str | None, bool | None, list[int]]:
        """The group and side the answers give (None: not answered) and the grid's
        ratings; `refuse` builds the error for the first answer that does not fit."""
        group: str | None = None
        internal: bool | None = None
        ratings: list[int] = []
        seen: set[tuple[int, str, str]] = set()
        chosen: set[int] = set()  # single-choice questions answered
        for answer in answers:
            # The same answer object, met before (an import passes the same few hundred
            # over and over): its question, cell and problem without hashing it again.
            met = self.met.get(id(answer))
            if met is not None and met[0] is answer:
                _answer, question, key, problem = met
            else:
                found = self.questions.get(answer.question_id)
                if found is None:
                    raise refuse(
                        _("it answers question %(id)d, which this survey does not ask")
                        % {"id": answer.question_id}
                    )
                question = found
                key = (answer.question_id, answer.row_code, answer.column_code)
                # A grid's answers come in a handful of shapes (a row, a column, a
                # level): each is judged once per call, not once per reply.
                judged = self.judged.get(answer) if not answer.text else None
                problem = self._problem(question, answer) if judged is None else judged
                if not answer.text:
                    if len(self.judged) < JUDGED_MAX:
                        self.judged[answer] = problem
                    if len(self.met) < MET_MAX:
                        # Kept with the object itself, so that its id() is not reused.
                        self.met[id(answer)] = (answer, question, key, problem)
            if key in seen:
                raise refuse(_("it answers “%(code)s” twice") % {"code": question.code})
            seen.add(key)
            if not problem and question.kind == QuestionKind.SINGLE:
                problem = _("it takes one choice only") if question.pk in chosen else ""
                chosen.add(question.pk)
            if problem:
                raise refuse(f"“{question.code}”: {problem}")
            if question.kind == QuestionKind.GRID and answer.value is not None:
                ratings.append(answer.value)
            elif question.purpose == QuestionPurpose.RESPONDENT_GROUP:
                group = answer.column_code
            elif question.purpose == QuestionPurpose.RESPONDENT_SIDE:
                internal = answer.column_code == "internal"
        return group, internal, ratings

    def _problem(self, question: Question, answer: AnswerInput) -> str:
        """What is wrong with one answer to `question`, or ""."""
        kind = question.kind
        qid = question.pk
        if kind == QuestionKind.GRID:
            if answer.row_code not in self.rows[qid]:
                return _("it has no row “%(code)s”") % {"code": answer.row_code}
            if not answer.column_code:  # the row's comment
                if not question.row_comments:
                    return _("it takes no comment per row")
                return _text_problem(question, answer)
            if answer.column_code not in self.columns[qid]:
                return _("it has no column “%(code)s”") % {"code": answer.column_code}
            return _rating_problem(question, answer)
        if answer.row_code:
            return _("it has no rows")
        if kind in (QuestionKind.RATING, QuestionKind.TEXT):
            if answer.column_code:
                return _("it has no columns or choices")
            if kind == QuestionKind.RATING:
                return _rating_problem(question, answer)
            return _text_problem(question, answer)
        # A single or multiple choice: the chosen code, nothing else.
        if answer.column_code not in self.columns[qid]:
            return _("it has no choice “%(code)s”") % {"code": answer.column_code}
        if answer.value is not None or answer.dont_know or answer.text:
            return _("a choice holds no rating, “don't know” or text")
        return ""


def _rating_problem(question: Question, answer: AnswerInput) -> str:
    if answer.text:
        return _("a rating holds no text")
    if answer.dont_know:
        if answer.value is not None:
            return _("a rating cannot be “don't know” too")
        return "" if question.allow_dont_know else _("it offers no “don't know”")
    if answer.value is None:
        return _("the rating is missing")
    if not question.scale_min <= answer.value <= question.scale_max:
        return _("%(value)d is outside its scale %(low)d–%(high)d") % {
            "value": answer.value,
            "low": question.scale_min,
            "high": question.scale_max,
        }
    return ""


def _text_problem(question: Question, answer: AnswerInput) -> str:
    if answer.value is not None or answer.dont_know:
        return _("a text holds no rating or “don't know”")
    if not answer.text.strip():
        return _("the text is empty")
    if len(answer.text) > question.max_length:
        return _("the text is longer than %(max)d characters") % {"max": question.max_length}
    return ""
