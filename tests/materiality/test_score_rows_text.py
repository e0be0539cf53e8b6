"""A run's score rows as COPY text (PostgreSQL): each line is the text the ORM's values
of the same row would make, value for value, and the stored rows are those values."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import numpy
import pytest
from django.db import connection, models, transaction

from materiality.models import Assessment, GroupScore, RunTrigger, TopicScore
from materiality.runs import execution
from materiality.runs.inputs import Vocabulary, assessment_vocabulary
from materiality.runs.requests import aggregation_request
from materiality.scoring import ScoreResult, Stats, Tier, TopicOutcome
from materiality.scoring.params import Params
from surveys.bulk import copy_text

AXES = ("company", "stakeholder")
# Figures whose text is easy to get wrong: the sign of zero, the smallest double, an
# exponent, a repeating fraction, None.
FIGURES: list[float | None] = [None, 0.0, -0.0, 1.0, 5e-324, 1e16, 1e-05, 2 / 3]


def figure(rng: random.Random) -> float | None:
    return rng.choice([*FIGURES, rng.uniform(-10, 110), rng.uniform(1, 5)])


def random_stats(rng: random.Random, *, odd: bool = False) -> Stats:
    """Statistics as scoring makes them; `odd`: now and then a type it does not make
    (a float subclass, a bool count, a bool level), which the text must write as
    json.dumps does all the same."""
    levels: list[Any] = list(range(1, 6))
    counts: list[Any] = [rng.randint(0, 500) for _ in levels]
    picked: list[Any] = [figure(rng) for _ in range(6)]
    if odd:
        if rng.random() < 0.3:
            picked[rng.randrange(6)] = numpy.float64(rng.uniform(1, 5))
        if rng.random() < 0.2:
            counts[rng.randrange(5)] = True
        if rng.random() < 0.2:
            levels = [True, *levels[1:]]
    # mean, median, sd, ci_low, ci_high, normalised: Stats' fields in their order
    return Stats(rng.randint(0, 10**6), *picked, dict(zip(levels, counts, strict=True)))


def random_result(
    rng: random.Random, topics: list[str], groups: list[str], *, odd: bool = False
) -> ScoreResult:
    outcomes = []
    for rank, topic in enumerate(topics, start=1):
        outcomes.append(
            TopicOutcome(
                topic=topic,
                axes={axis: random_stats(rng, odd=odd) for axis in AXES},
                by_group={
                    axis: {group: random_stats(rng, odd=odd) for group in groups} for axis in AXES
                },
                combined=figure(rng),
                material=rng.random() < 0.5,
                tier=rng.choice(list(Tier)),
                rank=rank,
                p_material=figure(rng),
                divergence={axis: figure(rng) for axis in AXES},
                divergence_flag=rng.random() < 0.5,
                crosses={axis: rng.random() < 0.5 for axis in AXES},
            )
        )
    return ScoreResult(
        params=Params(),
        thresholds=dict.fromkeys(AXES, 3.5),
        topics=tuple(outcomes),
        respondents_counted=dict.fromkeys(AXES, 10),
    )


def vocabulary_of(topics: list[str], groups: list[str]) -> Vocabulary:
    return Vocabulary(
        topics=topics,
        groups=groups,
        topic_ids={code: 100 + i for i, code in enumerate(topics)},
        group_ids={code: 200 + i for i, code in enumerate(groups)},
        weights=dict.fromkeys(groups, 1.0),
        grid_id=1,
        grid_cells=len(topics) * 2,
        grids=[1],
    )


def orm_text(value: Any, field: models.Field[Any, Any]) -> str:
    """A value in COPY's text format, written independently of the code under test:
    what the ORM would send (json.dumps for a JSON column), in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(field, models.JSONField):
        return copy_text(json.dumps(value, allow_nan=False))
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return float.__repr__(value)
    return copy_text(str(value))


def orm_lines(instances: list[Any], columns: tuple[str, ...]) -> list[str]:
    lines = []
    for instance in instances:
        fields = {field.attname: field for field in instance._meta.concrete_fields}
        values = [orm_text(getattr(instance, name), fields[name]) for name in columns]
        lines.append("\t".join(values) + "\n")
    return lines


@pytest.mark.parametrize("odd", [False, True])
def test_the_copy_lines_are_the_text_of_the_orm_values_of_the_same_rows(odd: bool) -> None:
    rng = random.Random(16)
    topics = [f"topic-{i}" for i in range(17)]
    groups = [f"group\t{i}" if i == 3 else f"group-{i}" for i in range(8)]
    for _ in range(20):
        result = random_result(rng, topics, groups, odd=odd)
        vocabulary = vocabulary_of(topics, groups)
        topic_lines, group_lines = execution.score_copy_lines(7, result, vocabulary)
        topic_rows, group_rows = execution.score_rows(7, result, vocabulary)
        assert topic_lines == orm_lines(topic_rows, execution._TOPIC_SCORE_COLUMNS)
        assert group_lines == orm_lines(group_rows, execution._GROUP_SCORE_COLUMNS)
        assert (len(topic_lines), len(group_lines)) == (17, 17 * 2 * 8)
    # Every column of the tables, once: the lines leave none to its default.
    for model, columns in (
        (TopicScore, execution._TOPIC_SCORE_COLUMNS),
        (GroupScore, execution._GROUP_SCORE_COLUMNS),
    ):
        stored = {field.attname for field in model._meta.concrete_fields} - {"id"}
        assert sorted(columns) == sorted(stored)


def test_statistics_as_scoring_makes_them_take_the_one_f_string_and_others_do_not() -> None:
    rng = random.Random(5)
    for _ in range(500):
        stats = random_stats(rng)
        assert execution._plain_stats_json(stats) is not None
        assert execution.stats_json(stats) == json.dumps(
            execution.stats_dict(stats), allow_nan=False
        )
    plain = Stats(3, 4.5, 5.0, None, None, None, 87.5, {1: 0, 2: 0, 3: 0, 4: 1, 5: 2})
    for odd in (
        Stats(3, numpy.float64(4.5), 5.0, None, None, None, 87.5, {1: 3}),
        Stats(True, 4.5, 5.0, None, None, None, 87.5, {1: 3}),
        Stats(3, 4.5, 5.0, None, None, None, 87.5, {1: True}),
        Stats(3, 4.5, 5.0, None, None, None, 87.5, {True: 3}),
        Stats(3, 4.5, 5.0, None, None, None, 87.5, {1: 3.0}),
    ):
        assert execution._plain_stats_json(odd) is None
        text = json.dumps(execution.stats_dict(odd), allow_nan=False)
        assert execution.stats_json(odd) == text
        assert execution._copy_json(odd) == text
    assert execution._copy_json(plain) == json.dumps(execution.stats_dict(plain))
    assert execution.stats_json(Stats(0, None, None, None, None, None, None, {})) == (
        '{"n": 0, "mean": null, "median": null, "sd": null, "ci_low": null, '
        '"ci_high": null, "normalised": null, "distribution": {}}'
    )


def test_a_figure_that_is_not_a_number_is_refused_in_the_statistics_and_in_a_column() -> None:
    topics, groups = ["a", "b"], ["g"]
    vocabulary = vocabulary_of(topics, groups)
    for bad in (math.nan, math.inf, -math.inf):
        result = random_result(random.Random(1), topics, groups)
        topic = result.topics[1]
        broken_stats = Stats(1, 3.0, 3.0, None, None, bad, None, {1: 1})
        in_stats = TopicOutcome(**{**_fields(topic), "by_group": {"company": {"g": broken_stats}}})
        with pytest.raises(ValueError, match="Out of range float values"):
            execution.score_copy_lines(1, _replaced(result, in_stats), vocabulary)
        in_column = TopicOutcome(**{**_fields(topic), "combined": bad})
        with pytest.raises(ValueError, match="cannot be stored"):
            execution.score_copy_lines(1, _replaced(result, in_column), vocabulary)


def _fields(topic: TopicOutcome) -> dict[str, Any]:
    return {name: getattr(topic, name) for name in TopicOutcome.__dataclass_fields__}


def _replaced(result: ScoreResult, topic: TopicOutcome) -> ScoreResult:
    return ScoreResult(
        params=result.params,
        thresholds=result.thresholds,
        topics=(result.topics[0], topic),
        respondents_counted=result.respondents_counted,
    )


def _same(stored: Any, made: Any) -> bool:
    """Equal; on PostgreSQL floats bit for bit, the sign of zero too (SQLite keeps no
    negative zero)."""
    if isinstance(made, float) and isinstance(stored, float) and connection.vendor != "sqlite":
        return stored == made and math.copysign(1, stored) == math.copysign(1, made)
    return bool(stored == made)


@pytest.mark.django_db
def test_the_stored_score_rows_hold_the_values_of_the_rows_made(
    open_assessment: Assessment,
) -> None:
    """On PostgreSQL through COPY, elsewhere through the ORM: the same values."""
    vocabulary = assessment_vocabulary(open_assessment)
    result = random_result(random.Random(3), vocabulary.topics, vocabulary.groups)
    run = aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL)
    with transaction.atomic():
        execution._write_scores(run, result, vocabulary)
    topic_rows, group_rows = execution.score_rows(run.pk, result, vocabulary)
    for model, made, key in (
        (TopicScore, topic_rows, ("topic_id",)),
        (GroupScore, group_rows, ("topic_id", "group_id", "axis")),
    ):
        stored = {
            tuple(getattr(row, name) for name in key): row
            for row in model._default_manager.filter(run_id=run.pk)
        }
        assert len(stored) == len(made)
        for row in made:
            found = stored[tuple(getattr(row, name) for name in key)]
            for field in model._meta.concrete_fields:
                if field.attname == "id":
                    continue
                made_value = getattr(row, field.attname)
                stored_value = getattr(found, field.attname)
                assert _same(stored_value, made_value), (field.attname, stored_value, made_value)
