"""What the results page shows besides the matrix: the heatmap of groups, internal
against external groups, the sensitivity of the verdicts, and the change from the
previous assessment. Reads stored scores only (a fixed number of queries); the
sensitivity re-scores the run's own counts, which the stored group distributions hold:
once, in the run's task (materiality.runs.derived), and pages read what it stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from materiality.models import (
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    Assessment,
    GroupScore,
    RunStatus,
    StakeholderGroup,
    Topic,
    TopicScore,
)
from materiality.scoring import AxisSource, Cell, Params, ThresholdMode, Weighting, score

AXES = (COMPANY_AXIS, STAKEHOLDER_AXIS)
THRESHOLD_SHIFT = 0.25


# --- Heatmap and internal/external ---------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    mean: float | None
    n: int

    @property
    def shade(self) -> int:
        """0 (lowest) to 5 (highest) on a 1–5 scale, for the cell's background."""
        if self.mean is None:
            return -1
        return max(0, min(5, round((self.mean - 1) / 4 * 5)))


@dataclass(frozen=True)
class HeatRow:
    topic: Topic
    cells: list[HeatCell]  # one per group, in the groups' order


@dataclass(frozen=True)
class Heatmap:
    axis: str
    groups: list[StakeholderGroup]
    rows: list[HeatRow]


@dataclass(frozen=True)
class SideRow:
    topic: Topic
    internal: dict[str, float | None]  # axis -> pooled mean of internal groups
    external: dict[str, float | None]

    def gap(self, axis: str) -> float | None:
        a, b = self.internal.get(axis), self.external.get(axis)
        return None if a is None or b is None else a - b


def heatmaps_and_sides(
    run: AggregationRun, topic_order: list[Topic], groups: list[StakeholderGroup]
) -> tuple[list[Heatmap], list[SideRow]]:
    """Group means per topic and axis (one query), and the same pooled by internal and
    external groups (weighted by the number of ratings)."""
    rows = GroupScore.objects.filter(run=run).values_list(
        "topic_id", "group_id", "axis", "mean", "n"
    )
    table: dict[tuple[int, int, str], HeatCell] = {}
    internal_ids = {group.pk for group in groups if group.internal}
    pooled: dict[tuple[int, str, bool], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for topic_id, group_id, axis, mean, n in rows:
        table[(topic_id, group_id, axis)] = HeatCell(mean, n)
        if mean is not None and n:
            bucket = pooled[(topic_id, axis, group_id in internal_ids)]
            bucket[0] += mean * n
            bucket[1] += n
    heatmaps = [
        Heatmap(
            axis=axis,
            groups=groups,
            rows=[
                HeatRow(
                    topic,
                    [table.get((topic.pk, group.pk, axis), HeatCell(None, 0)) for group in groups],
                )
                for topic in topic_order
            ],
        )
        for axis in AXES
    ]

    def side_mean(topic: Topic, axis: str, internal: bool) -> float | None:
        total, n = pooled.get((topic.pk, axis, internal), (0.0, 0.0))
        return total / n if n else None

    sides = [
        SideRow(
            topic=topic,
            internal={axis: side_mean(topic, axis, True) for axis in AXES},
            external={axis: side_mean(topic, axis, False) for axis in AXES},
        )
        for topic in topic_order
    ]
    return heatmaps, sides


# --- Sensitivity -----------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    key: str
    weighting: Weighting
    shift: float


@dataclass(frozen=True)
class SensitivityRow:
    topic: Topic
    material: bool  # in the run itself
    flips: list[str]  # keys of the variants under which the verdict changes

    @property
    def robust(self) -> bool:
        return not self.flips


def _run_cells(run: AggregationRun, params: Params) -> tuple[list[Cell], list[str], list[str]]:
    """The run's input counts, rebuilt from the stored per-group distributions (which are
    the counts after the axis-source rule, so re-scoring with it reproduces the run)."""
    split = params.axis_source is AxisSource.SPLIT_INTERNAL_EXTERNAL
    cells = []
    topics: dict[str, None] = {}
    groups: dict[str, None] = {}
    rows = GroupScore.objects.filter(run=run).values_list(
        "topic__code", "group__code", "axis", "stats"
    )
    for topic, group, axis, stats in rows:
        topics[topic] = None
        groups[group] = None
        internal = axis == params.company_axis if split else False
        for level, count in (stats.get("distribution") or {}).items():
            if count:
                cells.append(Cell(topic, axis, group, internal, int(level), int(count)))
    return cells, list(topics), list(groups)


def variants(params: Params) -> list[Variant]:
    others = [w for w in Weighting if w is not params.weighting]
    if not any(params.group_weights.values()):
        others = [w for w in others if w is not Weighting.CUSTOM]
    found = [Variant(f"weighting:{w.value}", w, 0.0) for w in others]
    found += [
        Variant(f"threshold:{shift:+.2f}", params.weighting, shift)
        for shift in (-THRESHOLD_SHIFT, THRESHOLD_SHIFT)
    ]
    return found


def sensitivity(run: AggregationRun) -> tuple[list[Variant], list[SensitivityRow]]:
    """Which topics change material status under the other weightings, and with both
    thresholds moved by ±0.25 scale points. Bootstrap is off: verdicts need means only."""
    params = Params.from_dict(run.options["params"])
    cells, topics, groups = _run_cells(run, params)
    if not topics:
        return [], []
    found = variants(params)
    base = replace(params, bootstrap_samples=0)
    verdicts: dict[str, dict[str, bool]] = {}
    for variant in found:
        shifted = replace(
            base,
            weighting=variant.weighting,
            company_threshold=base.company_threshold + variant.shift,
            stakeholder_threshold=base.stakeholder_threshold + variant.shift,
        )
        if shifted.threshold_mode is ThresholdMode.FIXED:
            shifted = replace(
                shifted,
                company_threshold=min(
                    max(shifted.company_threshold, base.scale_min), base.scale_max
                ),
                stakeholder_threshold=min(
                    max(shifted.stakeholder_threshold, base.scale_min), base.scale_max
                ),
            )
        result = score(cells, topics=topics, groups=groups, params=shifted)
        verdicts[variant.key] = {t.topic: t.material for t in result.topics}
    rows = []
    for stored in TopicScore.objects.filter(run=run).select_related("topic").order_by("rank"):
        code = stored.topic.code
        flips = [
            key
            for key, by_topic in verdicts.items()
            if by_topic.get(code, False) != stored.material
        ]
        rows.append(SensitivityRow(stored.topic, stored.material, flips))
    return found, rows


def sensitivity_data(variant_list: list[Variant], rows: list[SensitivityRow]) -> dict[str, Any]:
    """`sensitivity`'s answer as JSON, as a run keeps it (`AggregationRun.sensitivity`)."""
    return {
        "variants": [
            {"key": v.key, "weighting": v.weighting.value, "shift": v.shift} for v in variant_list
        ],
        "rows": [
            {"topic": row.topic.pk, "material": row.material, "flips": row.flips} for row in rows
        ],
    }


def run_sensitivity(run: AggregationRun) -> tuple[list[Variant], list[SensitivityRow]]:
    """The run's sensitivity as its task stored it (one query, for the topics); computed
    here only for a run that has none stored (older than the field, or its task not yet
    done), which re-scores the run once per variant."""
    stored = run.sensitivity
    if stored is None:
        return sensitivity(run)
    topics = Topic.objects.in_bulk([row["topic"] for row in stored["rows"]])
    variant_list = [
        Variant(v["key"], Weighting(v["weighting"]), float(v["shift"])) for v in stored["variants"]
    ]
    rows = [
        SensitivityRow(topics[row["topic"]], bool(row["material"]), list(row["flips"]))
        for row in stored["rows"]
        if row["topic"] in topics
    ]
    return variant_list, rows


# --- Year over year -------------------------------------------------------------------


@dataclass(frozen=True)
class Movement:
    topic: Topic
    rank: int | None
    previous_rank: int | None
    company: float | None
    stakeholder: float | None
    previous_company: float | None
    previous_stakeholder: float | None
    material: bool | None
    previous_material: bool | None

    @property
    def status(self) -> str:
        if self.previous_rank is None:
            return "new"
        if self.rank is None:
            return "dropped"
        return "kept"

    @property
    def rank_change(self) -> int | None:
        """Positive: moved up (more material than before)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


def comparison_run(assessment: Assessment) -> AggregationRun | None:
    """The previous assessment's result: its published run, else its latest scores; with
    the previous assessment (and its survey, which holds the title shown beside the
    comparison) attached, so that naming it reads nothing more."""
    if assessment.previous_id is None:
        return None
    if Assessment.previous.is_cached(assessment):
        previous = assessment.previous
    else:  # one read for the assessment, its title and its published run
        previous = (
            Assessment.objects.select_related("survey", "published_run")
            .filter(pk=assessment.previous_id)
            .first()
        )
    if previous is None:
        return None
    if previous.published_run_id:
        found = previous.published_run
    else:
        found = (
            AggregationRun.objects.filter(assessment=previous, status=RunStatus.SUCCEEDED)
            .order_by("-pk")
            .first()
        )
    if found is not None:
        found.assessment = previous
    return found


def year_over_year(
    run: AggregationRun, scores: Sequence[TopicScore] | None = None
) -> tuple[AggregationRun | None, list[Movement]]:
    """Each topic's rank and means beside the previous assessment's; *scores* are the
    run's topic scores with their topics, when the caller has read them already."""
    previous_run = comparison_run(run.assessment)
    if previous_run is None:
        return None, []
    if scores is None:
        scores = list(TopicScore.objects.filter(run=run).select_related("topic"))
    now = {s.topic_id: s for s in scores}
    before = {
        s.topic_id: s for s in TopicScore.objects.filter(run=previous_run).select_related("topic")
    }
    movements = []
    for topic_id in list(now) + [t for t in before if t not in now]:
        current, old = now.get(topic_id), before.get(topic_id)
        topic = (current or old).topic  # type: ignore[union-attr]
        movements.append(
            Movement(
                topic=topic,
                rank=current.rank if current else None,
                previous_rank=old.rank if old else None,
                company=current.company_mean if current else None,
                stakeholder=current.stakeholder_mean if current else None,
                previous_company=old.company_mean if old else None,
                previous_stakeholder=old.stakeholder_mean if old else None,
                material=current.material if current else None,
                previous_material=old.material if old else None,
            )
        )
    movements.sort(key=lambda m: (m.rank is None, m.rank or 0, m.previous_rank or 0))
    return previous_run, movements
