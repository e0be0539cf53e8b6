"""The matrix of a run, as the ESG team and the report see it: built from stored scores,
rendered once per run, language, view and format, and kept in storage.

A run's scores never change, so a rendered file never goes stale; files are written
only if missing, which is what keeps a confirmed run's files byte-identical forever.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from materiality.models import (
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    Dimension,
    GroupScore,
    StakeholderGroup,
    TopicScore,
)
from materiality.plots import MatrixPoint, MatrixSpec, matrix_figure, matrix_svg, render_figure
from materiality.runs.selectors import GroupCount, group_count
from surveys.translations import pick

CONTENT_TYPES = {
    "png": "image/png",
    "png-print": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
}
EXTENSIONS = {"png": "png", "png-print": "300dpi.png", "svg": "svg", "pdf": "pdf"}


@dataclass(frozen=True)
class MatrixView:
    language: str
    group: StakeholderGroup | None = None
    show_ci: bool = False

    def file_name(self, run: AggregationRun, fmt: str) -> str:
        parts = [f"matrix-run{run.pk}", self.language]
        if self.group is not None:
            parts.append(self.group.code)
        if self.show_ci:
            parts.append("ci")
        return f"{'-'.join(parts)}.{EXTENSIONS[fmt]}"

    def storage_path(self, run: AggregationRun, fmt: str) -> str:
        # A group's matrix once gave the run's n in its caption, not the group's: those
        # files keep their old place (runs/<id>/<name>) and are never served again.
        folder = f"runs/{run.pk}" if self.group is None else f"runs/{run.pk}/groups"
        return f"{folder}/{self.file_name(run, fmt)}"


def matrix_spec(run: AggregationRun, view: MatrixView) -> MatrixSpec:
    assessment = run.assessment
    language = view.language
    with translation.override(language):
        if view.group is None:
            points = _overall_points(run, language)
            title = _("Materiality matrix")
            counted = _("n = %(count)s responses") % {"count": _number(run.responses_counted)}
        else:
            points = _group_points(run, view.group, language)
            title = _("Materiality matrix: %(group)s") % {"group": view.group.get_name(language)}
            counted = group_count_text(view.group, group_count(run, view.group), language)
        footnote = " · ".join(
            [
                f"{pick(assessment.survey.title, language)}",
                counted,
                _("run %(id)s") % {"id": run.pk},
                date_format(run.finished_at or run.created_at, "DATE_FORMAT"),
            ]
        )
        return MatrixSpec(
            points=points,
            title=title,
            x_label=pick(assessment.company_axis_label, language),
            y_label=pick(assessment.stakeholder_axis_label, language),
            footnote=footnote,
            dimension_labels={code: str(label) for code, label in Dimension.choices},
            x_threshold=(run.thresholds or {}).get(COMPANY_AXIS),
            y_threshold=(run.thresholds or {}).get(STAKEHOLDER_AXIS),
            zone_label=pgettext("matrix zone", "Material topics"),
            show_ci=view.show_ci,
            language="zh-hans" if language.startswith("zh") else "en",
            scale=(float(assessment.scale_min), float(assessment.scale_max)),
        )


def _number(count: int) -> str:
    return number_format(count, force_grouping=True)


def group_count_text(group: StakeholderGroup, count: GroupCount, language: str) -> str:
    """A group's n as its matrix's caption and the results page give it: one number, or
    one per axis when they differ (see GroupCount for what n counts)."""
    with translation.override(language):
        name = group.get_name(language)
        if count.same_on_both_axes:
            return _("%(group)s: n = %(count)s") % {"group": name, "count": _number(count.company)}
        return _(
            "%(group)s: n = %(company)s (company axis), %(stakeholder)s (stakeholder axis)"
        ) % {
            "group": name,
            "company": _number(count.company),
            "stakeholder": _number(count.stakeholder),
        }


def missing_matrix_text(group: StakeholderGroup, count: GroupCount, language: str) -> str:
    """Why a group's matrix would be empty, in *language*; "" when it has points."""
    if count.placed:
        return ""
    with translation.override(language):
        name = group.get_name(language)
        if not (count.company or count.stakeholder):
            return _(
                "No replies from %(group)s were counted in this run, so there is no matrix "
                "for this group."
            ) % {"group": name}
        return _(
            "No topic has ratings from %(group)s on both axes (n = %(company)s on the company "
            "axis, %(stakeholder)s on the stakeholder axis), so there is no matrix for this "
            "group."
        ) % {
            "group": name,
            "company": _number(count.company),
            "stakeholder": _number(count.stakeholder),
        }


def _ci(stats: dict[str, float | None]) -> tuple[float, float] | None:
    low, high = stats.get("ci_low"), stats.get("ci_high")
    return (low, high) if low is not None and high is not None else None


def _tooltip(
    name: str, company: dict[str, float | None], stakeholder: dict[str, float | None]
) -> str:
    def part(label: str, stats: dict[str, float | None]) -> str:
        mean, low, high, n = (
            stats.get("mean"),
            stats.get("ci_low"),
            stats.get("ci_high"),
            stats.get("n"),
        )
        text = f"{label} {mean:.2f}" if mean is not None else f"{label} –"
        if low is not None and high is not None:
            text += f" ({low:.2f}–{high:.2f})"
        return f"{text}, n = {n}"

    return f"{name}: {part(_('company'), company)}; {part(_('stakeholders'), stakeholder)}"


def _overall_points(run: AggregationRun, language: str) -> list[MatrixPoint]:
    points = []
    for score in TopicScore.objects.filter(run=run).select_related("topic").order_by("rank"):
        x, y = score.company.get("mean"), score.stakeholder.get("mean")
        if x is None or y is None:
            continue  # no ratings on an axis: nothing to place
        name = score.topic.get_name(language)
        points.append(
            MatrixPoint(
                code=score.topic.code,
                label=name,
                dimension=score.topic.dimension,
                x=x,
                y=y,
                x_ci=_ci(score.company),
                y_ci=_ci(score.stakeholder),
                tooltip=_tooltip(name, score.company, score.stakeholder),
            )
        )
    return points


def _group_points(run: AggregationRun, group: StakeholderGroup, language: str) -> list[MatrixPoint]:
    by_topic: dict[int, dict[str, GroupScore]] = {}
    rows = GroupScore.objects.filter(run=run, group=group).select_related("topic")
    for row in rows:
        by_topic.setdefault(row.topic_id, {})[row.axis] = row
    points = []
    for axes in by_topic.values():
        company, stakeholder = axes.get(COMPANY_AXIS), axes.get(STAKEHOLDER_AXIS)
        if (
            company is None
            or stakeholder is None
            or company.mean is None
            or stakeholder.mean is None
        ):
            continue
        topic = company.topic
        name = topic.get_name(language)
        points.append(
            MatrixPoint(
                code=topic.code,
                label=name,
                dimension=topic.dimension,
                x=company.mean,
                y=stakeholder.mean,
                x_ci=_ci(company.stats),
                y_ci=_ci(stakeholder.stats),
                tooltip=_tooltip(name, company.stats, stakeholder.stats),
            )
        )
    return sorted(points, key=lambda point: point.code)


def render_matrix(run: AggregationRun, view: MatrixView, fmt: str) -> bytes:
    spec = matrix_spec(run, view)
    if fmt == "svg":
        return matrix_svg(spec)
    return render_figure(matrix_figure(spec), fmt)


def matrix_file(run: AggregationRun, view: MatrixView, fmt: str) -> bytes:
    """The stored file, rendered on first use. Never overwritten."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"Unknown matrix format {fmt!r}")
    path = view.storage_path(run, fmt)
    if default_storage.exists(path):
        with default_storage.open(path, "rb") as stored:
            return stored.read()
    content = render_matrix(run, view, fmt)
    default_storage.save(path, ContentFile(content))
    return content


def overall_files(run: AggregationRun) -> list[tuple[MatrixView, str]]:
    """The overall matrix in each language and format: what a run renders when it is
    computed, so that the results page and its downloads only read them."""
    return [
        (MatrixView(language=language), fmt)
        for language in run.assessment.survey.languages
        for fmt in CONTENT_TYPES
    ]


def standard_files(run: AggregationRun) -> list[tuple[MatrixView, str]]:
    """Every standard matrix file of a run: each language and format, with and without
    confidence whiskers (the overall ones first)."""
    return overall_files(run) + [
        (MatrixView(language=view.language, show_ci=True), fmt) for view, fmt in overall_files(run)
    ]


def matrix_file_stored(run: AggregationRun, view: MatrixView, fmt: str) -> bool:
    return default_storage.exists(view.storage_path(run, fmt))


def freeze_matrix_files(run: AggregationRun) -> None:
    """Write every standard matrix file of a run, so a confirmed run's files exist before
    anyone asks (those written already stay as they are)."""
    for view, fmt in standard_files(run):
        matrix_file(run, view, fmt)
