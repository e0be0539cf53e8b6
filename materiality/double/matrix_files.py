"""The double materiality matrix of a DMA, as points and as files (PNG, SVG, PDF).

What it shows: an approved DMA's approved results (the snapshot its approval froze,
`review.results_snapshot`), else its results as they stand now, titled "provisional".
On each axis a decision in force wins over the computed figure (`finals.py`): its final
value places the marker (the interval, which belongs to the computed score, is then left
out) and its final conclusion fills it. By default one point per topic (the matters at
the top of the tree), placed by the highest score of the topic and the matters below it
on each axis: the roll-up's own rule (nothing is netted, `scoring/rollup.py`), which the results
table applies to conclusions and this chart to positions.

An approved DMA's file never changes, so it is kept in the cache, keyed by the approval;
a provisional one is drawn at each request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from redis.exceptions import RedisError

from materiality.double.decisions import decisions_in_force
from materiality.double.finals import MatterFinal, final_matters, top_level
from materiality.double.models import DmaApproval, DmaStatus, DoubleAssessment, Perspective
from materiality.double.results import dma_results
from materiality.double.review import approval_of, results_snapshot
from materiality.double.snapshot import Interval, read_snapshot
from materiality.plots.dma_matrix import DmaMatrixSpec, DmaPoint, render_dma_matrix

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
class DmaMatrix:
    """What the matrix of a DMA is drawn from."""

    rows: list[MatterFinal]  # the top-level matters, with their final conclusions
    impact_threshold: Decimal | None
    financial_threshold: Decimal | None
    approval: DmaApproval | None
    methodology: int | None


# --- Reading --------------------------------------------------------------------------


def _live(dma: DoubleAssessment) -> DmaMatrix:
    """The results as they stand, read the way approval would freeze them (figures as
    reported): a provisional matrix and the approved one come out of the same reading."""
    results = dma_results(dma)
    snapshot = read_snapshot(results_snapshot(results, decisions_in_force(dma)))
    return DmaMatrix(
        rows=top_level(final_matters(snapshot.matters)),
        # The thresholds as the methodology holds them (the snapshot rounds them).
        impact_threshold=results.impact_threshold,
        financial_threshold=results.financial_threshold,
        approval=None,
        methodology=results.methodology.number if results.methodology else None,
    )


def dma_matrix(dma: DoubleAssessment) -> DmaMatrix:
    """The approved snapshot of an approved DMA, else the live results."""
    approval = approval_of(dma) if dma.status == DmaStatus.APPROVED else None
    if approval is None:
        return _live(dma)
    snapshot = read_snapshot(approval.results)
    return DmaMatrix(
        rows=top_level(final_matters(snapshot.matters)),
        impact_threshold=snapshot.impact_threshold,
        financial_threshold=snapshot.financial_threshold,
        approval=approval,
        methodology=approval.methodology_number,
    )


# --- Points -----------------------------------------------------------------------------


def _highest(
    rows: Iterable[MatterFinal], perspective: str
) -> tuple[Decimal | None, Interval | None]:
    """The highest final score on one axis among `rows`, with its interval (the first
    row in tree order that has it)."""
    best: tuple[Decimal | None, Interval | None] = (None, None)
    for row in rows:
        score, interval = row.axis(perspective).placed
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
                name = row.name(language)
                material = row.material
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
