"""Whole replies collected elsewhere (an import, the demo) stored many at a time: all
or nothing, checked against the questionnaire, and counted exactly as the same replies
submitted one by one through the form."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from surveys import bulk
from surveys.bulk import ReplyInput, responses_store_bulk
from surveys.errors import ReplyInvalid, SurveyNotOpen
from surveys.models import (
    RATING_COUNT_KEY,
    Answer,
    DurationCount,
    InvitationKind,
    Question,
    RatingCount,
    Response,
    ResponseSource,
    ResponseStatus,
    SurveyStatus,
)
from surveys.selectors import questionnaire_load
from surveys.services import (
    AnswerInput,
    AnswerScope,
    answers_save,
    invitation_create,
    response_start,
    response_submit,
    survey_close,
)
from surveys.tallies import tally_current
from tests.queries import bulk_inserts
from tests.surveys.conftest import COLUMNS, ROWS, CampusSurvey, campus_replies, campus_survey

pytestmark = pytest.mark.django_db


def store(campus: CampusSurvey, replies: list[ReplyInput], **options: Any) -> int:
    return responses_store_bulk(
        survey=campus.survey, replies=replies, source=ResponseSource.IMPORT, **options
    )


def every_cell(campus: CampusSurvey, value: int | None = None) -> list[AnswerInput]:
    """A rating for every cell of the grid: `value` everywhere, or 1 to 5 in turn."""
    cells = [(row, column) for row, _label in ROWS for column, _label in COLUMNS]
    return [
        AnswerInput(campus.grid.pk, row, column, value=value or 1 + i % 5)
        for i, (row, column) in enumerate(cells)
    ]


def answers_of(response: Response) -> set[tuple[int, str, str, int | None, bool, str]]:
    return set(
        response.answers.values_list(
            "question_id", "row_code", "column_code", "value", "dont_know", "text"
        )
    )


def test_every_reply_is_stored_as_a_submitted_response_with_its_answers(
    campus: CampusSurvey,
) -> None:
    submitted = timezone.now() - timedelta(days=3)
    mixed = [
        AnswerInput(campus.group.pk, column_code="visitors"),
        AnswerInput(campus.side.pk, column_code="external"),
        *every_cell(campus)[1:],
        AnswerInput(campus.grid.pk, "canteen", "quality", dont_know=True),
        AnswerInput(campus.grid.pk, "canteen", text="Queues at noon."),
        AnswerInput(campus.remarks.pk, text="Thank you."),
    ]
    replies = [
        ReplyInput(
            answers=mixed,
            submitted_at=submitted,
            duration_seconds=420,
            language="en",
            source_reference="paper.csv:2",
        ),
        # No questions about the respondent: the group comes with the reply, as from a
        # group link; every rating the same: straight-lined by the engine's rule.
        ReplyInput(
            answers=every_cell(campus, 5),
            respondent_group="staff",
            respondent_internal=True,
            respondent_fixed=True,
            source_reference="paper.csv:3",
        ),
    ]
    seen: list[int] = []

    assert store(campus, replies, on_batch=seen.append) == 2

    assert seen == [2]
    first, second = Response.objects.order_by("pk")
    assert first.status == second.status == ResponseStatus.SUBMITTED
    assert first.source == ResponseSource.IMPORT
    assert (first.source_reference, first.language) == ("paper.csv:2", "en")
    assert (first.respondent_group, first.respondent_internal) == ("visitors", False)
    assert not first.respondent_fixed
    assert first.submitted_at == submitted
    assert first.duration_seconds == 420
    assert first.started_at == submitted - timedelta(seconds=420)
    assert not first.straight_lined
    assert answers_of(first) == {
        (a.question_id, a.row_code, a.column_code, a.value, a.dont_know, a.text) for a in mixed
    }
    assert (second.respondent_group, second.respondent_internal) == ("staff", True)
    assert second.respondent_fixed
    assert second.duration_seconds is None
    assert second.started_at == second.submitted_at
    assert second.straight_lined
    # Nothing counted yet (the next read folds them in); nothing to resume them with.
    assert first.tally_batch is None
    assert second.tally_batch is None
    assert first.invitation_id is None
    assert len({first.resume_hash, second.resume_hash}) == 2


def test_a_generator_of_replies_is_stored_batch_by_batch(campus: CampusSurvey) -> None:
    replies = campus_replies(campus, seed=1, per_group=4)
    seen: list[int] = []
    stored = store(campus, (reply for reply in replies), batch_size=5, on_batch=seen.append)
    assert stored == 12
    assert seen == [5, 10, 12]
    assert Response.objects.count() == 12
    assert Answer.objects.count() == sum(len(reply.answers) for reply in replies)


def test_the_new_responses_are_found_where_inserts_return_no_ids(
    campus: CampusSurvey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    replies = campus_replies(campus, seed=5, per_group=3)
    assert store(campus, replies) == 9
    stored = Response.objects.order_by("pk")
    for response, reply in zip(stored, replies, strict=True):
        assert answers_of(response) == {
            (a.question_id, a.row_code, a.column_code, a.value, a.dont_know, a.text)
            for a in reply.answers
        }


def _problem(campus: CampusSurvey, case: str) -> ReplyInput:
    """A reply that does not fit, in one way."""
    grid = campus.grid.pk
    cells = every_cell(campus)
    broken = {
        "unknown question": [*cells, AnswerInput(999_999, text="?")],
        "unknown row": [*cells, AnswerInput(grid, "swimming-pool", "quality", value=3)],
        "unknown column": [*cells[1:], AnswerInput(grid, "canteen", "speed", value=3)],
        "rating off the scale": [*cells[1:], AnswerInput(grid, "canteen", "quality", value=6)],
        "no rating": [*cells[1:], AnswerInput(grid, "canteen", "quality")],
        "rating and don't know": [
            *cells[1:],
            AnswerInput(grid, "canteen", "quality", value=2, dont_know=True),
        ],
        "the same cell twice": [*cells, AnswerInput(grid, "canteen", "quality", value=2)],
        "unknown choice": [*cells, AnswerInput(campus.group.pk, column_code="aliens")],
        "two single choices": [
            *cells,
            AnswerInput(campus.group.pk, column_code="staff"),
            AnswerInput(campus.group.pk, column_code="students"),
        ],
        "comment too long": [*cells, AnswerInput(grid, "gym", text="x" * 1001)],
        "empty text": [*cells, AnswerInput(campus.remarks.pk, text="  ")],
        "text with a row": [*cells, AnswerInput(campus.remarks.pk, "gym", text="Hi")],
    }
    if case in broken:
        return ReplyInput(answers=broken[case], source_reference="file.csv:3")
    odd = ReplyInput(answers=cells, source_reference="file.csv:3")
    return {
        "group given and answered differently": replace(
            odd,
            answers=[*cells, AnswerInput(campus.group.pk, column_code="students")],
            respondent_group="staff",
        ),
        "negative duration": replace(odd, duration_seconds=-5),
        "language too long": replace(odd, language="x" * 17),
    }[case]


PROBLEMS = {
    "unknown question": "question 999999, which this survey does not ask",
    "unknown row": "“services”: it has no row “swimming-pool”",
    "unknown column": "“services”: it has no column “speed”",
    "rating off the scale": "“services”: 6 is outside its scale 1–5",
    "no rating": "“services”: the rating is missing",
    "rating and don't know": "“services”: a rating cannot be “don't know” too",
    "the same cell twice": "it answers “services” twice",
    "unknown choice": "“respondent-group”: it has no choice “aliens”",
    "two single choices": "“respondent-group”: it takes one choice only",
    "comment too long": "“services”: the text is longer than 1000 characters",
    "empty text": "“remarks”: the text is empty",
    "text with a row": "“remarks”: it has no rows",
    "group given and answered differently": "given the group “staff” but answers “students”",
    "negative duration": "its duration is negative",
    "language too long": "its language is longer than 16 characters",
}


@pytest.mark.parametrize("case", list(PROBLEMS))
def test_one_reply_that_does_not_fit_stores_nothing_and_is_named(
    campus: CampusSurvey, case: str
) -> None:
    good = ReplyInput(answers=every_cell(campus), source_reference="file.csv:2")
    with translation.override("en"), pytest.raises(ReplyInvalid) as refused:
        store(campus, [good, _problem(campus, case)])
    message = str(refused.value)
    assert message.startswith("Reply 2 (“file.csv:3”): ")
    assert PROBLEMS[case] in message
    assert message.endswith("Nothing was stored.")
    assert (refused.value.number, refused.value.reference) == (2, "file.csv:3")
    assert not Response.objects.exists()
    assert not Answer.objects.exists()


def test_a_reply_refused_in_a_later_batch_takes_the_earlier_batches_back(
    campus: CampusSurvey,
) -> None:
    replies = campus_replies(campus, seed=2, per_group=3)
    replies.append(ReplyInput(answers=[AnswerInput(campus.grid.pk, "canteen", "quality", 9)]))
    with translation.override("en"), pytest.raises(ReplyInvalid, match="Reply 10: "):
        store(campus, replies, batch_size=2)
    assert not Response.objects.exists()
    assert not Answer.objects.exists()


def test_a_retired_question_takes_no_answers(campus: CampusSurvey) -> None:
    Question.objects.filter(pk=campus.remarks.pk).update(retired=True)
    reply = ReplyInput(answers=[*every_cell(campus), AnswerInput(campus.remarks.pk, text="Hi")])
    with translation.override("en"), pytest.raises(ReplyInvalid, match="survey does not ask"):
        store(campus, [reply])
    assert not Response.objects.exists()


def test_a_draft_survey_takes_no_replies_and_a_closed_one_does(db: None) -> None:
    draft = campus_survey(status=SurveyStatus.DRAFT)
    with pytest.raises(SurveyNotOpen):
        store(draft, [ReplyInput(answers=every_cell(draft))])
    assert not Response.objects.exists()
    closed = campus_survey()
    survey_close(survey=closed.survey)
    assert store(closed, [ReplyInput(answers=every_cell(closed))]) == 1


# --- The same counts as the form ------------------------------------------------------


def submit_one_by_one(campus: CampusSurvey, replies: list[ReplyInput]) -> None:
    """Each reply as a respondent gives it: an open link, one save, the submit."""
    link = invitation_create(survey=campus.survey, kind=InvitationKind.OPEN).invitation
    questionnaire = questionnaire_load(campus.survey)
    scope = [AnswerScope(question.pk) for question in questionnaire.questions]
    for reply in replies:
        response = response_start(invitation=link, language=reply.language).response
        answers_save(
            response=response, questionnaire=questionnaire, scope=scope, answers=reply.answers
        )
        response_submit(response=response, questionnaire=questionnaire)
        # The form measures the time itself; give it the reply's.
        Response.objects.filter(pk=response.pk).update(duration_seconds=reply.duration_seconds)


def counts(campus: CampusSurvey) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]]:
    """The survey's rating and duration counts once read, keyed without ids."""
    survey_id = campus.survey.pk
    with transaction.atomic():
        tally = tally_current(survey_id)
    ratings = RatingCount.objects.filter(survey_id=survey_id).values_list(
        "question__code", *RATING_COUNT_KEY[1:], "n"
    )
    durations = DurationCount.objects.filter(survey_id=survey_id).values_list(
        "timed", "duration_seconds", "straight_lined", "n"
    )
    assert tally.responses == Response.objects.filter(survey_id=survey_id).count()
    return Counter({row[:-1]: row[-1] for row in ratings}), Counter(
        {row[:-1]: row[-1] for row in durations}
    )


def respondents(campus: CampusSurvey) -> Counter[tuple[Any, ...]]:
    return Counter(
        Response.objects.filter(survey=campus.survey).values_list(
            "status", "respondent_group", "respondent_internal", "straight_lined", "language"
        )
    )


def test_the_counts_equal_those_of_the_same_replies_submitted_through_the_form(
    db: None,
) -> None:
    imported, answered = campus_survey(), campus_survey()
    replies = campus_replies(imported, seed=3, per_group=8)
    # The same replies to the other survey's questions (the same codes, other ids).
    ids = {
        getattr(imported, name).pk: getattr(answered, name).pk
        for name in ("group", "side", "grid", "remarks")
    }
    same = [
        replace(reply, answers=[replace(a, question_id=ids[a.question_id]) for a in reply.answers])
        for reply in replies
    ]

    store(imported, replies)
    submit_one_by_one(answered, same)

    assert counts(imported) == counts(answered)
    assert sum(counts(imported)[0].values()) > 24 * 12  # most cells rated, not "don't know"
    assert respondents(imported) == respondents(answered)
    assert any(straight for *_rest, straight, _language in respondents(imported))


# --- Queries ----------------------------------------------------------------------------


# The savepoint and its release, the survey's lock, its questions and their options.
def test_answers_are_looked_up_by_response_through_the_one_answer_per_cell_index(
    db: None,
) -> None:
    """The answer table keeps no index of its own on response_id (migration 0009): the
    unique constraint, which starts with the response, serves lookups by response."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Answer._meta.db_table)
    indexed = [
        details["columns"]
        for details in constraints.values()
        if details["index"] or details["unique"]
    ]
    assert ["response_id"] not in indexed
    assert ["response_id", "question_id", "row_code", "column_code"] in indexed


def test_a_text_is_stored_as_typed_tabs_backslashes_and_line_breaks_included(
    campus: CampusSurvey,
) -> None:
    """PostgreSQL takes the answers as COPY's text, in which a tab, a line break and a
    backslash are escapes: they are stored as the form would store them."""
    typed = "Tab\there, back\\slash \\N, \\t,\r\nnew line\rand\x0bbreaks\x07"
    reply = ReplyInput(
        answers=[*every_cell(campus), AnswerInput(campus.remarks.pk, text=typed)],
        source_reference="file.csv:2",
    )
    store(campus, [reply])
    stored = Answer.objects.get(question=campus.remarks).text
    assert stored == "Tab\there, back\\slash \\N, \\t,\nnew line\nand\nbreaks"


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="answers are sent with COPY on PostgreSQL"
)


@pytest.fixture(params=["superuser", "granted", "plain"])
def database_role(request: pytest.FixtureRequest, db: None) -> str:
    """The role the store runs as, until the test's transaction rolls back (the role
    with it): the test database's superuser; or a new role that is no superuser, with
    the tables' privileges, "granted" SET on session_replication_role (PostgreSQL 15+)
    and "plain" not. The first two may bulk-load the answers, "plain" may not."""
    role: str = request.param
    if connection.vendor != "postgresql":
        pytest.skip("answers are sent with COPY on PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if not cursor.fetchone()[0]:
            pytest.skip("the tests connect as a role that is no superuser")
        # Plans as a large import gets them: parallel, even over the test's few rows (a
        # parallel worker is where a granted role was once refused the setting).
        for setting in (
            "parallel_setup_cost",
            "parallel_tuple_cost",
            "min_parallel_table_scan_size",
            "min_parallel_index_scan_size",
        ):
            cursor.execute(f"SET LOCAL {setting} = 0")
        if role == "superuser":
            return role
        if role == "granted" and connection.pg_version < 150000:
            pytest.skip("SET on a parameter is granted from PostgreSQL 15")
        name = f"materia_bulk_{os.getpid()}"
        cursor.execute(f"CREATE ROLE {name} NOLOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {name}")
        if role == "granted":
            cursor.execute(f"GRANT SET ON PARAMETER session_replication_role TO {name}")
        cursor.execute(f"SET ROLE {name}")
    return role


def bulk_loaded(queries: CaptureQueriesContext) -> bool:
    return any(_REPLICA in query["sql"] for query in queries.captured_queries)


_REPLICA = "session_replication_role = replica"


def replication_role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        return str(cursor.fetchone()[0])


def test_a_role_that_may_turn_the_answers_checks_off_bulk_loads_them(
    campus: CampusSurvey, database_role: str
) -> None:
    """The answers' foreign-key triggers are off during each COPY for a role that may
    set session_replication_role, as pg_restore --disable-triggers; a role that may not
    stores the same answers checked row by row. Either way the role is origin again as
    soon as the COPY ends: the caller's transaction goes on with every trigger."""
    replies = campus_replies(campus, seed=11, per_group=5)
    seen: list[str] = []
    with CaptureQueriesContext(connection) as queries:
        # on_batch may use the connection: the batch's COPY is over by then.
        store(campus, replies, batch_size=4, on_batch=lambda _n: seen.append(replication_role()))
    assert bulk_loaded(queries) == (database_role != "plain")
    assert seen == ["origin"] * 4
    assert replication_role() == "origin"
    assert Answer.objects.count() == sum(len(reply.answers) for reply in replies)
    assert Response.objects.count() == len(replies)


@pytest.mark.parametrize("broken", ["question", "response"])
def test_an_answer_to_a_missing_question_or_response_stores_nothing_whatever_the_role(
    campus: CampusSurvey, database_role: str, broken: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch's answers go with COPY from a thread while the next batch is made: the
    database's refusal of one (here an answer to no question, or of no response: its
    foreign key) comes back as Django's error, from the store, not at the commit, and
    takes every batch back: checked row by row as each COPY ends, or, bulk-loaded, by
    the proof after the last COPY."""
    replies = campus_replies(campus, seed=8, per_group=3)
    # The first answer of the third batch of two replies.
    broken_call = 1 + sum(len(reply.answers) for reply in replies[:4])
    line = bulk._AnswerTexts.line
    calls = 0

    def broken_line(self: bulk._AnswerTexts, answer: AnswerInput) -> str:
        nonlocal calls
        calls += 1
        text = line(self, answer)
        if calls != broken_call:
            return text
        if broken == "question":
            return text.replace(f"\t{answer.question_id}\t", "\t999999\t", 1)
        return "999999" + text  # after the response's id: an id no response has

    monkeypatch.setattr(bulk._AnswerTexts, "line", broken_line)
    assert len(replies) > 6
    with CaptureQueriesContext(connection) as queries, pytest.raises(IntegrityError):
        store(campus, replies, batch_size=2)
    assert bulk_loaded(queries) == (database_role != "plain")
    assert not Response.objects.exists()
    assert not Answer.objects.exists()


@pytest.mark.parametrize("database_role", ["superuser", "granted"], indirect=True)
@pytest.mark.parametrize("elsewhere", ["a response stored before", "another survey's question"])
def test_bulk_loaded_answers_must_belong_to_the_stores_own_responses_and_survey(
    campus: CampusSurvey, database_role: str, elsewhere: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bulk-loaded, the proof asks more than the foreign keys do: an answer must belong
    to a response this store made (its transaction's own, which no other can delete
    before the commit) and to a question of the survey (locked since the start). An
    answer misplaced onto a response stored before, or onto another survey's question,
    takes the whole store back. (Checked row by row, by a role that may not bulk-load,
    such an answer satisfies its foreign keys: the proof is stricter.)"""
    # A reply stored before, with a remark only: the misplaced answer takes no cell of it.
    before = store(campus, [ReplyInput(answers=[AnswerInput(campus.remarks.pk, text="x")])])
    earlier = Response.objects.order_by("pk").first()
    other = campus_survey().remarks
    assert earlier is not None
    lines = bulk._copy_text_lines

    def misplaced(responses: Any, replies: Any, texts: bulk._AnswerTexts) -> str:
        """The batch's COPY text, its first answer moved elsewhere."""
        response_id, rest = lines(responses, replies, texts).split("\t", 1)
        question_id, rest = rest.split("\t", 1)
        if elsewhere == "another survey's question":
            question_id = str(other.pk)
        else:
            response_id = str(earlier.pk)
        return f"{response_id}\t{question_id}\t{rest}"

    monkeypatch.setattr(bulk, "_copy_text_lines", misplaced)
    answers = Answer.objects.count()
    with pytest.raises(IntegrityError):
        store(campus, campus_replies(campus, seed=4, per_group=2), batch_size=2)
    assert Response.objects.filter(survey=campus.survey).count() == before
    assert Answer.objects.count() == answers


@postgresql_only
def test_nothing_else_may_use_the_connection_while_a_copy_is_under_way(
    campus: CampusSurvey,
) -> None:
    """Replies that read the database as they are made would run in the COPY's
    transaction while it sends (bulk-loaded: with the triggers off): refused, and the
    store takes everything back."""
    replies = campus_replies(campus, seed=5, per_group=3)

    def reading(replies: list[ReplyInput]) -> Iterator[ReplyInput]:
        for reply in replies:
            Response.objects.count()
            yield reply

    with pytest.raises(RuntimeError, match="COPY is using the database connection"):
        store(campus, reading(replies), batch_size=2)  # type: ignore[arg-type]
    assert not Response.objects.exists()


@postgresql_only
def test_a_trigger_added_to_the_answers_by_hand_still_fires(campus: CampusSurvey) -> None:
    """Bulk loading turns the answers' triggers off: only when they are the foreign
    keys' own checks, which it proves otherwise. One more, added outside Materia, keeps
    every answer checked row by row, with that trigger too."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION materia_test_shout() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN NEW.text := upper(NEW.text); RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER materia_test_shout BEFORE INSERT ON surveys_answer"
            " FOR EACH ROW EXECUTE FUNCTION materia_test_shout()"
        )
    reply = ReplyInput(answers=[AnswerInput(campus.remarks.pk, text="quiet please")])
    with CaptureQueriesContext(connection) as queries:
        store(campus, [reply])
    assert not bulk_loaded(queries)
    assert Answer.objects.get(question=campus.remarks).text == "QUIET PLEASE"


def test_a_reply_refused_while_a_copy_fails_is_the_error_the_importer_sees(
    campus: CampusSurvey, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The reply's message names what to fix in the file ("Reply 7: …"); the database's
    refusal of the batch before it, meanwhile, is logged, not raised in its place."""
    replies = campus_replies(campus, seed=8, per_group=3)[:6]
    replies.append(ReplyInput(answers=[AnswerInput(campus.grid.pk, "canteen", "quality", 9)]))
    line = bulk._AnswerTexts.line

    def broken(self: bulk._AnswerTexts, answer: AnswerInput) -> str:
        # Every answer names its question by no number: the first batch's COPY fails
        # (whether the answers' triggers are on or not).
        return line(self, answer).replace(f"\t{answer.question_id}\t", "\tx\t", 1)

    monkeypatch.setattr(bulk._AnswerTexts, "line", broken)
    with translation.override("en"), pytest.raises(ReplyInvalid, match="Reply 7: "):
        store(campus, replies, batch_size=6)
    if connection.vendor == "postgresql":  # elsewhere answers are INSERTed in this thread
        assert "Answers not stored" in caplog.text
    assert not Response.objects.exists()
    assert not Answer.objects.exists()


@postgresql_only
def test_the_answers_foreign_keys_are_deferred_again_after_the_store(
    campus: CampusSurvey,
) -> None:
    """They are checked as each COPY ends during the store only: the caller's
    transaction goes on with them deferred, as Django declares them."""
    store(campus, campus_replies(campus, seed=9, per_group=1))
    with transaction.atomic():
        # An answer whose response comes later in the transaction: checked at the commit.
        Answer.objects.create(response_id=10**9, question=campus.grid, row_code="gym")
        transaction.set_rollback(True)


FIXED_QUERIES = 5


@pytest.mark.parametrize("per_group", [2, 60])
def test_storing_takes_no_query_per_reply(
    campus: CampusSurvey, per_group: int, django_assert_max_num_queries: Any
) -> None:
    replies = campus_replies(campus, seed=4, per_group=per_group)
    answers = sum(len(reply.answers) for reply in replies)
    inserts = bulk_inserts(Response, len(replies), bulk.RESPONSE_ROWS_PER_INSERT)
    inserts += bulk_inserts(Answer, answers, bulk.ANSWER_ROWS_PER_INSERT)
    postgresql = connection.vendor == "postgresql"
    loading = bulk.bulk_load_allowed()
    # PostgreSQL: the answers' foreign keys checked as each COPY ends, then deferred
    # again, and whether they may be bulk-loaded; if so the questions' lock, the highest
    # answer id and the proof after the last COPY, and two SET LOCAL per COPY.
    fixed = FIXED_QUERIES + (3 if postgresql else 0) + (3 if loading else 0)
    per_batch = 2 if loading else 0
    with (
        CaptureQueriesContext(connection) as queries,
        django_assert_max_num_queries(fixed + inserts * (1 + per_batch)),
    ):
        store(campus, replies)
    writes = ("INSERT", "COPY", "SET LOCAL session_replication_role")
    others = [q for q in queries.captured_queries if not q["sql"].startswith(writes)]
    assert len(others) <= fixed
    assert Answer.objects.count() == answers
    if postgresql:
        # One INSERT of responses, one COPY of answers (and its two SET LOCAL).
        assert len(queries) == fixed + 2 + per_batch


def test_counting_as_storing_adds_a_fixed_handful_of_queries(campus: CampusSurvey) -> None:
    """`count`: the replies are stored marked and counted set-based at the end, whatever
    their number: the counts' lock and batch, the grids, two INSERT … SELECT, the tally."""
    store(campus, campus_replies(campus, seed=5, per_group=1), count=True)  # the tally row

    def queries(per_group: int, seed: int, *, count: bool) -> int:
        with CaptureQueriesContext(connection) as captured:
            store(campus, campus_replies(campus, seed=seed, per_group=per_group), count=count)
        return len(captured)

    few = queries(2, seed=6, count=True) - queries(2, seed=6, count=False)
    many = queries(40, seed=7, count=True) - queries(40, seed=7, count=False)
    assert few == many <= 6
    Response.objects.filter(tally_batch__isnull=True).delete()  # the uncounted ones
    with transaction.atomic():
        tally = tally_current(campus.survey.pk)
    assert tally.responses == Response.objects.count() == 3 * (1 + 2 + 40)
