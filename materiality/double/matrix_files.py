"""The double materiality matrix of a DMA, as points and as files (PNG, SVG, PDF).

What it shows: an approved DMA's approved results (the snapshot its approval froze,
`review.results_snapshot`), else its results as they stand now, titled "provisional".
On each axis a decision in force wins over the computed figure: its final value places
the marker (the interval, which belongs to the computed score, is then left out) and its
final conclusion fills it. By default one point per topic (the matters at the top of the
tree), placed by the highest score of the topic and the matters below it on each axis:
the roll-up's own rule (nothing is netted, `scoring/rollup.py`), which the results
table applies to conclusions and this chart to positions.

An approved DMA's file never changes, so it is kept in the cache, keyed by the approval;
a provisional one is drawn at each request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.cache import cache
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from redis.exceptions import RedisError

from materiality.double.decisions import decisions_in_force
from materiality.double.models import DmaApproval, DmaStatus, DoubleAssessment, Perspective
from materiality.double.results import AxisResult, dma_results
from materiality.double.review import approval_of
from materiality.double.scoring import reported
from materiality.plots.dma_matrix import DmaMatrixSpec, DmaPoint, render_dma_matrix
from surveys.translations import pick

__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "LANGUAGES",
    "DmaMatrix",
    "dma_matrix",
    "dma_matrix_file",
    "dma_matrix_file_name",
    "dma_matrix_points",
]

logger = logging.getLogger(__name__)

CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
# And for documents printed at 300 dpi (the outputs' PDF may embed it), not served.
FORMATS = (*CONTENT_TYPES, "png-print")
LANGUAGES = ("zh-hans", "en")
# Part of the cache key: bump it when the drawing changes, so approved files are redrawn.
DRAWING_VERSION = 1
CACHE_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class _Axis:
    score: Decimal | None
    interval: tuple[Decimal, Decimal] | None
    material: bool


@dataclass
class _Row:
    """A matter's result from either source (the approval's snapshot or the live
    results), with the decisions in force on it: perspective -> (final value, final
    conclusion)."""

    code: str
    name: Mapping[str, str]
    depth: int
    impact: _Axis
    financial: _Axis
    needs_judgement: bool
    decisions: dict[str, tuple[Decimal | None, bool | None]]
    below: list[_Row] = field(default_factory=list)

    def axis(self, perspective: str) -> tuple[Decimal | None, tuple[Decimal, Decimal] | None]:
        """The final score on one axis, and its interval (none once overridden)."""
        own = self.impact if perspective == Perspective.IMPACT else self.financial
        final, _material = self.decisions.get(perspective, (None, None))
        if final is not None:
            return final, None
        return own.score, own.interval

    def axis_material(self, perspective: str) -> bool:
        own = self.impact if perspective == Perspective.IMPACT else self.financial
        _final, material = self.decisions.get(perspective, (None, None))
        return own.material if material is None else material

    def material(self) -> bool:
        """The final conclusion: a decision on both perspectives, else either axis' final
        conclusion, else a matter below it (as the roll-up concludes)."""
        _final, both = self.decisions.get(Perspective.BOTH, (None, None))
        if both is not None:
            return both
        return (
            self.axis_material(Perspective.IMPACT)
            or self.axis_material(Perspective.FINANCIAL)
            or any(row.material() for row in self.below)
        )

    def subtree(self) -> Iterable[_Row]:
        yield self
        for row in self.below:
            yield from row.subtree()


@dataclass(frozen=True)
class DmaMatrix:
    """What the matrix of a DMA is drawn from."""

    rows: list[_Row]
    impact_threshold: Decimal | None
    financial_threshold: Decimal | None
    approval: DmaApproval | None
    methodology: int | None


# --- Reading --------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _snapshot_axis(data: Mapping[str, Any] | None) -> _Axis:
    data = data or {}
    interval = data.get("interval")
    low = high = None
    if isinstance(interval, list) and len(interval) == 2:
        low, high = _decimal(interval[0]), _decimal(interval[1])
    return _Axis(
        score=_decimal(data.get("score")),
        interval=(low, high) if low is not None and high is not None else None,
        material=bool(data.get("material")),
    )


def _snapshot_rows(snapshot: Mapping[str, Any]) -> list[_Row]:
    rows = []
    for matter in snapshot.get("matters", []):
        decisions = {
            perspective: (_decimal(d.get("final_value")), d.get("material_final"))
            for perspective, d in (matter.get("decisions") or {}).items()
        }
        rows.append(
            _Row(
                code=str(matter.get("matter", "")),
                name=matter.get("name") or {},
                depth=int(matter.get("depth", 0)),
                impact=_snapshot_axis(matter.get("impact")),
                financial=_snapshot_axis(matter.get("financial")),
                needs_judgement=bool(matter.get("needs_judgement")),
                decisions=decisions,
            )
        )
    return rows


def _live_axis(axis: AxisResult) -> _Axis:
    """As reported (2 places), as the table shows it and the snapshot keeps it."""
    interval = axis.interval
    return _Axis(
        score=reported(axis.score) if axis.score is not None else None,
        interval=(reported(interval[0]), reported(interval[1])) if interval else None,
        material=axis.material,
    )


def _live(dma: DoubleAssessment) -> DmaMatrix:
    results = dma_results(dma)
    decisions = decisions_in_force(dma)
    rows = [
        _Row(
            code=row.matter.code,
            name=row.matter.name or {},
            depth=row.depth,
            impact=_live_axis(row.impact),
            financial=_live_axis(row.financial),
            needs_judgement=bool(row.rolled.needs_judgement),
            decisions={
                perspective: (decision.final_value, decision.material_final)
                for (matter_id, perspective), decision in decisions.items()
                if matter_id == row.matter.pk
            },
        )
        for row in results.matters
    ]
    return DmaMatrix(
        rows=_tree(rows),
        impact_threshold=results.impact_threshold,
        financial_threshold=results.financial_threshold,
        approval=None,
        methodology=results.methodology.number if results.methodology else None,
    )


def _tree(rows: list[_Row]) -> list[_Row]:
    """The rows (in tree order, each with its depth) with the matters below each; the
    top-level rows returned, every row still reachable through them."""
    top: list[_Row] = []
    path: list[_Row] = []
    for row in rows:
        del path[row.depth :]
        if path:
            path[-1].below.append(row)
        else:
            top.append(row)
        path.append(row)
    return top


def dma_matrix(dma: DoubleAssessment) -> DmaMatrix:
    """The approved snapshot of an approved DMA, else the live results."""
    approval = approval_of(dma) if dma.status == DmaStatus.APPROVED else None
    if approval is None:
        return _live(dma)
    snapshot = approval.results or {}
    thresholds = snapshot.get("thresholds") or {}
    return DmaMatrix(
        rows=_tree(_snapshot_rows(snapshot)),
        impact_threshold=_decimal(thresholds.get("impact")),
        financial_threshold=_decimal(thresholds.get("financial")),
        approval=approval,
        methodology=approval.methodology_number,
    )


# --- Points -----------------------------------------------------------------------------


def _highest(
    rows: Iterable[_Row], perspective: str
) -> tuple[Decimal | None, tuple[Decimal, Decimal] | None]:
    """The highest final score on one axis among `rows`, with its interval (the first
    row in tree order that has it)."""
    best: tuple[Decimal | None, tuple[Decimal, Decimal] | None] = (None, None)
    for row in rows:
        score, interval = row.axis(perspective)
        if score is not None and (best[0] is None or score > best[0]):
            best = (score, interval)
    return best


def _figure(value: Decimal | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _tooltip(name: str, impact: Decimal | None, financial: Decimal | None, material: bool) -> str:
    conclusion = _("material") if material else _("not material")
    return _("%(matter)s: impact %(impact)s, financial %(financial)s, %(conclusion)s") % {
        "matter": name,
        "impact": _figure(impact),
        "financial": _figure(financial),
        "conclusion": conclusion,
    }


def _points(matrix: DmaMatrix, language: str, *, top_level_only: bool) -> list[DmaPoint]:
    points = []
    with translation.override(language):
        for top in matrix.rows:
            for row in [top] if top_level_only else list(top.subtree()):
                # A topic stands for the matters below it; a matter alone for itself.
                rows = list(row.subtree()) if top_level_only else [row]
                impact, impact_interval = _highest(rows, Perspective.IMPACT)
                financial, financial_interval = _highest(rows, Perspective.FINANCIAL)
                if not top_level_only and impact is None and financial is None:
                    continue  # a matter above others, with no IRO of its own
                name = pick(row.name, language) or row.code
                material = row.material()
                points.append(
                    DmaPoint(
                        code=row.code,
                        name=name,
                        impact=impact,
                        financial=financial,
                        material=material,
                        impact_interval=impact_interval,
                        financial_interval=financial_interval,
                        needs_judgement=any(r.needs_judgement for r in rows),
                        tooltip=_tooltip(name, impact, financial, material),
                    )
                )
    return points


def dma_matrix_points(
    dma: DoubleAssessment, language: str, *, top_level_only: bool = True
) -> list[DmaPoint]:
    """One point per top-level matter (or per matter with a score of its own), named in
    `language`, placed by its final scores."""
    return _points(dma_matrix(dma), _language(language), top_level_only=top_level_only)


# --- The figure and its files ---------------------------------------------------------------


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"Unknown matrix language {language!r}")
    return language


def dma_matrix_spec(
    dma: DoubleAssessment, language: str, *, matrix: DmaMatrix | None = None
) -> DmaMatrixSpec:
    language = _language(language)
    matrix = matrix if matrix is not None else dma_matrix(dma)
    points = _points(matrix, language, top_level_only=True)
    with translation.override(language):
        approval = matrix.approval
        if approval is not None:
            title = _("Double materiality matrix")
            when = _("approved %(date)s") % {
                "date": date_format(approval.approved_at, "DATE_FORMAT")
            }
        else:
            title = _("Double materiality matrix (provisional)")
            when = _("results as they stand, not approved")
        parts = [dma.get_name(language)]
        if matrix.methodology is not None:
            parts.append(_("methodology version %(number)s") % {"number": matrix.methodology})
        parts.append(when)
        return DmaMatrixSpec(
            points=points,
            impact_threshold=matrix.impact_threshold,
            financial_threshold=matrix.financial_threshold,
            title=title,
            impact_label=_("Impact materiality: impact score"),
            financial_label=_("Financial materiality: financial score"),
            material_label=pgettext("dma matrix legend", "Material"),
            not_material_label=pgettext("dma matrix legend", "Not material"),
            judgement_label=pgettext("dma matrix legend", "Needs a documented judgement"),
            zone_label=pgettext("dma matrix zone", "Material by score"),
            no_score_label=pgettext("dma matrix axis", "no score"),
            not_scored_label=_("Not scored: %(names)s"),
            footnote=" · ".join(parts),
            language=language,
        )


def _cache_key(approval: DmaApproval, fmt: str, language: str) -> str:
    return f"dma-matrix:v{DRAWING_VERSION}:{approval.pk}:{fmt}:{language}"


def dma_matrix_file(dma: DoubleAssessment, *, fmt: str, language: str) -> bytes:
    """The matrix as "png", "svg", "pdf" or "png-print" (300 dpi) in `language`
    ("zh-hans" or "en"); ValueError for another. An approved DMA's file is kept in the
    cache (it never changes); a provisional one is drawn each time. The cache being away
    only costs the drawing."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown matrix format {fmt!r}")
    language = _language(language)
    matrix = dma_matrix(dma)
    if matrix.approval is None:
        return render_dma_matrix(dma_matrix_spec(dma, language, matrix=matrix), fmt)
    key = _cache_key(matrix.approval, fmt, language)
    try:
        kept = cache.get(key)
    except RedisError:
        logger.warning("The cache cannot be reached: the DMA matrix is drawn again")
        kept = None
    if isinstance(kept, bytes):
        return kept
    content = render_dma_matrix(dma_matrix_spec(dma, language, matrix=matrix), fmt)
    try:
        cache.set(key, content, CACHE_SECONDS)
    except RedisError:
        logger.warning("The cache cannot be reached: the DMA matrix is not kept")
    return content


def dma_matrix_file_name(dma: DoubleAssessment, *, fmt: str, language: str) -> str:
    return f"dma{dma.pk}-matrix-{language}.{fmt}"
