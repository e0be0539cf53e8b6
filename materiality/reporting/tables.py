"""The score tables of a run, as plain rows and columns that every format renders."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.utils import timezone

from materiality.models import (
    AXES,
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    Assessment,
    AssessmentGroup,
    GroupScore,
    TopicScore,
)
from materiality.reporting.wording import WORDS, word
from materiality.runs.inputs import RunInput, replay_input
from materiality.runs.options import recorded_options
from materiality.runs.selectors import applied_thresholds, scored_run
from materiality.scoring import AxisSource, ScoreResult, score
from surveys.translations import pick

# --- Tables -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    code: str
    label: str
    number_format: str = "General"


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    rows: list[list[Any]]


STAT_FORMATS = {
    "n": "0",
    "mean": "0.000",
    "median": "0.0",
    "sd": "0.000",
    "ci_low": "0.000",
    "ci_high": "0.000",
    "normalised": "0.0",
}


def _axis_label(assessment: Assessment, axis: str, language: str) -> str:
    label = (
        assessment.company_axis_label if axis == COMPANY_AXIS else assessment.stakeholder_axis_label
    )
    return pick(label, language) or axis


def _stat_columns(
    assessment: Assessment, axis: str, language: str, confidence: float
) -> list[Column]:
    level = f"{confidence:.0%}"
    axis_label = _axis_label(assessment, axis, language)
    return [
        Column(f"{axis}_{stat}", f"{axis_label} · {word(stat, language) % {'level': level}}", fmt)
        for stat, fmt in STAT_FORMATS.items()
    ]


def _stat_values(stats: Mapping[str, Any]) -> list[Any]:
    return [stats.get(stat) for stat in STAT_FORMATS]


def overall_table(run: AggregationRun, language: str) -> Table:
    """The run's topics in rank order with every statistic: one query."""
    run = scored_run(run)
    assessment = run.assessment
    confidence = recorded_options(run).params.confidence
    columns = [
        Column("rank", word("rank", language), "0"),
        Column("topic", word("topic", language)),
        Column("topic_name", word("topic_name", language)),
        Column("dimension", word("dimension", language)),
        Column("dimension_name", word("dimension_name", language)),
        *_stat_columns(assessment, COMPANY_AXIS, language, confidence),
        *_stat_columns(assessment, STAKEHOLDER_AXIS, language, confidence),
        Column("combined", word("combined", language), "0.0"),
        Column("material", word("material", language)),
        Column("tier", word("tier", language)),
        Column("tier_name", word("tier_name", language)),
        Column("p_material", word("p_material", language), "0.0%"),
        *(
            Column(
                f"{axis}_divergence",
                f"{word('divergence', language)} · {_axis_label(assessment, axis, language)}",
                "0.000",
            )
            for axis in AXES
        ),
        Column("divergence_flag", word("divergence_flag", language)),
    ]
    rows = [
        [
            s.rank,
            s.topic.code,
            s.topic.get_name(language),
            s.topic.dimension,
            word(s.topic.dimension, language) if s.topic.dimension in WORDS else s.topic.dimension,
            *_stat_values(s.company),
            *_stat_values(s.stakeholder),
            s.combined,
            s.material,
            s.tier,
            word(s.tier, language) if s.tier in WORDS else s.tier,
            s.p_material,
            s.company_divergence,
            s.stakeholder_divergence,
            s.divergence_flag,
        ]
        for s in TopicScore.objects.filter(run=run).select_related("topic").order_by("rank")
    ]
    return Table(columns, rows)


def group_table(run: AggregationRun, language: str) -> Table:
    """Every topic × group × axis of the run, topics in rank order: two queries."""
    run = scored_run(run)
    assessment = run.assessment
    params = recorded_options(run).params
    levels = range(params.scale_min, params.scale_max + 1)
    rank = dict(TopicScore.objects.filter(run=run).values_list("topic_id", "rank"))
    group_order = dict(
        AssessmentGroup.objects.filter(assessment=assessment).values_list("group_id", "order")
    )
    axis_labels = {axis: _axis_label(assessment, axis, language) for axis in AXES}
    scores = sorted(
        GroupScore.objects.filter(run=run).select_related("topic", "group"),
        key=lambda g: (
            rank.get(g.topic_id, math.inf),
            group_order.get(g.group_id, math.inf),
            g.group.code,
            AXES.index(g.axis) if g.axis in AXES else len(AXES),
        ),
    )
    level_label = word("count_level", language)
    columns = [
        Column("topic", word("topic", language)),
        Column("topic_name", word("topic_name", language)),
        Column("group", word("group", language)),
        Column("group_name", word("group_name", language)),
        Column("axis", word("axis", language)),
        Column("axis_name", word("axis_name", language)),
        *(
            Column(stat, word(stat, language) % {"level": f"{params.confidence:.0%}"}, fmt)
            for stat, fmt in STAT_FORMATS.items()
        ),
        *(Column(f"count_{level}", level_label % {"level": level}, "0") for level in levels),
    ]
    rows = [
        [
            g.topic.code,
            g.topic.get_name(language),
            g.group.code,
            g.group.get_name(language),
            g.axis,
            axis_labels.get(g.axis, g.axis),
            *_stat_values(g.stats),
            *((g.stats.get("distribution") or {}).get(str(level), 0) for level in levels),
        ]
        for g in scores
    ]
    return Table(columns, rows)


@dataclass(frozen=True)
class AxisSourceView:
    """The run recomputed under the other axis source, or why that is not possible."""

    source: AxisSource
    note: str
    table: Table | None
    thresholds: Mapping[str, float | None]


def axis_source_view(
    run: AggregationRun, language: str, run_input: RunInput | None = None
) -> AxisSourceView:
    """Scores under the other axis source, from the run's own input (see replay_input).

    Why not from the stored GroupScores: under "everyone rates both axes" they pool each
    group's internal and external respondents, whose side is chosen per response and not
    fixed by the group; under the split rule they no longer hold the ratings given on the
    other axis. Neither can be split again, so the input is read again, and used only
    when its fingerprint proves it is the run's.
    """
    run = scored_run(run)
    params = recorded_options(run).params
    other = (
        AxisSource.SPLIT_INTERNAL_EXTERNAL
        if params.axis_source is AxisSource.ALL_RATE_BOTH
        else AxisSource.ALL_RATE_BOTH
    )
    if run_input is None:
        run_input = replay_input(run)
    if run_input is None:
        return AxisSourceView(other, word("note_axis_source_unavailable", language), None, {})
    result = score(
        run_input.cells,
        topics=run_input.topics,
        groups=run_input.groups,
        params=replace(params, axis_source=other),
    )
    note = word("note_axis_source", language) % {"source": word(other.value, language)}
    return AxisSourceView(other, note, _axis_source_table(run, result, language), result.thresholds)


def _axis_source_table(run: AggregationRun, result: ScoreResult, language: str) -> Table:
    assessment = run.assessment
    stored = {s.topic.code: s for s in TopicScore.objects.filter(run=run).select_related("topic")}
    stats = ("n", "mean", "ci_low", "ci_high", "normalised")
    level = f"{result.params.confidence:.0%}"
    columns = [
        Column("rank", word("rank", language), "0"),
        Column("rank_in_run", word("rank_in_run", language), "0"),
        Column("rank_change", word("rank_change", language), "+0;-0;0"),
        Column("topic", word("topic", language)),
        Column("topic_name", word("topic_name", language)),
        *(
            Column(
                f"{axis}_{stat}",
                f"{_axis_label(assessment, axis, language)} · "
                f"{word(stat, language) % {'level': level}}",
                STAT_FORMATS[stat],
            )
            for axis in AXES
            for stat in stats
        ),
        Column("combined", word("combined", language), "0.0"),
        Column("material", word("material", language)),
        Column("tier", word("tier", language)),
        Column("p_material", word("p_material", language), "0.0%"),
    ]
    rows = []
    for topic in result.topics:
        own = stored.get(topic.topic)
        rows.append(
            [
                topic.rank,
                own.rank if own else None,
                own.rank - topic.rank if own else None,
                topic.topic,
                own.topic.get_name(language) if own else topic.topic,
                *(
                    getattr(topic.axes[axis], stat)
                    for axis in (result.params.company_axis, result.params.stakeholder_axis)
                    for stat in stats
                ),
                topic.combined,
                topic.material,
                str(topic.tier),
                topic.p_material,
            ]
        )
    return Table(columns, rows)


@dataclass(frozen=True)
class RunItem:
    code: str
    label: str
    value: Any


def run_record(run: AggregationRun, language: str, run_input: RunInput | None) -> list[RunItem]:
    """What computed the run, as (code, label, value) rows. *run_input* is the run's
    replayed input (replay_input), which gives the too-fast limit the run applied; None
    when the replies have changed since, and the limit can no longer be recovered."""
    run = scored_run(run)
    assessment = run.assessment
    options = recorded_options(run)
    thresholds = applied_thresholds(run)
    too_fast: Any
    if run_input is None:
        too_fast = word("too_fast_unknown", language)
    elif run_input.too_fast_seconds is None:
        too_fast = word("too_fast_none", language)
    else:
        too_fast = run_input.too_fast_seconds

    def when(moment: Any) -> str:
        return _local(moment) if moment else ""

    items = [
        RunItem("assessment", word("assessment", language), assessment.get_title(language)),
        RunItem(
            "period",
            word("period", language),
            f"{assessment.period_start.isoformat()} – {assessment.period_end.isoformat()}",
        ),
        RunItem("run", word("run", language), run.pk),
        RunItem("status", word("status", language), run.status),
        RunItem("trigger", word("trigger", language), run.trigger),
        RunItem("created_at", word("created_at", language), when(run.created_at)),
        RunItem("started_at", word("started_at", language), when(run.started_at)),
        RunItem("finished_at", word("finished_at", language), when(run.finished_at)),
        RunItem("duration_ms", word("duration_ms", language), run.duration_ms),
        RunItem("exported_at", word("exported_at", language), when(timezone.now())),
        RunItem("fingerprint", word("fingerprint", language), run.fingerprint),
        *(
            RunItem(name, word(name, language), getattr(run, name))
            for name in (
                "responses_total",
                "responses_counted",
                "excluded_straight_lined",
                "excluded_too_fast",
                "ratings_counted",
            )
        ),
        RunItem("too_fast_seconds", word("too_fast_seconds", language), too_fast),
        RunItem("threshold.company", word("threshold_company", language), thresholds[COMPANY_AXIS]),
        RunItem(
            "threshold.stakeholder",
            word("threshold_stakeholder", language),
            thresholds[STAKEHOLDER_AXIS],
        ),
    ]
    for name, value in options.as_dict().items():
        if name == "params":
            continue
        items.append(RunItem(f"options.{name}", word("filter", language) % {"name": name}, value))
    for name, value in options.params.as_dict().items():
        if isinstance(value, Mapping):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        items.append(RunItem(f"params.{name}", word("parameter", language) % {"name": name}, value))
    for name, value in sorted((run.software or {}).items()):
        items.append(
            RunItem(f"software.{name}", word("software", language) % {"name": name}, value)
        )
    return items


def _local(moment: Any) -> str:
    return timezone.localtime(moment).isoformat(sep=" ", timespec="minutes")
