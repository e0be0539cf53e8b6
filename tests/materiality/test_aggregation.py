"""Aggregation runs: from submitted replies to stored scores, reproducibly, once."""

from __future__ import annotations

import json
import random
from typing import Any

import pandas as pd
import pytest
from django.db import transaction
from django.test import Client

from materiality.models import (
    AggregationRun,
    Assessment,
    GroupScore,
    RunStatus,
    RunTrigger,
    StakeholderGroup,
    TopicScore,
)
from materiality.runs import requests
from materiality.runs.execution import aggregation_execute, stats_dict, stats_json
from materiality.runs.requests import aggregation_request
from materiality.runs.sweep import sweep
from materiality.scoring import Stats
from materiality.services import assessment_close, assessment_open, group_link_create
from surveys.models import Answer, Response
from surveys.services import responses_erase
from tests.conftest import broker_down, link_path
from tests.respondents import respond

pytestmark = pytest.mark.django_db


def reply(assessment: Assessment, group_code: str, seed: int, choices: str = "2345") -> None:
    group = StakeholderGroup.objects.get(code=group_code)
    path = link_path(group_link_create(assessment=assessment, group=group))
    rng = random.Random(seed)
    respond(Client(), path, rating=lambda _name: rng.choice(choices))


def independent_means(survey_id: int) -> pd.DataFrame:
    rows = Answer.objects.filter(
        response__survey_id=survey_id,
        response__status="submitted",
        response__straight_lined=False,
        question__code="importance",
        value__isnull=False,
    ).values("response_id", "row_code", "column_code", "value", "response__respondent_group")
    frame = pd.DataFrame.from_records(list(rows))
    return frame.groupby(["row_code", "column_code"])["value"].agg(["mean", "count"])


def test_a_run_stores_scores_that_match_an_independent_computation(
    open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    for seed, group in enumerate(["customers", "employees", "media", "customers", "employees"]):
        with django_capture_on_commit_callbacks(execute=True):
            reply(open_assessment, group, seed)
    run = AggregationRun.objects.filter(status=RunStatus.SUCCEEDED).latest("pk")
    assert run.responses_total == 5
    assert run.responses_counted == 5
    expected = independent_means(open_assessment.survey_id)
    for score in TopicScore.objects.filter(run=run).select_related("topic"):
        for axis in ("company", "stakeholder"):
            mean, count = expected.loc[(score.topic.code, axis)]
            stats = getattr(score, axis)
            assert stats["n"] == count
            assert stats["mean"] == pytest.approx(mean)
            assert stats["ci_low"] <= stats["mean"] <= stats["ci_high"]
    assert TopicScore.objects.filter(run=run).count() == 17
    assert GroupScore.objects.filter(run=run).count() == 17 * 2 * 8
    ranks = sorted(TopicScore.objects.filter(run=run).values_list("rank", flat=True))
    assert ranks == list(range(1, 18))


def test_a_run_records_how_it_was_computed(open_assessment: Assessment) -> None:
    reply(open_assessment, "customers", 1)
    run = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert run is not None
    assert run.status == RunStatus.SUCCEEDED
    params = run.options["params"]
    assert params["weighting"] == "respondent"
    assert params["axis_source"] == "all_rate_both"
    assert params["bootstrap_samples"] == 1000
    assert params["seed"] == 20211231
    assert run.options["exclude_straight_lined"] is True
    assert len(run.fingerprint) == 64
    assert run.software["numpy"]
    assert run.duration_ms is not None
    assert run.progress == 100


def test_the_same_input_and_options_give_the_same_run(open_assessment: Assessment) -> None:
    reply(open_assessment, "customers", 1)
    first = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    second = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert first is not None
    assert second is not None
    assert second.status == RunStatus.UNCHANGED
    assert second.same_as_id == first.pk
    assert second.fingerprint == first.fingerprint
    assert TopicScore.objects.filter(run=second).count() == 0
    # Other options: a new, different run.
    Assessment.objects.filter(pk=open_assessment.pk).update(scoring={"weighting": "equal_group"})
    third = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert third is not None
    assert third.status == RunStatus.SUCCEEDED
    assert third.fingerprint != first.fingerprint


def test_a_run_after_a_reply_is_erased_scores_the_replies_that_remain(
    open_assessment: Assessment,
) -> None:
    for seed, group in enumerate(["customers", "employees", "media"]):
        reply(open_assessment, group, seed)
    first = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert first is not None
    assert first.responses_total == 3
    responses_erase(responses=Response.objects.filter(respondent_group="media"))
    second = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert second is not None
    assert second.status == RunStatus.SUCCEEDED
    assert second.responses_total == 2
    expected = independent_means(open_assessment.survey_id)
    for score in TopicScore.objects.filter(run=second).select_related("topic"):
        mean, count = expected.loc[(score.topic.code, "company")]
        assert (score.company["n"], score.company["mean"]) == (count, pytest.approx(mean))
    assert not GroupScore.objects.filter(run=second, group__code="media", n__gt=0).exists()


def test_executing_a_run_twice_does_the_work_once(open_assessment: Assessment) -> None:
    reply(open_assessment, "customers", 1)
    run = aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL)
    aggregation_execute(run.pk)
    aggregation_execute(run.pk)
    assert TopicScore.objects.filter(run=run).count() == 17


def test_straight_lined_and_too_fast_responses_are_excluded_and_counted(
    open_assessment: Assessment,
) -> None:
    for seed in range(11):
        reply(open_assessment, "customers", seed)
    reply(open_assessment, "employees", 99, choices="5")  # the same rating everywhere
    durations = list(Response.objects.order_by("pk").values_list("pk", flat=True))
    for pk in durations:
        Response.objects.filter(pk=pk).update(duration_seconds=600)
    Response.objects.filter(pk=durations[0]).update(duration_seconds=30)  # under 1/3 of 600
    run = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert run is not None
    assert (run.responses_total, run.excluded_straight_lined, run.excluded_too_fast) == (12, 1, 1)
    assert run.responses_counted == 10
    score = TopicScore.objects.get(run=run, topic__code="risk-management")
    assert score.company["n"] == 10


def test_replies_coalesce_into_one_waiting_run_while_the_broker_is_down(
    open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    with broker_down():
        for seed in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                reply(open_assessment, "customers", seed)
    assert Response.objects.filter(status="submitted").count() == 3
    waiting = AggregationRun.objects.get()
    assert waiting.status == RunStatus.PENDING
    # The broker is back: the sweep sends the waiting run, and it computes all replies.
    AggregationRun.objects.update(created_at=waiting.created_at.replace(year=2020))
    assert sweep() == 1
    waiting.refresh_from_db()
    assert waiting.status == RunStatus.SUCCEEDED
    assert waiting.responses_total == 3


def test_closing_the_survey_computes_the_final_scores(
    open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reply(open_assessment, "media", 3)  # its run computes, as a worker would do it
    with django_capture_on_commit_callbacks(execute=True):
        assessment_close(assessment=open_assessment)
    # The reply's run counted it; the close's own run finds the same input and points at
    # that run's scores, the final ones.
    replied = AggregationRun.objects.get(trigger=RunTrigger.RESPONSE)
    run = AggregationRun.objects.get(trigger=RunTrigger.CLOSE)
    assert (replied.status, replied.responses_total) == (RunStatus.SUCCEEDED, 1)
    assert (run.status, run.same_as_id) == (RunStatus.UNCHANGED, replied.pk)


def test_a_dead_running_run_is_marked_failed_and_a_new_run_works(
    open_assessment: Assessment, settings: Any
) -> None:
    reply(open_assessment, "customers", 1)
    dead = AggregationRun.objects.create(
        assessment=open_assessment, trigger=RunTrigger.MANUAL, status=RunStatus.RUNNING
    )
    AggregationRun.objects.filter(pk=dead.pk).update(
        heartbeat_at=dead.created_at.replace(year=2020)
    )
    run = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED
    assert "stopped" in dead.error
    assert not TopicScore.objects.filter(run=dead).exists()
    assert run is not None
    assert run.status == RunStatus.SUCCEEDED


def test_a_failing_run_records_its_error_and_stores_no_scores(open_assessment: Assessment) -> None:
    reply(open_assessment, "customers", 1)
    Assessment.objects.filter(pk=open_assessment.pk).update(scoring={"weighting": "bogus"})
    run = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert run is not None
    assert run.status == RunStatus.FAILED
    assert "weighting must be one of" in run.error
    assert not TopicScore.objects.filter(run=run).exists()


def test_reading_the_input_takes_the_same_few_queries_for_any_number_of_replies(
    open_assessment: Assessment,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from materiality.runs.inputs import read_input
    from materiality.runs.options import run_options

    options = run_options(open_assessment)
    read_input(open_assessment, options)  # the first read creates the survey's tally row
    counts = []
    for replies in (10, 20):  # from 10 replies on, the median duration is read too
        while Response.objects.count() < replies:
            reply(open_assessment, "employees", Response.objects.count())
        with CaptureQueriesContext(connection) as queries:
            read_input(open_assessment, options)
        # Adding to the rating counts is one upsert on PostgreSQL; SQLite splits it in
        # statements of ~100 rows, as many as there are new (topic, axis, group, level)
        # keys: bounded by the questionnaire, not by the replies.
        counts.append(
            sum(
                not q["sql"].startswith('INSERT INTO "surveys_ratingcount"')
                for q in queries.captured_queries
            )
        )
    # Fold: lock, mark, count the new replies' answers, add; read: lock, fold (none),
    # check, median, tally, counts, the too-fast replies' answers.
    assert counts[0] == counts[1] <= 22


@pytest.mark.postgres
def test_a_run_after_one_new_reply_stores_its_scores_in_few_statements(
    open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    """The path from a submit to updated scores (docs/benchmarks.md, "Aggregation"): a
    warm run reads the assessment's vocabulary once, folds the new reply into the counts
    in three statements and stores the scores under one lock."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for seed in range(12):  # from 10 replies on, the median duration counts too
        reply(open_assessment, "customers" if seed % 2 else "employees", seed)
    first = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert first is not None
    assert first.status == RunStatus.SUCCEEDED
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        reply(open_assessment, "customers", 99)
    waiting = AggregationRun.objects.get(status=RunStatus.PENDING)
    with CaptureQueriesContext(connection) as queries:
        run = aggregation_execute(waiting.pk)
    assert run is not None
    assert run.status == RunStatus.SUCCEEDED
    assert run.responses_total == 13
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    # The run (1), the claim (2), the vocabulary (1: the grids of a survey past its draft
    # were read by the first run, once per process), fold (lock, mark, count: 3),
    # durations and counts (2), an equal earlier run (1), store (lock, two COPYs,
    # finish: 4; a role that may store them unchecked, as the tests' superuser, two
    # more: the ids proven and the checks turned off, then on again; score_store.py),
    # a waiting run to hand on (1).
    assert len(statements) <= 17, "\n".join(s[:120] for s in statements)

    # Its scores are those a run from the same counts computes again.
    def scores(of: AggregationRun) -> list[tuple[Any, ...]]:
        return list(
            GroupScore.objects.filter(run=of)
            .order_by("topic__code", "group__code", "axis")
            .values_list("topic__code", "group__code", "axis", "stats")
        )

    stored = scores(run)
    AggregationRun.objects.filter(pk=run.pk).delete()
    again = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert again is not None
    assert again.status == RunStatus.SUCCEEDED
    assert again.fingerprint == run.fingerprint
    assert scores(again) == stored


def test_a_run_reads_a_draft_surveys_grids_each_time_and_an_open_surveys_once(
    assessment: Assessment, django_assert_num_queries: Any
) -> None:
    """A draft's questions may still change: its grids are read at every run. Once the
    survey has opened they cannot, and a process reads them once."""
    from materiality.runs.inputs import assessment_vocabulary
    from surveys.models import QuestionKind
    from surveys.services import OptionSpec, QuestionSpec, question_add

    before = assessment_vocabulary(assessment)
    extra = question_add(
        survey=assessment.survey,
        spec=QuestionSpec(
            code="extra_grid",
            kind=QuestionKind.GRID,
            text={"en": "Another grid"},
            rows=[OptionSpec(code="a", label={"en": "A"})],
            columns=[OptionSpec(code="x", label={"en": "X"})],
        ),
    )
    assert assessment_vocabulary(assessment).grids == [*before.grids, extra.pk]

    assessment_open(assessment=assessment)
    assessment.refresh_from_db()
    assessment.survey.refresh_from_db()
    opened = assessment_vocabulary(assessment)  # topics and groups, then the grids
    with django_assert_num_queries(1):  # the topics and groups only
        assert assessment_vocabulary(assessment) == opened
    assert opened.grids == [*before.grids, extra.pk]


def test_the_aggregate_command_computes_and_can_count_the_replies_again(
    open_assessment: Assessment,
) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    reply(open_assessment, "customers", 1, choices="234")
    out = StringIO()
    call_command("aggregate", str(open_assessment.pk), "--now", stdout=out)
    first = AggregationRun.objects.latest("pk")
    assert first.status == RunStatus.SUCCEEDED
    assert out.getvalue().startswith(f"Run {first.pk}: ")
    # An operator corrects a rating in the database by hand: the kept counts do not see
    # it until they are counted again.
    Answer.objects.filter(row_code="risk-management", column_code="company").update(value=5)
    assert Response.objects.get().straight_lined is False
    call_command("aggregate", str(open_assessment.pk), "--now", stdout=StringIO())
    run = AggregationRun.objects.latest("pk")
    assert run.status == RunStatus.UNCHANGED
    call_command("aggregate", str(open_assessment.pk), "--now", "--recount", stdout=StringIO())
    recounted = AggregationRun.objects.latest("pk")
    assert recounted.status == RunStatus.SUCCEEDED
    score = TopicScore.objects.get(run=recounted, topic__code="risk-management")
    assert score.company["mean"] == 5
    with pytest.raises(CommandError, match="There is no assessment 9999"):
        call_command("aggregate", "9999", stdout=StringIO())


def test_bots_that_are_the_majority_are_too_fast_by_the_floor_per_grid_cell(
    open_assessment: Assessment,
) -> None:
    """156 replies in 1 s among 20 in ten minutes: the median is the bots' 1 s, so the
    share of the median leaves out nobody; the floor per grid cell leaves out the bots."""
    for seed in range(4):
        reply(open_assessment, "customers", seed)
    humans = list(Response.objects.values_list("pk", flat=True))
    template = Response.objects.get(pk=humans[0])
    answers = list(Answer.objects.filter(response=template))
    # The same four replies again as 16 more humans and 156 bots (one bulk insert each).
    clones = []
    for number in range(16 + 156):
        clone = Response.objects.get(pk=humans[number % 4])
        clone.pk = None
        clone.resume_hash = f"clone-{number}"
        clone.tally_batch = None
        clone.duration_seconds = 600 if number < 16 else 1
        clones.append(clone)
    Response.objects.bulk_create(clones)
    assert answers
    Answer.objects.bulk_create(
        Answer(
            response_id=clone.pk,
            question_id=answer.question_id,
            row_code=answer.row_code,
            column_code=answer.column_code,
            value=answer.value,
        )
        for clone in clones
        for answer in Answer.objects.filter(response_id=humans[0])
    )
    run = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert run is not None
    assert (run.responses_total, run.excluded_too_fast, run.responses_counted) == (176, 156, 20)
    assert run.options["too_fast_seconds_per_cell"] == 1.0


def test_the_stored_json_of_statistics_is_json_dumps_text() -> None:
    """`stats_json` writes what `json.dumps` of `stats_dict` writes, figure for figure,
    and refuses what it refuses."""
    rng = random.Random(16)
    figures: list[float | None] = [None, 0.0, -0.0, 1.0, 5e-324, 1e16, 2 / 3, 4.150174970957576]
    for _ in range(2000):
        picked = [rng.choice([*figures, rng.uniform(-10, 110)]) for _ in range(6)]
        low = rng.randint(-3, 1)
        # mean, median, sd, ci_low, ci_high, normalised: Stats' fields in their order
        distribution = {level: rng.randint(0, 500) for level in range(low, low + 5)}
        stats = Stats(rng.randint(0, 10**12), *picked, distribution)
        assert stats_json(stats) == json.dumps(stats_dict(stats), allow_nan=False)
    for bad in (float("nan"), float("inf")):
        broken = Stats(1, bad, None, None, None, None, None, {1: 1})
        with pytest.raises(ValueError, match="Out of range float values"):
            json.dumps(stats_dict(broken), allow_nan=False)
        with pytest.raises(ValueError, match="Out of range float values"):
            stats_json(broken)


def test_a_submits_run_commits_with_the_reply_and_its_task_follows_the_commit(
    open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        reply(open_assessment, "customers", 1)
        # Inside the submit's transaction, before its commit: the run is there already,
        # and nothing has been sent.
        run = AggregationRun.objects.get()
        assert (run.status, run.trigger) == (RunStatus.PENDING, RunTrigger.RESPONSE)
    # The task goes once the reply and its run have committed: the one callback sends it.
    assert len(callbacks) == 1
    callbacks[0]()
    run.refresh_from_db()
    assert (run.status, run.responses_total) == (RunStatus.SUCCEEDED, 1)


def test_a_request_that_loses_the_race_for_the_waiting_run_leaves_its_transaction_usable(
    open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        first = requests._request(open_assessment.pk, RunTrigger.RESPONSE, None)
        # A second insert, as a concurrent submit's that did not see the first: no
        # error, no second run, and the transaction goes on.
        assert requests._request(open_assessment.pk, RunTrigger.RESPONSE, None) is None
        assert AggregationRun.objects.filter(status=RunStatus.PENDING).count() == 1
    assert first is not None
    assert first.pk == AggregationRun.objects.get().pk
    assert len(callbacks) == 1  # only the run inserted is sent
    # A manual request meanwhile serves the same waiting run, as before.
    assert aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL) == first
