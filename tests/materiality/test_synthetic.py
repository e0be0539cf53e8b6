"""Tests of materiality.demo.synthetic: the pure generator, and the loader on the database.

Statistics are recomputed here with pandas from the stored Answer rows (never from the
generator's arrays or its constants, except the published ranking they must resemble).
"""

from __future__ import annotations

import inspect
import math
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from materiality.demo.shape import DEMO_REPLIES_PER_GROUP, REPORT_RANKING
from materiality.demo.storing import replies_load
from materiality.demo.synthetic import (
    DONT_KNOW,
    SOURCE_REFERENCE,
    GroupPlan,
    ReplyBlock,
    replies_generate,
)
from materiality.models import AXES, Assessment, StakeholderGroup
from materiality.questionnaire import (
    GROUP_QUESTION,
    IMPORTANCE_QUESTION,
    OVERALL_COMMENT_QUESTION,
    SIDE_QUESTION,
)
from materiality.services import assessment_close
from surveys.bulk import bulk_load_allowed
from surveys.models import Answer, Response, ResponseSource, ResponseStatus
from surveys.selectors import missing_pages, questionnaire_load, response_answers
from surveys.services import is_straight_lined

SEED = 2021
TOPICS = (
    "corporate-governance",
    "compliance-management",
    "risk-management",
    "business-ethics",
    "sustainable-supply-chain",
    "data-security-privacy",
    "fintech-innovation",
    "product-responsibility",
    "customer-service",
    "inclusive-finance",
    "community-welfare",
    "employee-health-safety",
    "training-development",
    "diversity-equal-opportunity",
    "talent-attraction-retention",
    "green-operations",
    "climate-change",
)
PLANS = [GroupPlan(code, code == "employees", n) for code, n in DEMO_REPLIES_PER_GROUP.items()]


def generate(seed: int = SEED, plans: list[GroupPlan] = PLANS) -> list[ReplyBlock]:
    return list(replies_generate(topics=TOPICS, groups=plans, seed=seed))


def grid_frame(assessment: Assessment) -> pd.DataFrame:
    """One row per rating cell of the importance grid (comments left out)."""
    rows = (
        Answer.objects.filter(
            response__survey=assessment.survey, question__code=IMPORTANCE_QUESTION
        )
        .exclude(column_code="")
        .values(
            "response_id",
            "response__respondent_group",
            "row_code",
            "column_code",
            "value",
            "dont_know",
        )
    )
    frame = pd.DataFrame.from_records(list(rows))
    return frame.rename(columns={"response__respondent_group": "group"})


def topic_means(frame: pd.DataFrame) -> pd.Series:
    """Per respondent the mean of both axes (don't know ignored), then per topic."""
    rated = frame[~frame["dont_know"]]
    per_respondent = rated.groupby(["response_id", "group", "row_code"])["value"].mean()
    return per_respondent.groupby(level="row_code").mean()


@pytest.fixture
def loaded(open_assessment: Assessment) -> Assessment:
    replies_load(assessment=open_assessment, replies_per_group=DEMO_REPLIES_PER_GROUP, seed=SEED)
    return open_assessment


# --- The pure generator -----------------------------------------------------------------


def test_the_demo_spread_adds_up_to_the_reports_1151_replies() -> None:
    assert sum(DEMO_REPLIES_PER_GROUP.values()) == 1151
    assert set(REPORT_RANKING) == set(TOPICS)


def test_the_same_seed_gives_the_same_replies_and_another_seed_others() -> None:
    first, again, other = generate(), generate(), generate(seed=SEED + 1)
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(a.group, b.group)
        assert np.array_equal(a.ratings, b.ratings)
        assert np.array_equal(a.duration_seconds, b.duration_seconds)
        assert np.array_equal(a.arrival, b.arrival)
        assert a.comments == b.comments
        assert a.overall_comments == b.overall_comments
    assert not np.array_equal(first[0].ratings, other[0].ratings)


def test_it_produces_exactly_the_planned_replies_per_group_interleaved() -> None:
    blocks = generate()
    groups = np.concatenate([b.group for b in blocks])
    counts = {PLANS[g].code: n for g, n in zip(*np.unique(groups, return_counts=True), strict=True)}
    assert counts == DEMO_REPLIES_PER_GROUP
    # Replies arrive mixed, not group after group.
    assert len(set(groups[:300].tolist())) == len(PLANS)


def test_respondents_carry_their_groups_side_and_ratings_or_dont_know() -> None:
    respondents = [r for block in generate() for r in block.respondents()]
    assert len(respondents) == 1151
    assert {r.internal for r in respondents if r.group == "employees"} == {True}
    assert {r.internal for r in respondents if r.group != "employees"} == {False}
    for r in respondents:
        assert len(r.ratings) == len(TOPICS)
        assert all(len(cells) == len(AXES) for cells in r.ratings)
        assert all(v is None or 1 <= v <= 5 for cells in r.ratings for v in cells)
        assert r.duration_seconds > 0


def test_the_straight_line_flag_follows_the_engines_rule() -> None:
    for block in generate():
        for r in block.respondents():
            ratings = [v for cells in r.ratings for v in cells if v is not None]
            assert r.straight_lined == is_straight_lined(ratings, len(TOPICS) * len(AXES))


def test_it_streams_a_hundred_thousand_respondents_in_little_memory() -> None:
    plans = [GroupPlan(p.code, p.internal, p.replies * 87) for p in PLANS]
    stream = replies_generate(topics=TOPICS, groups=plans, seed=SEED)
    assert inspect.isgenerator(stream)
    tracemalloc.start()
    try:
        count = sum(len(block) for block in stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 1151 * 87
    # A list of 100,137 respondents would hold at least their 3.4 million ratings.
    assert peak < 20 * 2**20


def test_it_follows_another_scale_and_can_leave_dont_know_out() -> None:
    plans = [GroupPlan("customers", False, 500)]
    (block,) = replies_generate(
        topics=TOPICS, groups=plans, seed=SEED, scale=(0, 10), dont_know=False
    )
    assert block.ratings.min() >= 0
    assert block.ratings.max() <= 10
    assert not (block.ratings == DONT_KNOW).any()
    assert 6 < block.ratings.mean() < 9.5


def test_it_rejects_topics_named_twice_and_negative_counts() -> None:
    with pytest.raises(ValueError, match="Topics"):
        list(replies_generate(topics=["a", "a"], groups=PLANS, seed=1))
    with pytest.raises(ValueError, match="Groups"):
        list(replies_generate(topics=TOPICS, groups=[GroupPlan("x", False, -1)], seed=1))


# --- Loading into an assessment ---------------------------------------------------------


@pytest.mark.django_db
def test_it_loads_exactly_the_planned_replies_per_group(open_assessment: Assessment) -> None:
    loaded = replies_load(
        assessment=open_assessment, replies_per_group=DEMO_REPLIES_PER_GROUP, seed=SEED
    )
    assert loaded == 1151
    responses = Response.objects.filter(survey=open_assessment.survey)
    counts = pd.Series(list(responses.values_list("respondent_group", flat=True))).value_counts()
    assert counts.to_dict() == DEMO_REPLIES_PER_GROUP
    sides = set(responses.values_list("respondent_group", "respondent_internal"))
    internal = dict(StakeholderGroup.objects.values_list("code", "internal"))
    assert sides == {(code, internal[code]) for code in DEMO_REPLIES_PER_GROUP}


@pytest.mark.django_db
def test_loading_the_same_seed_stores_the_same_ratings(open_assessment: Assessment) -> None:
    plan = {"customers": 60, "employees": 60}
    replies_load(assessment=open_assessment, replies_per_group=plan, seed=7)
    first = grid_frame(open_assessment)
    Response.objects.filter(survey=open_assessment.survey).delete()
    replies_load(assessment=open_assessment, replies_per_group=plan, seed=7)
    again = grid_frame(open_assessment)
    columns = ["group", "row_code", "column_code", "value", "dont_know"]
    ordered = ["response_id", "row_code", "column_code"]
    pd.testing.assert_frame_equal(
        first.sort_values(ordered)[columns].reset_index(drop=True),
        again.sort_values(ordered)[columns].reset_index(drop=True),
    )


@pytest.mark.django_db
def test_loaded_replies_are_submitted_synthetic_web_responses(loaded: Assessment) -> None:
    responses = Response.objects.filter(survey=loaded.survey)
    assert set(responses.values_list("status", "source", "source_reference")) == {
        (ResponseStatus.SUBMITTED, ResponseSource.WEB, SOURCE_REFERENCE)
    }
    assert responses.values("resume_hash").distinct().count() == 1151
    frame = pd.DataFrame.from_records(
        list(responses.values("started_at", "submitted_at", "duration_seconds"))
    )
    elapsed = (frame["submitted_at"] - frame["started_at"]).dt.total_seconds()
    assert (elapsed == frame["duration_seconds"]).all()
    assert (frame["submitted_at"] <= pd.Timestamp.now(tz="UTC")).all()


@pytest.mark.django_db
def test_every_loaded_reply_rates_every_topic_on_both_axes(loaded: Assessment) -> None:
    frame = grid_frame(loaded)
    expected = {(topic, axis) for topic in TOPICS for axis in AXES}
    assert set(zip(frame["row_code"], frame["column_code"], strict=True)) == expected
    assert not frame.duplicated(["response_id", "row_code", "column_code"]).any()
    per_response = frame.groupby("response_id").size()
    assert len(per_response) == 1151
    assert (per_response == len(expected)).all()
    rated = frame[~frame["dont_know"]]["value"]
    assert rated.between(1, 5).all()
    assert frame[frame["dont_know"]]["value"].isna().all()
    assert 0.01 < frame["dont_know"].mean() < 0.08


@pytest.mark.django_db
def test_loaded_replies_answer_who_they_are_and_are_complete_for_the_engine(
    loaded: Assessment,
) -> None:
    answers = pd.DataFrame.from_records(
        list(
            Answer.objects.filter(
                response__survey=loaded.survey, question__code__in=[GROUP_QUESTION, SIDE_QUESTION]
            ).values(
                "question__code",
                "column_code",
                "response__respondent_group",
                "response__respondent_internal",
            )
        )
    )
    group = answers[answers["question__code"] == GROUP_QUESTION]
    side = answers[answers["question__code"] == SIDE_QUESTION]
    assert len(group) == len(side) == 1151
    assert (group["column_code"] == group["response__respondent_group"]).all()
    expected_side = side["response__respondent_internal"].map({True: "internal", False: "external"})
    assert (side["column_code"] == expected_side).all()
    questionnaire = questionnaire_load(loaded.survey)
    for response in Response.objects.filter(survey=loaded.survey)[:25]:
        assert missing_pages(questionnaire, response, response_answers(response)) == []


@pytest.mark.django_db
def test_the_ranking_of_loaded_replies_resembles_the_reports(loaded: Assessment) -> None:
    means = topic_means(grid_frame(loaded))
    assert means.between(3.3, 4.9).all()
    report_position = pd.Series(range(len(REPORT_RANKING)), index=list(REPORT_RANKING))
    # Spearman's rho: Pearson's correlation of the ranks.
    rho = means.rank(ascending=False).corr(report_position.rank().reindex(means.index))
    assert rho >= 0.9
    assert means.idxmax() == "product-responsibility"
    assert means.idxmin() in {"climate-change", "green-operations"}


@pytest.mark.django_db
def test_groups_rate_the_topics_they_care_about_higher(loaded: Assessment) -> None:
    rated = grid_frame(loaded).query("not dont_know")
    by_group = rated.groupby(["row_code", "group"])["value"].mean()
    assert by_group["employee-health-safety", "employees"] > (
        by_group["employee-health-safety", "customers"] + 0.3
    )
    assert by_group["customer-service", "customers"] > by_group["customer-service", "employees"]
    assert (
        by_group["sustainable-supply-chain", "suppliers-partners"]
        > (by_group["sustainable-supply-chain", "customers"])
    )
    assert (
        by_group["community-welfare", "community-public"]
        > (by_group["community-welfare", "shareholders-investors"])
    )


@pytest.mark.django_db
def test_some_replies_are_straight_lined_or_too_fast_and_flagged(loaded: Assessment) -> None:
    frame = grid_frame(loaded)
    rated = frame[~frame["dont_know"]].groupby("response_id")["value"]
    one_value = (rated.nunique() == 1) & (rated.count() >= math.ceil(len(TOPICS) * len(AXES) / 2))
    flags = pd.Series(
        dict(Response.objects.filter(survey=loaded.survey).values_list("pk", "straight_lined"))
    )
    assert (flags.reindex(one_value.index) == one_value).all()
    assert 5 <= one_value.sum() <= 80
    durations = pd.Series(
        list(
            Response.objects.filter(survey=loaded.survey).values_list("duration_seconds", flat=True)
        )
    )
    # docs/methodology.md: too fast is under a third of the median completion time.
    too_fast = durations < durations.median() / 3
    assert 10 <= too_fast.sum() <= 100


@pytest.mark.django_db
def test_comments_are_stored_per_topic_and_overall(loaded: Assessment) -> None:
    comments = Answer.objects.filter(response__survey=loaded.survey).exclude(text="")
    topic_comments = comments.filter(question__code=IMPORTANCE_QUESTION)
    assert set(topic_comments.values_list("column_code", flat=True)) == {""}
    assert set(topic_comments.values_list("row_code", flat=True)) <= set(TOPICS)
    assert 10 < topic_comments.count() < 150
    assert 10 < comments.filter(question__code=OVERALL_COMMENT_QUESTION).count() < 150


def load_counting_queries(assessment: Assessment, replies: int) -> tuple[list[str], int]:
    """The SQL sent to load `replies` replies (in batches of 100), and the rows written;
    uncounted (the count at the end is a fixed handful of statements of its own:
    tests/surveys/test_bulk.py)."""
    before = Answer.objects.count() + Response.objects.count()
    with CaptureQueriesContext(connection) as queries:
        replies_load(
            assessment=assessment,
            replies_per_group={"customers": replies // 2, "employees": replies // 2},
            seed=replies,
            batch_size=100,
            count=False,
        )
    written = Answer.objects.count() + Response.objects.count() - before
    return [q["sql"] for q in queries.captured_queries], written


@pytest.mark.django_db
def test_loading_sends_no_query_per_reply(open_assessment: Assessment) -> None:
    small, _ = load_counting_queries(open_assessment, 200)
    large, written = load_counting_queries(open_assessment, 400)
    # Besides INSERTs, a fixed handful whatever the number of replies: the survey lock,
    # the questions, the options, the groups; the engine's lock and its read of the
    # questionnaire (none the second time: it keeps an open survey's), and savepoints.
    # Writes are INSERTs, and on PostgreSQL one COPY of a batch's answers, whose foreign
    # keys are checked as each COPY ends, then deferred again (two SET CONSTRAINTS), after
    # one query for whether they may be bulk-loaded; if so, two SET LOCAL around each COPY,
    # and the questions' lock, an answer id and the proof after the last COPY (three).
    loading = bulk_load_allowed()
    writes = ("INSERT", "COPY", "SET LOCAL session_replication_role")
    others = [sql for sql in large if not sql.startswith(writes)]
    fixed = 11 + (3 if connection.vendor == "postgresql" else 0) + (3 if loading else 0)
    assert len(others) <= len([sql for sql in small if not sql.startswith(writes)]) <= fixed
    # Every write carries many rows. (SQLite, to Django 5.2, takes at most 999
    # parameters per statement: about 140 answers; PostgreSQL takes a batch in two.)
    inserts = len(large) - len(others)
    assert written / inserts > 50
    if connection.vendor == "postgresql":
        small_writes = len([sql for sql in small if sql.startswith(writes)])
        assert inserts == small_writes + 2 * (4 if loading else 2)


@pytest.mark.django_db
def test_a_closed_assessment_takes_replies_too(open_assessment: Assessment) -> None:
    assessment_close(assessment=open_assessment)
    assert replies_load(assessment=open_assessment, replies_per_group={"media": 10}, seed=1) == 10


@pytest.mark.django_db
def test_it_refuses_a_draft_assessment(assessment: Assessment) -> None:
    with pytest.raises(ValueError, match="Open the assessment"):
        replies_load(assessment=assessment, replies_per_group={"media": 10}, seed=1)
    assert not Response.objects.filter(survey=assessment.survey).exists()


@pytest.mark.django_db
def test_it_refuses_a_group_the_assessment_does_not_have(open_assessment: Assessment) -> None:
    StakeholderGroup.objects.create(code="unions", name={"en": "Unions"})
    with pytest.raises(ValueError, match="unions"):
        replies_load(assessment=open_assessment, replies_per_group={"unions": 10}, seed=1)
    assert not Response.objects.filter(survey=open_assessment.survey).exists()


@pytest.mark.django_db
def test_loading_twice_adds_replies_with_their_own_resume_hashes(
    open_assessment: Assessment,
) -> None:
    for _ in range(2):
        replies_load(assessment=open_assessment, replies_per_group={"media": 30}, seed=1)
    responses = Response.objects.filter(survey=open_assessment.survey)
    assert responses.count() == 60
    assert responses.values("resume_hash").distinct().count() == 60


@pytest.mark.django_db
def test_it_finds_the_new_response_ids_where_inserts_return_none(
    open_assessment: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    replies_load(assessment=open_assessment, replies_per_group={"media": 30}, seed=1)
    assert Answer.objects.filter(response__survey=open_assessment.survey).count() >= 30 * 36
