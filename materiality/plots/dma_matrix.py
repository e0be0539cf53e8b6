"""The double materiality matrix: each matter's impact score (x) against its financial
score (y), the two thresholds as dashed lines, the region material by score shaded.

Plain data in (a DmaMatrixSpec of DmaPoints, texts already in the reader's language), a
matplotlib Figure or file bytes out; no Django, no models. It is the survey matrix's
builder (`matrix.py`: frame, zone, whiskers, label placement, fonts, files) with its own
point styles and legend, and two "no score" bands:

* A marker's fill is the matter's final conclusion (a decision in force wins over the
  computed one; the caller decides): filled blue when material, a grey ring when not.
  A diamond instead of a circle marks a result that needs a documented judgement. Colour,
  fill and shape all differ, so the chart reads in greyscale and for colour-blind readers.
* A matter scored on one axis only (say, impacts but no risk or opportunity) is drawn on
  that axis' edge: in a hatched band below the x axis (no financial score) or left of the
  y axis (no impact score), whose tick reads "no score". Listing such matters beside the
  chart would leave most of a first DMA's matrix empty (a matter often has IROs of one
  kind only), and a score of 0 or 1 in their place would be a figure nobody gave. The
  band lies outside the 1-5 scale, so no one reads a value off it, and the material
  region reaches into it: a matter with impact only, at or above the impact threshold,
  is in the shaded region as it should be (material on either axis).
* A matter with no score at all is not drawn; the footnote names it.

The axes show the whole scale from 1 (or below, when a score or threshold is) to 5, the
same for both axes: DMA matrices are compared year on year and against the thresholds,
which a range fitted to the points would distort.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from materiality.plots.matrix import (
    DimensionStyle,
    MatrixBuilder,
    MatrixPoint,
    MatrixSpec,
    legend_marker,
    matplotlib_settings,
    point_gid,
    single_line_texts,
)
from materiality.plots.render import add_svg_titles, render_figure

__all__ = [
    "JUDGEMENT_MARKER",
    "MATERIAL_STYLE",
    "NOT_MATERIAL_STYLE",
    "DmaMatrixSpec",
    "DmaPoint",
    "dma_matrix_figure",
    "dma_matrix_svg",
    "render_dma_matrix",
]

MATERIAL_STYLE = DimensionStyle("#0072B2", "o")  # Okabe-Ito blue, filled
NOT_MATERIAL_STYLE = DimensionStyle("#6b6b6b", "o", filled=False)  # a grey ring (4.5:1)
JUDGEMENT_MARKER = "D"  # a diamond: the result needs a documented judgement
BAND_FRACTION = 0.1  # a "no score" band's width, as a fraction of the scale shown
BAND_HATCH_COLOUR = "#c8c8c8"
DODGE_FRACTION = 0.02  # markers with equal scores: this far apart (of the scale shown)
SCALE = (1.0, 5.0)  # the scores' 1-5 scale (a score can fall below 1: S x p, overrides)


@dataclass(frozen=True, slots=True)
class DmaPoint:
    code: str  # stable matter code (SVG ids only; never shown)
    name: str  # the matter's name in the reader's language
    impact: Decimal | None  # the final impact score; None: no impact score
    financial: Decimal | None  # the final financial score
    material: bool  # the final conclusion (either perspective, or a matter below it)
    impact_interval: tuple[Decimal, Decimal] | None = None  # drawn as a whisker
    financial_interval: tuple[Decimal, Decimal] | None = None
    needs_judgement: bool = False
    tooltip: str = ""  # the SVG marker's <title>; else the name

    def __post_init__(self) -> None:
        single_line_texts(self, "name", "tooltip")
        for value in (self.impact, self.financial):
            if value is not None and not Decimal(value).is_finite():
                raise ValueError(f"Scores of {self.code!r} must be finite numbers")

    @property
    def placed(self) -> bool:
        return self.impact is not None or self.financial is not None


@dataclass(frozen=True, slots=True)
class DmaMatrixSpec:
    """Everything the matrix shows; every text already in the reader's language."""

    points: Sequence[DmaPoint]
    impact_threshold: Decimal | None
    financial_threshold: Decimal | None
    title: str  # "Double materiality matrix" (and "provisional" where it is)
    impact_label: str  # the x axis' title
    financial_label: str  # the y axis' title
    material_label: str  # legend: a filled marker
    not_material_label: str  # legend: a ring
    judgement_label: str  # legend: a diamond (shown when some point needs a judgement)
    zone_label: str  # the shaded region: material by score
    no_score_label: str  # the tick of a "no score" band
    not_scored_label: str = ""  # footnote part naming unplaced matters, "%(names)s" in it
    footnote: str = ""  # parts separated by " · "
    language: str = "en"

    def __post_init__(self) -> None:
        single_line_texts(
            self,
            "title",
            "impact_label",
            "financial_label",
            "material_label",
            "not_material_label",
            "judgement_label",
            "zone_label",
            "no_score_label",
            "not_scored_label",
            "footnote",
        )


def dma_matrix_figure(spec: DmaMatrixSpec) -> Figure:
    """Draw the matrix. The result has an Agg canvas; render it with render_figure()."""
    with matplotlib_settings():
        return _DmaBuilder(spec).build()


def dma_matrix_svg(spec: DmaMatrixSpec) -> bytes:
    """The matrix as SVG, text kept as text, every marker titled with its tooltip."""
    svg = render_figure(dma_matrix_figure(spec), "svg")
    placed = [p for p in spec.points if p.placed]
    tooltips = {point_gid(index, p.code): p.tooltip or p.name for index, p in enumerate(placed)}
    return add_svg_titles(svg, tooltips, title=spec.title, description=spec.footnote)


def render_dma_matrix(spec: DmaMatrixSpec, fmt: str) -> bytes:
    """The matrix as "png", "png-print", "svg" or "pdf" (ValueError for another)."""
    if fmt == "svg":
        return dma_matrix_svg(spec)
    return render_figure(dma_matrix_figure(spec), fmt)


# -- from matters to the survey matrix's points ----------------------------------------------
def _style(point: DmaPoint) -> DimensionStyle:
    base = MATERIAL_STYLE if point.material else NOT_MATERIAL_STYLE
    if point.needs_judgement:
        return DimensionStyle(base.colour, JUDGEMENT_MARKER, base.filled)
    return base


def _interval(interval: tuple[Decimal, Decimal] | None) -> tuple[float, float] | None:
    return (float(interval[0]), float(interval[1])) if interval else None


def _axis_range(spec: DmaMatrixSpec) -> tuple[float, float]:
    """The scale 1-5, down to the whole number below the lowest score, interval or
    threshold when one lies under 1."""
    values = [float(v) for v in (spec.impact_threshold, spec.financial_threshold) if v is not None]
    for p in spec.points:
        for value in (p.impact, p.financial):
            if value is not None:
                values.append(float(value))
        for interval in (p.impact_interval, p.financial_interval):
            if interval:
                values += [float(interval[0]), float(interval[1])]
    lo = min([SCALE[0], *values])
    return float(max(math.floor(lo), 0)), max(SCALE[1], *values)


def _side_by_side(points: Sequence[DmaPoint], *, step: float) -> list[tuple[float, float]]:
    """Shifts that set markers with the very same scores side by side, a marker's width
    apart, rather than one on top of another (scores on a five-point scale often tie).
    In a band they move along the band, where their position means nothing; elsewhere
    along the impact axis, by at most half a marker per neighbour (the tooltip and the
    results table give the exact figures)."""
    groups: dict[tuple[Decimal | None, Decimal | None], list[int]] = {}
    for index, p in enumerate(points):
        groups.setdefault((p.impact, p.financial), []).append(index)
    shifts = [(0.0, 0.0)] * len(points)
    for (impact, financial), members in groups.items():
        # In the bottom band (no financial score) the y position means nothing.
        along_y = impact is not None and financial is None
        for rank, index in enumerate(members):
            offset = (rank - (len(members) - 1) / 2) * step
            shifts[index] = (0.0, offset) if along_y else (offset, 0.0)
    return shifts


def _band_centre(lo: float, hi: float) -> float:
    return lo - BAND_FRACTION * (hi - lo) / 2


def _matrix_spec(spec: DmaMatrixSpec) -> MatrixSpec:
    lo, hi = _axis_range(spec)
    placed = [p for p in spec.points if p.placed]
    shifts = _side_by_side(placed, step=DODGE_FRACTION * (hi - lo))
    band = _band_centre(lo, hi)
    points = [
        MatrixPoint(
            code=p.code,
            label=p.name,
            dimension="",
            x=(band if p.impact is None else float(p.impact)) + dx,
            y=(band if p.financial is None else float(p.financial)) + dy,
            x_ci=_interval(p.impact_interval) if p.impact is not None else None,
            y_ci=_interval(p.financial_interval) if p.financial is not None else None,
            tooltip=p.tooltip,
            style=_style(p),
        )
        for p, (dx, dy) in zip(placed, shifts, strict=True)
    ]
    unplaced = [p.name for p in spec.points if not p.placed]
    footnote = spec.footnote
    if unplaced and spec.not_scored_label:
        separator = "、" if spec.language.startswith("zh") else ", "
        names = spec.not_scored_label % {"names": separator.join(unplaced)}
        footnote = " · ".join(part for part in (footnote, names) if part)
    return MatrixSpec(
        points=points,
        title=spec.title,
        x_label=spec.impact_label,
        y_label=spec.financial_label,
        footnote=footnote,
        dimension_labels={},
        x_threshold=None if spec.impact_threshold is None else float(spec.impact_threshold),
        y_threshold=None if spec.financial_threshold is None else float(spec.financial_threshold),
        zone_label=spec.zone_label,
        show_ci=any(p.x_ci or p.y_ci for p in points),
        axis_range=(lo, hi),
        language="zh-hans" if spec.language.startswith("zh") else "en",
        scale=(lo, hi),
    )


class _DmaBuilder(MatrixBuilder):
    def __init__(self, spec: DmaMatrixSpec) -> None:
        super().__init__(_matrix_spec(spec))
        self.dma_spec = spec
        placed = [p for p in spec.points if p.placed]
        self.x_band = any(p.impact is None for p in placed)
        self.y_band = any(p.financial is None for p in placed)
        width = BAND_FRACTION * (self.hi - self.lo)
        self.x_limits = (self.lo - width if self.x_band else self.lo, self.hi)
        self.y_limits = (self.lo - width if self.y_band else self.lo, self.hi)

    def legend_entries(self) -> list[tuple[Line2D | Patch, str]]:
        spec = self.dma_spec
        placed = [p for p in spec.points if p.placed]
        if not placed:
            return []
        entries: list[tuple[Line2D | Patch, str]] = [
            (legend_marker(MATERIAL_STYLE), spec.material_label),
            (legend_marker(NOT_MATERIAL_STYLE), spec.not_material_label),
        ]
        if any(p.needs_judgement for p in placed):
            diamond = DimensionStyle("#1a1a1a", JUDGEMENT_MARKER, filled=False)
            entries.append((legend_marker(diamond), spec.judgement_label))
        return entries

    def decorate(self) -> None:
        """Whole-number ticks on the scale, and the "no score" bands with their tick."""
        ax = self.ax
        ticks = [float(v) for v in range(math.ceil(self.lo), math.floor(self.hi) + 1)]
        centre = _band_centre(self.lo, self.hi)
        for axis, band in ((ax.xaxis, self.x_band), (ax.yaxis, self.y_band)):
            axis.set_ticks(ticks, [f"{v:g}" for v in ticks])
            if band:
                # A minor tick: the grid (major ticks only) does not run through the band.
                axis.set_ticks([centre], [self.dma_spec.no_score_label], minor=True)
        ax.tick_params(
            which="minor", length=0, colors="#555555", labelsize=7.5, labelfontfamily=self.family
        )
        low = self.lo
        if self.x_band:
            self._band((self.x_limits[0], self.y_limits[0]), low - self.x_limits[0], None)
            ax.axvline(low, color="#888888", linewidth=0.6, zorder=0.7, gid="band-x-edge")
        if self.y_band:
            self._band((self.x_limits[0], self.y_limits[0]), None, low - self.y_limits[0])
            ax.axhline(low, color="#888888", linewidth=0.6, zorder=0.7, gid="band-y-edge")

    def guide_lines(self) -> list[tuple[tuple[float, float], tuple[float, float]]]:
        """The bands' edges."""
        (x0, x1), (y0, y1) = self.x_limits, self.y_limits
        lines = []
        if self.x_band:
            lines.append(((self.lo, y0), (self.lo, y1)))
        if self.y_band:
            lines.append(((x0, self.lo), (x1, self.lo)))
        return lines

    def _band(self, corner: tuple[float, float], width: float | None, height: float | None) -> None:
        """A hatched strip along the left (width given) or bottom (height given) edge."""
        x0, y0 = corner
        full_w = self.x_limits[1] - x0
        full_h = self.y_limits[1] - y0
        self.ax.add_patch(
            Rectangle(
                (x0, y0),
                width if width is not None else full_w,
                height if height is not None else full_h,
                facecolor="none",
                edgecolor=BAND_HATCH_COLOUR,
                hatch="////",
                linewidth=0,
                zorder=0.6,
                gid="no-impact-score-band" if width is not None else "no-financial-score-band",
            )
        )
