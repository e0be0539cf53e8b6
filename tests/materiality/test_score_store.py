"""A run's scores stored without per-row foreign-key checks (materiality/runs/score_store.py)
by a role that may set session_replication_role: the same rows, the same refusals."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from materiality.models import (
    AggregationRun,
    Assessment,
    GroupScore,
    RunStatus,
    RunTrigger,
    TopicScore,
)
from materiality.runs import execution, score_store
from materiality.runs.execution import aggregation_execute
from materiality.runs.requests import aggregation_request
from tests.materiality.test_aggregation import reply
from tests.surveys.test_bulk import database_role, replication_role

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
__all__ = ["database_role"]  # the fixture: superuser, granted, plain (and parallel plans)


@pytest.fixture(autouse=True)
def checks_found_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's role and triggers are found anew: a process keeps what it found
    (score_store._checks), and a role that may not is not asked again."""
    monkeypatch.setattr(score_store, "_checks", None)


def replica_used(queries: CaptureQueriesContext) -> bool:
    """The store turned the checks off (and on again after the COPYs)."""
    return any("session_replication_role = origin" in q["sql"] for q in queries.captured_queries)


def scores(run: AggregationRun) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    topics = TopicScore.objects.filter(run=run).order_by("topic_id")
    groups = GroupScore.objects.filter(run=run).order_by("topic_id", "group_id", "axis")
    return (
        [row[2:] for row in topics.values_list()],  # after id, run
        [row[2:] for row in groups.values_list()],
    )


def replied(assessment: Assessment) -> AggregationRun:
    for seed in range(6):
        reply(assessment, "customers" if seed % 2 else "employees", seed)
    return aggregation_request(assessment=assessment, trigger=RunTrigger.MANUAL)


def test_scores_stored_without_per_row_checks_are_those_stored_with(
    open_assessment: Assessment, database_role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A role that may (superuser, granted) stores the scores with the checks off, and
    exactly the rows a role that may not stores checked; origin again after the COPYs."""
    seen: list[Any] = []
    write = execution._write_scores
    monkeypatch.setattr(execution, "_write_scores", lambda *args: (seen.append(args), write(*args)))
    waiting = replied(open_assessment)
    with CaptureQueriesContext(connection) as queries:
        run = aggregation_execute(waiting.pk)
    assert run is not None
    assert run.status == RunStatus.SUCCEEDED
    assert replica_used(queries) == (database_role != "plain")
    assert replication_role() == "origin"
    # The same result and vocabulary stored again, checked row by row.
    ((_run, result, vocabulary),) = seen
    checked = AggregationRun.objects.create(
        assessment=open_assessment, trigger=RunTrigger.MANUAL, status=RunStatus.FAILED
    )
    monkeypatch.setattr(score_store, "privilege_sql", lambda: "false")
    with CaptureQueriesContext(connection) as queries:
        execution._write_scores(checked, result, vocabulary)
    assert not replica_used(queries)
    assert scores(run) == scores(checked)
    assert len(scores(run)[0]) > 0
    assert len(scores(run)[1]) > 0
    # Counted like any other query afterwards, parallel plans and all.
    assert GroupScore.objects.filter(run__in=[run, checked]).count() == 2 * len(scores(run)[1])


@pytest.mark.parametrize("missing", ["topic", "group"])
def test_a_score_naming_a_missing_topic_or_group_stores_nothing_whatever_the_role(
    open_assessment: Assessment,
    database_role: str,
    missing: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A topic or group gone since the vocabulary was read (here an id no row has): the
    proof fails, the checks stay on and refuse the rows; the run fails with none stored."""
    vocabulary_of = execution.assessment_vocabulary

    def gone(assessment: Assessment) -> Any:
        vocabulary = vocabulary_of(assessment)
        ids = dict(vocabulary.topic_ids if missing == "topic" else vocabulary.group_ids)
        ids[next(iter(ids))] = 999_999
        field = "topic_ids" if missing == "topic" else "group_ids"
        return dataclasses.replace(vocabulary, **{field: ids})

    monkeypatch.setattr(execution, "assessment_vocabulary", gone)
    waiting = replied(open_assessment)
    with connection.cursor() as cursor:  # checked as each COPY ends: the test never commits
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with CaptureQueriesContext(connection) as queries:
        run = aggregation_execute(waiting.pk)
    assert run is not None
    assert run.status == RunStatus.FAILED
    assert "foreign key" in run.error
    assert not replica_used(queries)
    assert not TopicScore.objects.filter(run=run).exists()
    assert not GroupScore.objects.filter(run=run).exists()


def test_the_store_refuses_what_it_cannot_prove(open_assessment: Assessment) -> None:
    """Directly: an id that does not exist raises IntegrityError from the COPY (checked)."""
    waiting = replied(open_assessment)
    run = aggregation_execute(waiting.pk)
    assert run is not None
    vocabulary = execution.assessment_vocabulary(open_assessment)
    bogus = dataclasses.replace(vocabulary, topic_ids=dict.fromkeys(vocabulary.topic_ids, 999999))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with score_store.score_rows_replica(run.pk, bogus.topic_ids.values(), []) as replica:
        assert not replica
    proven = score_store.score_rows_replica(
        run.pk, vocabulary.topic_ids.values(), vocabulary.group_ids.values()
    )
    with pytest.raises(IntegrityError, match="goes through"), proven as replica:
        raise IntegrityError(f"replica {replica}: the body's error goes through")


def test_a_trigger_added_to_the_group_scores_by_hand_still_fires(
    open_assessment: Assessment,
) -> None:
    """The checks are turned off only when they are the score tables' only insert
    triggers: one more, added outside Materia, keeps the rows checked, and fires."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION materia_test_more() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN NEW.n := NEW.n + 1000; RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER materia_test_more BEFORE INSERT ON materiality_groupscore"
            " FOR EACH ROW EXECUTE FUNCTION materia_test_more()"
        )
    waiting = replied(open_assessment)
    with CaptureQueriesContext(connection) as queries:
        run = aggregation_execute(waiting.pk)
    assert run is not None
    assert run.status == RunStatus.SUCCEEDED
    assert not replica_used(queries)
    ns = list(GroupScore.objects.filter(run=run).values_list("n", flat=True))
    assert ns
    assert all(n >= 1000 for n in ns)


def test_a_process_whose_role_may_not_sends_no_statement_more_per_run(
    open_assessment: Assessment,
) -> None:
    """Found once, not asked again: a run of a role without the privilege sends the same
    statements as before the score store existed."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE materia_test_plain_store")
        cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO materia_test_plain_store")
        cursor.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO materia_test_plain_store")
        cursor.execute("SET ROLE materia_test_plain_store")
    try:
        first = aggregation_execute(replied(open_assessment).pk)
        assert first is not None
        assert score_store._checks == ()
        reply(open_assessment, "customers", 99)
        waiting = aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL)
        with CaptureQueriesContext(connection) as queries:
            run = aggregation_execute(waiting.pk)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert run is not None
    assert run.status == RunStatus.SUCCEEDED
    assert not any("FOR KEY SHARE" in q["sql"] for q in queries.captured_queries)
