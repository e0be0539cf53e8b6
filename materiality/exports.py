"""Exports of an assessment and its runs: what goes into the report, and what lets a
reader check it.

* **Scores** of a run: the ranked overall table as CSV; as XLSX every view of it (overall,
  by stakeholder group, recomputed under the other axis source, and the run's record).
* **Responses** of an assessment: one row per submitted response, anonymised by default,
  streamed (CSV) or written row by row (XLSX, openpyxl write-only), so memory stays flat
  however many replies there are.
* **A check by hand**: the overall means recomputed from the responses export alone.
* **build_export**: any export (the matrix files and the evidence pack too) written to
  storage with progress reports, for the Celery task that serves large exports.

Every table has two header rows: stable codes (the same in every language, what scripts
key on: ``risk-management:company``) and labels in the export's language, for people.
CSV files are UTF-8 with a byte-order mark, which spreadsheet programs need to read
Chinese correctly. Numbers keep full precision; rounding is left to whoever displays them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
import unicodedata
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import chain
from typing import IO, TYPE_CHECKING, Any

import numpy as np
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from materiality.aggregation import FILTER_DEFAULTS, RunInput, RunOptions, fingerprint, read_input
from materiality.matrix import CONTENT_TYPES as MATRIX_CONTENT_TYPES
from materiality.matrix import MatrixView, matrix_file
from materiality.models import (
    AXES,
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    Assessment,
    AssessmentGroup,
    GroupScore,
    RunStatus,
    StakeholderGroup,
    TopicScore,
)
from materiality.questionnaire import IMPORTANCE_QUESTION, OVERALL_COMMENT_QUESTION
from materiality.scoring import AxisSource, Params, ScoreResult, ThresholdMode, Weighting, score
from surveys.models import Answer, OptionRole, Question, QuestionOption, Response, ResponseStatus
from surveys.translations import pick

if TYPE_CHECKING:
    from materiality.evidence import TrailEntry

__all__ = [
    "DONT_KNOW",
    "BuiltExport",
    "ExportKind",
    "applied_thresholds",
    "build_export",
    "localise",
    "means_from_responses_csv",
    "recorded_options",
    "replay_input",
    "responses_csv",
    "responses_xlsx",
    "scored_run",
    "scores_csv",
    "scores_xlsx",
    "word",
    "write_responses_xlsx",
]

DONT_KNOW = "DK"  # the responses export's value for "don't know": never a rating
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_ROWS_PER_CHUNK = 500  # rows per streamed chunk: a few hundred kB at most
PROGRESS_EVERY = 1000  # responses between progress reports


# --- Wording ----------------------------------------------------------------------------
#
# Headers and notes are English msgids marked for gettext (`make messages` extracts
# them), translated per export language rather than the request's, since an export in
# Chinese may be asked for from an English page.


def localise(message: str, language: str) -> str:
    """*message* (an English msgid) in *language*, from the gettext catalogue."""
    with translation.override(language):
        return gettext(message)


# key -> English msgid (translated through the catalogue, locale/)
WORDS: dict[str, str] = {
    "rank": gettext_noop("Rank"),
    "topic": gettext_noop("Topic code"),
    "topic_name": gettext_noop("Topic"),
    "dimension": gettext_noop("ESG dimension code"),
    "dimension_name": gettext_noop("ESG dimension"),
    "n": gettext_noop("Ratings (n)"),
    "mean": gettext_noop("Mean"),
    "median": gettext_noop("Median"),
    "sd": gettext_noop("Standard deviation"),
    "ci_low": gettext_noop("%(level)s CI low"),
    "ci_high": gettext_noop("%(level)s CI high"),
    "normalised": gettext_noop("Normalised (0–100)"),
    "combined": gettext_noop("Combined score (0–100)"),
    "material": gettext_noop("Material"),
    "tier": gettext_noop("Tier code"),
    "tier_name": gettext_noop("Tier"),
    "p_material": gettext_noop("P(material)"),
    "divergence": gettext_noop("Divergence between groups"),
    "divergence_flag": gettext_noop("Groups diverge"),
    "group": gettext_noop("Group code"),
    "group_name": gettext_noop("Stakeholder group"),
    "axis": gettext_noop("Axis code"),
    "axis_name": gettext_noop("Axis"),
    "count_level": gettext_noop("Ratings of %(level)s"),
    "rank_in_run": gettext_noop("Rank in this run"),
    "rank_change": gettext_noop("Rank change (positive: higher under the other source)"),
    "sheet_overall": gettext_noop("Overall"),
    "sheet_groups": gettext_noop("By group"),
    "sheet_axis_source": gettext_noop("By axis source"),
    "sheet_run": gettext_noop("Run"),
    "sheet_responses": gettext_noop("Responses"),
    "sheet_notes": gettext_noop("Notes"),
    "high": gettext_noop("High"),
    "medium": gettext_noop("Medium"),
    "low": gettext_noop("Low"),
    "E": gettext_noop("Environmental"),
    "S": gettext_noop("Social"),
    "G": gettext_noop("Governance"),
    "internal": gettext_noop("Internal"),
    "external": gettext_noop("External"),
    "all_rate_both": gettext_noop("Every respondent rates both axes"),
    "split_internal_external": gettext_noop(
        "Internal respondents rate the company axis, external ones the other"
    ),
    "note_axis_source": gettext_noop(
        "Scores recomputed with the other axis source: %(source)s. The run's replies "
        "were read again with its quality filters and matched its input fingerprint, "
        "so only the axis source differs; weighting, thresholds, bootstrap and seed "
        "are the run's. The stored per-group scores cannot give this: they pool a "
        "group's internal and external respondents and, under the split rule, leave "
        "out the ratings given on the other axis."
    ),
    "note_axis_source_unavailable": gettext_noop(
        "Not available: the replies have changed since this run (they no longer "
        "match its input fingerprint), so its input cannot be read again, and the "
        "stored per-group scores do not tell internal from external respondents. "
        "Compute a new run and export it to compare the axis sources."
    ),
    "note_thresholds": gettext_noop(
        "Thresholds applied: %(company)s (company axis), %(stakeholder)s (stakeholder axis)."
    ),
    "code": gettext_noop("Code"),
    "run_item": gettext_noop("Item"),
    "run_value": gettext_noop("Value"),
    "assessment": gettext_noop("Assessment"),
    "period": gettext_noop("Reporting period"),
    "run": gettext_noop("Aggregation run"),
    "status": gettext_noop("Status"),
    "trigger": gettext_noop("Started by"),
    "created_at": gettext_noop("Requested at"),
    "started_at": gettext_noop("Started at"),
    "finished_at": gettext_noop("Finished at"),
    "duration_ms": gettext_noop("Duration (ms)"),
    "exported_at": gettext_noop("Exported at"),
    "fingerprint": gettext_noop("Input fingerprint (SHA-256)"),
    "responses_total": gettext_noop("Submitted responses"),
    "responses_counted": gettext_noop("Responses counted"),
    "excluded_straight_lined": gettext_noop("Excluded: straight-lined"),
    "excluded_too_fast": gettext_noop("Excluded: too fast"),
    "ratings_counted": gettext_noop("Ratings counted"),
    "too_fast_seconds": gettext_noop(
        "Too-fast limit applied (seconds; responses faster than this are excluded)"
    ),
    "too_fast_none": gettext_noop("none (rule off, or fewer responses than the rule needs)"),
    "too_fast_unknown": gettext_noop("not recoverable: the replies have changed since this run"),
    "threshold_company": gettext_noop("Threshold applied: company axis"),
    "threshold_stakeholder": gettext_noop("Threshold applied: stakeholder axis"),
    "parameter": gettext_noop("Parameter: %(name)s"),
    "filter": gettext_noop("Quality filter: %(name)s"),
    "software": gettext_noop("Software: %(name)s"),
    "response_number": gettext_noop("Response number (in order of submission)"),
    "response_id": gettext_noop("Response id"),
    "side": gettext_noop("Internal or external"),
    "language": gettext_noop("Language"),
    "submitted_on": gettext_noop("Submitted on"),
    "submitted_at": gettext_noop("Submitted at"),
    "duration": gettext_noop("Completion time (seconds)"),
    "straight_lined": gettext_noop("Straight-lined"),
    "comment": gettext_noop("comment"),
    "overall_comment": gettext_noop("Overall comment"),
    "notes_responses": gettext_noop(
        "One row per submitted response; responses still in progress are not "
        "included. Row 1 holds column codes, row 2 labels. A rating cell holds the "
        'rating, DK for "don\'t know" (not a rating: leave it out of every mean), or '
        "nothing when the cell was not answered. Straight-lined and completion time "
        "are what the quality filters use; the Run sheet of the scores export gives "
        "the too-fast limit a run applied."
    ),
    "notes_anonymised": gettext_noop(
        "Anonymised: responses are numbered in order of submission instead of by "
        "their database id, dates are given without time, and free-text comments "
        "are left out because they may name people. No e-mail address or invitation "
        "data is ever exported."
    ),
    "notes_anonymised_comments": gettext_noop(
        "Anonymised: responses are numbered in order of submission instead of by "
        "their database id and dates are given without time. Free-text comments are "
        "included as written, on request: read them before sharing this file, since "
        "they may name people. No e-mail address or invitation data is ever exported."
    ),
    "notes_identified": gettext_noop(
        "Not anonymised: for internal use only. No e-mail address or invitation data "
        "is ever exported."
    ),
}


def word(key: str, language: str) -> str:
    return localise(WORDS[key], language)


# --- The run's record -------------------------------------------------------------------


def scored_run(run: AggregationRun) -> AggregationRun:
    """The run whose scores *run* stands for: itself, or for a run marked UNCHANGED the
    earlier run with the same input and options. ValueError for a run without scores."""
    if run.status == RunStatus.UNCHANGED and run.same_as_id is not None:
        run = AggregationRun.objects.select_related("assessment__survey").get(pk=run.same_as_id)
    if run.status != RunStatus.SUCCEEDED:
        raise ValueError(f"Run {run.pk} has no scores (status {run.status}).")
    return run


def recorded_options(run: AggregationRun) -> RunOptions:
    """The options the run recorded, rebuilt: what computed it, whatever the assessment's
    settings are now."""
    recorded: Mapping[str, Any] = run.options or {}
    filters = {key: recorded.get(key, default) for key, default in FILTER_DEFAULTS.items()}
    return RunOptions(params=Params.from_dict(recorded.get("params", {})), **filters)


def replay_input(run: AggregationRun) -> RunInput | None:
    """The run's input counts read again, or None when the replies have changed since.

    The counts are read with the run's recorded options, and are the run's input only if
    their fingerprint equals the run's: the fingerprint, not the run's age, decides. One
    grouped query, as for the run itself.
    """
    options = recorded_options(run)
    run_input = read_input(run.assessment, options)
    return run_input if fingerprint(run_input, options) == run.fingerprint else None


def applied_thresholds(
    run: AggregationRun, scores: Sequence[TopicScore] | None = None
) -> dict[str, float | None]:
    """The threshold applied on each axis, on the rating scale.

    Runs record them; for a run from before they did, they are derived from the stored
    means by the rule of the method (the mean of the topic means plus the offset, or the
    fixed value), averaged in topic-code order as scoring does.
    """
    recorded = run.thresholds or {}
    if all(axis in recorded for axis in AXES):
        return {axis: recorded[axis] for axis in AXES}
    params = recorded_options(run).params
    if params.threshold_mode is ThresholdMode.FIXED:
        return {
            COMPANY_AXIS: params.company_threshold,
            STAKEHOLDER_AXIS: params.stakeholder_threshold,
        }
    if scores is None:
        scores = list(TopicScore.objects.filter(run=run).select_related("topic"))
    ordered = sorted(scores, key=lambda s: s.topic.code)
    result: dict[str, float | None] = {}
    for axis, offset in (
        (COMPANY_AXIS, params.company_threshold),
        (STAKEHOLDER_AXIS, params.stakeholder_threshold),
    ):
        means = [getattr(s, f"{axis}_mean") for s in ordered]
        present = np.array([m for m in means if m is not None], dtype=float)
        result[axis] = float(present.mean() + offset) if present.size else None
    return result


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


# --- Scores: CSV and XLSX -----------------------------------------------------------------


def scores_csv(run: AggregationRun, language: str) -> bytes:
    """The overall view: every topic in rank order with all its statistics."""
    table = overall_table(run, language)
    return b"".join(_csv_chunks(table.columns, table.rows))


def scores_xlsx(run: AggregationRun, language: str) -> bytes:
    """Every view of a run: Overall, By group, By axis source, Run."""
    buffer = io.BytesIO()
    write_scores_xlsx(run, language, buffer)
    return buffer.getvalue()


def write_scores_xlsx(
    run: AggregationRun,
    language: str,
    target: IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> None:
    report = progress or (lambda _percent: None)
    run = scored_run(run)
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.creator = "Materia"
    workbook.properties.title = f"{run.assessment.get_title(language)} · {run.pk}"
    overall = overall_table(run, language)
    _table_sheet(workbook, word("sheet_overall", language), overall, freeze="D3")
    report(20)
    _table_sheet(workbook, word("sheet_groups", language), group_table(run, language), freeze="C3")
    report(40)
    run_input = replay_input(run)
    report(60)
    view = axis_source_view(run, language, run_input)
    sheet = workbook.create_sheet(_sheet_title(word("sheet_axis_source", language)))
    sheet.append([view.note])
    sheet["A1"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[1].height = 90
    if view.table is not None:
        sheet.merge_cells(
            start_row=1, start_column=1, end_row=1, end_column=len(view.table.columns)
        )
        sheet.append(
            [
                word("note_thresholds", language)
                % {
                    axis: "—"
                    if view.thresholds.get(axis) is None
                    else f"{view.thresholds[axis]:.4f}"
                    for axis in AXES
                }
            ]
        )
        _write_table(sheet, view.table, first_row=3)
        sheet.freeze_panes = "F5"
    else:
        sheet.column_dimensions["A"].width = 100
    report(85)
    record = run_record(run, language, run_input)
    _table_sheet(
        workbook,
        word("sheet_run", language),
        Table(
            [
                Column("code", word("code", language)),
                Column("item", word("run_item", language)),
                Column("value", word("run_value", language)),
            ],
            [[item.code, item.label, item.value] for item in record],
        ),
        freeze="A3",
    )
    workbook.save(target)
    report(100)


HEADER_FONT = Font(bold=True)
CODE_FONT = Font(color="666666", size=9)
HEADER_FILL = PatternFill("solid", fgColor="EEF2F0")


def _table_sheet(workbook: Workbook, title: str, table: Table, *, freeze: str) -> None:
    sheet = workbook.create_sheet(_sheet_title(title))
    _write_table(sheet, table, first_row=1)
    sheet.freeze_panes = freeze


def _write_table(sheet: Any, table: Table, *, first_row: int) -> None:
    """Two header rows (codes, labels), then the rows: numbers stay numbers."""
    for index, column in enumerate(table.columns, start=1):
        code = sheet.cell(row=first_row, column=index, value=column.code)
        code.font = CODE_FONT
        label = sheet.cell(row=first_row + 1, column=index, value=column.label)
        label.font = HEADER_FONT
        label.fill = HEADER_FILL
        label.alignment = Alignment(wrap_text=True, vertical="top")
    for offset, row in enumerate(table.rows, start=first_row + 2):
        for index, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            cell = sheet.cell(row=offset, column=index, value=_xlsx_value(value))
            if isinstance(value, str):
                cell.data_type = "s"  # text that starts with "=" stays text, never a formula
            elif column.number_format != "General":
                cell.number_format = column.number_format
    for index, width in enumerate(_widths(table.columns, table.rows), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[first_row + 1].height = 45


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _sheet_title(title: str) -> str:
    # Excel forbids these characters in sheet names and allows at most 31 characters.
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title)
    return cleaned[:31]


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _widths(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], sample: int = 200
) -> list[float]:
    """Column widths from the code, the label (which wraps, so counts for less) and the
    first rows' values; clamped so that no column swallows the screen."""
    widths = [max(_display_width(c.code), min(_display_width(c.label) * 0.6, 30)) for c in columns]
    for count, row in enumerate(rows):
        if count >= sample:
            break
        for index, value in enumerate(row):
            if isinstance(value, float):
                shown = 8
            elif isinstance(value, bool) or value is None:
                shown = 5
            else:
                shown = _display_width(str(value))
            widths[index] = max(widths[index], shown)
    return [min(max(width + 2, 6), 60) for width in widths]


# --- CSV writing ---------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: Any) -> Any:
    """A cell for CSV. Booleans as true/false, None as empty; text that a spreadsheet
    would run as a formula (a comment starting with "=", say) gets a leading apostrophe,
    the usual defence against CSV injection. Codes and numbers never need it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_chunks(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, per_chunk: int = CSV_ROWS_PER_CHUNK
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")  # byte-order mark: spreadsheet programs then read UTF-8
    writer.writerow([c.code for c in columns])
    writer.writerow([_csv_text(c.label) for c in columns])
    pending = 0
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
        pending += 1
        if pending >= per_chunk:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()


# --- Responses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    question_id: int
    overall_id: int | None
    topics: list[tuple[str, Mapping[str, str]]]  # (code, label per language), grid order
    axes: list[tuple[str, Mapping[str, str]]]


def _grid(assessment: Assessment) -> _Grid:
    """The questionnaire as respondents saw it: its own row and column labels, frozen
    when it opened (topic names edited later do not rewrite what was asked)."""
    questions = dict(
        Question.objects.filter(
            survey_id=assessment.survey_id, code__in=[IMPORTANCE_QUESTION, OVERALL_COMMENT_QUESTION]
        ).values_list("code", "pk")
    )
    grid_id = questions[IMPORTANCE_QUESTION]
    options = QuestionOption.objects.filter(question_id=grid_id).order_by("order", "pk")
    return _Grid(
        question_id=grid_id,
        overall_id=questions.get(OVERALL_COMMENT_QUESTION),
        topics=[(o.code, o.label) for o in options if o.role == OptionRole.ROW],
        axes=[(o.code, o.label) for o in options if o.role == OptionRole.COLUMN],
    )


def _response_columns(
    grid: _Grid, language: str, *, anonymise: bool, include_comments: bool
) -> list[Column]:
    columns = [
        Column("response", word("response_number" if anonymise else "response_id", language)),
        Column("group", word("group", language)),
        Column("group_name", word("group_name", language)),
        Column("side", word("side", language)),
        Column("language", word("language", language)),
        Column("submitted", word("submitted_on" if anonymise else "submitted_at", language)),
        Column("duration_seconds", word("duration", language), "0"),
        Column("straight_lined", word("straight_lined", language)),
    ]
    columns += [
        Column(f"{topic}:{axis}", f"{pick(topic_label, language)} — {pick(axis_label, language)}")
        for topic, topic_label in grid.topics
        for axis, axis_label in grid.axes
    ]
    if include_comments:
        comment = word("comment", language)
        columns += [
            Column(f"{topic}:comment", f"{pick(topic_label, language)} — {comment}")
            for topic, topic_label in grid.topics
        ]
        if grid.overall_id is not None:
            columns.append(Column(OVERALL_COMMENT_QUESTION, word("overall_comment", language)))
    return columns


def _submitted(assessment: Assessment) -> QuerySet[Response]:
    return Response.objects.filter(survey_id=assessment.survey_id, status=ResponseStatus.SUBMITTED)


def _response_rows(
    assessment: Assessment,
    grid: _Grid,
    language: str,
    *,
    anonymise: bool,
    include_comments: bool,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[Any]]:
    """One row per submitted response, in order of submission.

    Two streamed queries in the same order, merged: the responses, then all their
    answers. Never a query per response. The responses are read first, so a response
    submitted between the two queries has answers but no row, and the merge skips its
    answers: every row is complete.
    """
    names = {g.code: g.get_name(language) for g in StakeholderGroup.objects.all()}
    total = _submitted(assessment).count() if progress else 0
    columns = {
        f"{topic}:{axis}": index
        for index, (topic, axis) in enumerate(
            ((t, a) for t, _tl in grid.topics for a, _al in grid.axes), start=8
        )
    }
    width = 8 + len(columns)
    comment_at: dict[str, int] = {}
    if include_comments:
        comment_at = {topic: width + index for index, (topic, _label) in enumerate(grid.topics)}
        width += len(grid.topics)
        if grid.overall_id is not None:
            comment_at[OVERALL_COMMENT_QUESTION] = width
            width += 1
    responses = (
        _submitted(assessment)
        .order_by("submitted_at", "pk")
        .values_list(
            "pk",
            "submitted_at",
            "respondent_group",
            "respondent_internal",
            "language",
            "duration_seconds",
            "straight_lined",
        )
        .iterator(chunk_size=2000)
    )
    head = next(responses, None)  # runs the responses' query before the answers' one
    if head is None:
        return
    wanted = Q(question_id=grid.question_id)
    if include_comments:
        if grid.overall_id is not None:
            wanted |= Q(question_id=grid.overall_id)
    else:
        wanted &= ~Q(column_code="")  # ratings only: comments are never read
    answers = (
        Answer.objects.filter(
            wanted,
            response__survey_id=assessment.survey_id,
            response__status=ResponseStatus.SUBMITTED,
        )
        .order_by("response__submitted_at", "response_id")
        .values_list(
            "response__submitted_at",
            "response_id",
            "question_id",
            "row_code",
            "column_code",
            "value",
            "dont_know",
            "text",
        )
        .iterator(chunk_size=10_000)
    )
    pending = next(answers, None)
    for number, (pk, submitted_at, group, internal, answered_in, duration, straight) in enumerate(
        chain([head], responses), start=1
    ):
        key = (submitted_at, pk)
        row: list[Any] = [None] * width
        row[:8] = [
            number if anonymise else pk,
            group,
            names.get(group, group),
            "" if internal is None else "internal" if internal else "external",
            answered_in,
            timezone.localdate(submitted_at).isoformat() if anonymise else _local(submitted_at),
            duration,
            straight,
        ]
        while pending is not None and (pending[0], pending[1]) < key:
            pending = next(answers, None)
        while pending is not None and (pending[0], pending[1]) == key:
            _when, _rid, question, topic, axis, value, dont_know, text = pending
            if question == grid.question_id and axis:
                at = columns.get(f"{topic}:{axis}")
                if at is not None:
                    row[at] = DONT_KNOW if dont_know else value
            elif text:
                at = comment_at.get(
                    topic if question == grid.question_id else OVERALL_COMMENT_QUESTION
                )
                if at is not None:
                    row[at] = text
            pending = next(answers, None)
        if progress and number % PROGRESS_EVERY == 0:
            progress(min(99, number * 100 // max(total, 1)))
        yield row


def responses_csv(
    assessment: Assessment,
    language: str,
    *,
    anonymise: bool = True,
    include_comments: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The submitted responses as CSV, streamed in chunks (for a StreamingHttpResponse).

    Anonymised (the default): responses numbered by submission order, dates without time,
    and no free-text comments unless *include_comments* is True, because comments may name
    people. Not anonymised: database ids, times, comments by default. Never e-mail
    addresses or invitation data.
    """
    comments = (not anonymise) if include_comments is None else include_comments
    grid = _grid(assessment)
    columns = _response_columns(grid, language, anonymise=anonymise, include_comments=comments)
    rows = _response_rows(
        assessment,
        grid,
        language,
        anonymise=anonymise,
        include_comments=comments,
        progress=progress,
    )
    yield from _csv_chunks(columns, rows)


def responses_xlsx(
    assessment: Assessment,
    language: str,
    *,
    anonymise: bool = True,
    include_comments: bool | None = None,
) -> bytes:
    buffer = io.BytesIO()
    write_responses_xlsx(
        assessment, language, buffer, anonymise=anonymise, include_comments=include_comments
    )
    return buffer.getvalue()


def write_responses_xlsx(
    assessment: Assessment,
    language: str,
    target: IO[bytes] | str,
    *,
    anonymise: bool = True,
    include_comments: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """As responses_csv, as a workbook written row by row (openpyxl's write-only mode
    keeps no rows in memory), with a Notes sheet that explains the columns."""
    comments = (not anonymise) if include_comments is None else include_comments
    grid = _grid(assessment)
    columns = _response_columns(grid, language, anonymise=anonymise, include_comments=comments)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(word("sheet_responses", language)))
    # Write-only sheets take widths and panes before the first row, so widths come from
    # the headers; ratings are narrow anyway.
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        if ":" in column.code and not column.code.endswith(":comment"):
            sheet.column_dimensions[letter].width = 9
        else:
            sheet.column_dimensions[letter].width = min(
                max(_display_width(column.code), 10) + 2, 40
            )
    sheet.freeze_panes = "B3"
    sheet.append([_header_cell(sheet, c.code, CODE_FONT) for c in columns])
    sheet.append([_header_cell(sheet, c.label, HEADER_FONT) for c in columns])
    for row in _response_rows(
        assessment,
        grid,
        language,
        anonymise=anonymise,
        include_comments=comments,
        progress=progress,
    ):
        sheet.append(
            [_text_cell(sheet, value) if isinstance(value, str) else value for value in row]
        )
    notes = workbook.create_sheet(_sheet_title(word("sheet_notes", language)))
    notes.column_dimensions["A"].width = 120
    notes.append([word("notes_responses", language)])
    key = (
        "notes_identified"
        if not anonymise
        else "notes_anonymised_comments"
        if comments
        else "notes_anonymised"
    )
    notes.append([word(key, language)])
    workbook.save(target)


def _header_cell(sheet: Any, value: str, font: Font) -> Any:
    cell = _text_cell(sheet, value)
    cell.font = font
    return cell


def _text_cell(sheet: Any, value: str) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # a comment starting with "=" stays text, never a formula
    return cell


# --- The means by hand --------------------------------------------------------------------


def means_from_responses_csv(
    content: bytes | str,
    *,
    options: Mapping[str, Any],
    too_fast_seconds: int | None,
    groups: Collection[str] | None = None,
) -> dict[tuple[str, str], float | None]:
    """The overall mean of every topic and axis, from the responses export alone.

    The way an auditor would do it in a spreadsheet, without the scoring code: drop the
    responses the run's quality filters drop (straight-lined; completion time under
    *too_fast_seconds*, the limit the Run sheet of the scores export gives), keep only
    ratings ("DK" and blanks are not ratings), apply the axis-source rule, average each
    group's ratings and weight the group means by the run's weighting. *options* is the
    run's recorded options (``run.options``); *groups* limits the count to the
    assessment's groups, as scoring does.
    """
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    codes = next(reader)
    next(reader)  # the labels
    at = {code: index for index, code in enumerate(codes)}
    params = Params.from_dict(options.get("params", {}))
    filters = {key: options.get(key, default) for key, default in FILTER_DEFAULTS.items()}
    axes = (params.company_axis, params.stakeholder_axis)
    rating_columns: list[tuple[int, str, str]] = []  # (column, topic, axis)
    for index, code in enumerate(codes):
        topic, _colon, axis = code.partition(":")
        if axis in axes:
            rating_columns.append((index, topic, axis))
    split = params.axis_source is AxisSource.SPLIT_INTERNAL_EXTERNAL
    sums: dict[tuple[str, str, str], list[float]] = {}
    for row in reader:
        if filters["exclude_straight_lined"] and row[at["straight_lined"]] == "true":
            continue
        duration = row[at["duration_seconds"]]
        if too_fast_seconds is not None and duration and int(duration) < too_fast_seconds:
            continue
        group = row[at["group"]]
        if groups is not None and group not in groups:
            continue
        internal = row[at["side"]] == "internal"
        for index, topic, axis in rating_columns:
            value = row[index]
            if not value or value == DONT_KNOW:
                continue
            if split and internal != (axis == params.company_axis):
                continue
            cell = sums.setdefault((topic, axis, group), [0.0, 0])
            cell[0] += int(value)
            cell[1] += 1
    means: dict[tuple[str, str], float | None] = {
        (topic, axis): None for _index, topic, axis in rating_columns
    }
    weighted: dict[tuple[str, str], list[float]] = {}
    for (topic, axis, group), (total, count) in sums.items():
        if params.weighting is Weighting.RESPONDENT:
            weight = float(count)
        elif params.weighting is Weighting.EQUAL_GROUP:
            weight = 1.0
        else:
            weight = float(params.group_weights.get(group, 0.0))
        acc = weighted.setdefault((topic, axis), [0.0, 0.0])
        acc[0] += weight * total / count
        acc[1] += weight
    for key, (numerator, denominator) in weighted.items():
        means[key] = numerator / denominator if denominator > 0 else None
    return means


# --- Built in the background ----------------------------------------------------------------


class ExportKind(StrEnum):
    SCORES_CSV = "scores-csv"
    SCORES_XLSX = "scores-xlsx"
    RESPONSES_CSV = "responses-csv"
    RESPONSES_XLSX = "responses-xlsx"
    MATRIX_PNG = "matrix-png"
    MATRIX_PNG_PRINT = "matrix-png-print"
    MATRIX_SVG = "matrix-svg"
    MATRIX_PDF = "matrix-pdf"
    EVIDENCE_HTML = "evidence-html"
    EVIDENCE_PDF = "evidence-pdf"

    @property
    def of_assessment(self) -> bool:
        """Responses belong to the assessment; everything else to a run."""
        return self in (ExportKind.RESPONSES_CSV, ExportKind.RESPONSES_XLSX)


MATRIX_FORMATS = {
    ExportKind.MATRIX_PNG: "png",
    ExportKind.MATRIX_PNG_PRINT: "png-print",
    ExportKind.MATRIX_SVG: "svg",
    ExportKind.MATRIX_PDF: "pdf",
}


@dataclass(frozen=True)
class BuiltExport:
    filename: str  # what the download should be called
    content_type: str
    path: str  # the file's name in default_storage: exports/<uuid>/<filename>
    size: int


def build_export(
    kind: ExportKind | str,
    object_id: int,
    language: str,
    progress: Callable[[int], None] | None = None,
    *,
    anonymise: bool = True,
    include_comments: bool | None = None,
    trail: Sequence[TrailEntry] = (),
) -> BuiltExport:
    """Build one export and store it under ``exports/<uuid>/``; for a Celery task.

    *object_id* is the assessment's id for the responses exports, the run's for every
    other kind. *progress* gets percentages (0–100) as the work goes on. The file is
    spooled to a temporary file, never held whole in memory, then saved to storage; the
    caller records the path and links to it. Each call writes a new file: safe to run
    twice, at the cost of a second file.
    """
    kind = ExportKind(kind)
    report = progress or (lambda _percent: None)
    report(0)
    with tempfile.TemporaryFile() as spool:
        if kind.of_assessment:
            assessment = Assessment.objects.select_related("survey").get(pk=object_id)
            stem = f"responses-assessment{assessment.pk}-{language}"
            if kind is ExportKind.RESPONSES_CSV:
                filename, content_type = f"{stem}.csv", CSV_CONTENT_TYPE
                for chunk in responses_csv(
                    assessment,
                    language,
                    anonymise=anonymise,
                    include_comments=include_comments,
                    progress=report,
                ):
                    spool.write(chunk)
            else:
                filename, content_type = f"{stem}.xlsx", XLSX_CONTENT_TYPE
                write_responses_xlsx(
                    assessment,
                    language,
                    spool,
                    anonymise=anonymise,
                    include_comments=include_comments,
                    progress=report,
                )
        else:
            run = AggregationRun.objects.select_related("assessment__survey").get(pk=object_id)
            filename, content_type = _build_run_export(kind, run, language, spool, report, trail)
        size = spool.tell()
        spool.seek(0)
        path = default_storage.save(f"exports/{uuid.uuid4().hex}/{filename}", File(spool))
    report(100)
    return BuiltExport(filename=filename, content_type=content_type, path=path, size=size)


def _build_run_export(
    kind: ExportKind,
    run: AggregationRun,
    language: str,
    spool: IO[bytes],
    report: Callable[[int], None],
    trail: Sequence[TrailEntry],
) -> tuple[str, str]:
    # Imported here: the evidence pack builds on this module's helpers, so importing
    # it at the top would be circular.
    from materiality import evidence

    stem = f"run{run.pk}-{language}"
    if kind is ExportKind.SCORES_CSV:
        spool.write(scores_csv(run, language))
        return f"scores-{stem}.csv", CSV_CONTENT_TYPE
    if kind is ExportKind.SCORES_XLSX:
        write_scores_xlsx(run, language, spool, report)
        return f"scores-{stem}.xlsx", XLSX_CONTENT_TYPE
    if kind in MATRIX_FORMATS:
        # The results page's files: rendered once per run, language and format, kept.
        fmt, view = MATRIX_FORMATS[kind], MatrixView(language=language)
        scored = scored_run(run)
        spool.write(matrix_file(scored, view, fmt))
        return view.file_name(scored, fmt), MATRIX_CONTENT_TYPES[fmt]
    if kind is ExportKind.EVIDENCE_HTML:
        spool.write(evidence.evidence_html(run, language, trail=trail).encode())
        return f"evidence-{stem}.html", "text/html; charset=utf-8"
    spool.write(evidence.evidence_pdf(run, language, trail=trail, progress=report))
    return f"evidence-{stem}.pdf", "application/pdf"
