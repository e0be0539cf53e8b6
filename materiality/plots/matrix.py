"""The materiality matrix: importance to the company (x) against importance to
stakeholders (y), one marker per topic, coloured and shaped by ESG dimension.

Plain data in, a matplotlib Figure out; no Django. Built on ``matplotlib.figure.Figure``
with an Agg canvas, never pyplot, whose global figure registry leaks in a server.

Why one module of this size: the figure is built by one class, `MatrixBuilder`, whose
steps (axes, zone, points, whiskers, labels, legend, caption) share the figure, its
transforms and what the earlier steps placed; split up, they would hand that state around.
Sizes are measured in `measuring.py`, labels placed by `labels.py`. The double
materiality matrix (`dma_matrix.py`) is a subclass: its own point styles, legend and
"no score" bands, the same frame, zone, labels and fonts.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon
from matplotlib.typing import RcKeyType

from materiality.plots import fonts
from materiality.plots.labels import LabelVariant, Placement, place_labels, wrap_label
from materiality.plots.measuring import FIGURE_DPI, label_extent, marker_box
from surveys.plaintext import plain_text

__all__ = [
    "DIMENSION_STYLES",
    "FIGURE_DPI",
    "FIGURE_SIZE",
    "DimensionStyle",
    "MatrixBuilder",
    "MatrixPoint",
    "MatrixSpec",
    "label_gid",
    "legend_marker",
    "matplotlib_settings",
    "matrix_figure",
    "point_gid",
]

FIGURE_SIZE = (8.0, 6.5)  # inches: a report page's width, with room for a caption
LABEL_SIZE = 8.0  # points
MARKER_AREA = 56.0  # points², matplotlib's scatter "s": ~7.5 pt across
TEXT_COLOUR = "#1a1a1a"
MUTED_COLOUR = "#555555"
ZONE_COLOUR = "#f4ecd8"
THRESHOLD_COLOUR = "#8c6d1f"
FOOTNOTE_INSET = 0.012  # figure fraction from the bottom left corner
FOOTNOTE_SEPARATOR = " · "  # where a footnote too wide for one line may break


@dataclass(frozen=True, slots=True)
class DimensionStyle:
    colour: str
    marker: str
    filled: bool = True  # False: a ring in the colour, white inside

    @property
    def edge_width(self) -> float:
        """Points: a thin white edge round a filled marker, a visible ring round a hollow one."""
        return 0.6 if self.filled else 1.3


# Okabe-Ito, safe for the common colour-vision deficiencies; the shapes differ too, so the
# chart still reads in greyscale.
DIMENSION_STYLES: Mapping[str, DimensionStyle] = {
    "E": DimensionStyle("#009E73", "o"),  # bluish green, circle
    "S": DimensionStyle("#0072B2", "s"),  # blue, square
    "G": DimensionStyle("#D55E00", "^"),  # vermillion, triangle
}


@dataclass(frozen=True, slots=True)
class MatrixPoint:
    code: str  # stable topic code
    label: str  # topic name in the chosen language (caller translates)
    dimension: str  # "E" | "S" | "G"
    x: float  # importance to the company (mean on the rating scale)
    y: float  # importance to stakeholders
    x_ci: tuple[float, float] | None = None  # 95% CI, drawn when MatrixSpec.show_ci
    y_ci: tuple[float, float] | None = None
    tooltip: str = ""  # SVG tooltip text (caller formats: scores, CI, n); else the label
    style: DimensionStyle | None = None  # instead of the dimension's (other matrices)

    def __post_init__(self) -> None:
        single_line_texts(self, "label", "tooltip")
        if self.style is None and self.dimension not in DIMENSION_STYLES:
            raise ValueError(f"Unknown ESG dimension {self.dimension!r} for {self.code!r}")
        if not (math.isfinite(self.x) and math.isfinite(self.y)):
            raise ValueError(f"Scores of {self.code!r} must be finite numbers")


@dataclass(frozen=True, slots=True)
class MatrixSpec:
    points: Sequence[MatrixPoint]
    title: str
    x_label: str
    y_label: str
    footnote: str  # e.g. "n = 1,151 · 2026-11-27"; breaks at a " · " if too wide
    dimension_labels: Mapping[str, str]  # "E" -> "Environmental" / "环境" (legend text)
    # Threshold lines; the material zone is x >= tx OR y >= ty (material on either axis).
    x_threshold: float | None = None
    y_threshold: float | None = None
    zone_label: str = ""  # e.g. "Material" / "实质性议题", shown in the shaded zone
    show_ci: bool = False
    # Data range of both axes; default: fitted to the points (and CIs when shown),
    # padded, and clamped to the rating scale.
    axis_range: tuple[float, float] | None = None
    language: str = "en"  # "en" | "zh-hans": picks the fonts
    scale: tuple[float, float] = (1.0, 5.0)  # the rating scale's ends

    def __post_init__(self) -> None:
        single_line_texts(self, "title", "x_label", "y_label", "footnote", "zone_label")
        labels = {code: plain_text(text) for code, text in self.dimension_labels.items()}
        object.__setattr__(self, "dimension_labels", labels)


def single_line_texts(spec: Any, *names: str) -> None:
    """Put the texts of a (frozen) spec under the control-character rule, as single
    lines: whatever the caller read from the database, every chart draws and every SVG
    holds text that XML allows (a vertical tab in a topic name once made the SVG fail)."""
    for name in names:
        object.__setattr__(spec, name, plain_text(getattr(spec, name)))


# -- matplotlib settings, held for the duration of a build or a render ----------------------
_SETTINGS: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text stays text in SVG: selectable, searchable, translatable
    "svg.hashsalt": "materia-matrix",  # stable ids: the same input gives the same bytes
    "svg.image_inline": True,
    "pdf.fonttype": 42,  # embed subset outline fonts (Type 42 / CID), not Type 3
    "ps.fonttype": 42,  # matplotlib 3.11's PDF backend reads it too (glyph subset size)
    "text.usetex": False,
    "axes.unicode_minus": True,
    "path.simplify": True,
}
_settings_lock = threading.RLock()


@contextmanager
def matplotlib_settings() -> Iterator[None]:
    """matplotlib's rcParams for building and rendering a matrix.

    rcParams are process-global, so building and rendering hold a lock: two threads of
    one server never see each other's settings half-applied. "font.sans-serif" is what
    the generic family in every chart's chain stands for: the CJK font first, and in SVG
    the names a reader's system may know it (or a like face) by.
    """
    with _settings_lock, mpl.rc_context({**_SETTINGS, "font.sans-serif": fonts.svg_sans_serif()}):
        yield


def point_gid(index: int, code: str) -> str:
    """SVG id of a topic's marker group (ids allow only a safe subset of characters)."""
    return f"point-{index}-{re.sub(r'[^A-Za-z0-9_-]', '_', code)}"


def label_gid(index: int, code: str) -> str:
    return f"label-{index}-{re.sub(r'[^A-Za-z0-9_-]', '_', code)}"


# -- the figure ---------------------------------------------------------------------------
def matrix_figure(spec: MatrixSpec) -> Figure:
    """Draw the matrix. The result has an Agg canvas; render it with render_figure()."""
    with matplotlib_settings():
        return MatrixBuilder(spec).build()


class MatrixBuilder:
    """Builds one matrix figure. Subclasses (the double materiality matrix) change the
    hooks: `style_of`, `legend_entries`, `decorate`, and `x_limits` / `y_limits` (the
    axes' data limits, by default the range of both axes)."""

    def __init__(self, spec: MatrixSpec) -> None:
        self.spec = spec
        texts = (
            spec.title,
            spec.x_label,
            spec.y_label,
            spec.footnote,
            spec.zone_label,
            *spec.dimension_labels.values(),
            *(p.label for p in spec.points),
        )
        self.family = fonts.font_families(spec.language, texts=texts)
        self.fig = Figure(figsize=FIGURE_SIZE, dpi=FIGURE_DPI, facecolor="white")
        self.fig.set_label(spec.title)  # render_figure() puts it into the file's metadata
        self.canvas = FigureCanvasAgg(self.fig)
        # Fixed margins (no constrained layout): the axes must not move once the labels
        # have been measured and placed.
        self.ax = self.fig.add_axes((0.085, 0.115, 0.89, 0.75))
        self.lo, self.hi = self._range()
        self.x_limits = self.y_limits = (self.lo, self.hi)
        self.px_per_pt = FIGURE_DPI / 72.0

    def font(self, size: float) -> FontProperties:
        return FontProperties(family=self.family, size=size)

    def build(self) -> Figure:
        self._frame()
        self.decorate()
        self._zone()
        self._points()
        whiskers = self._whiskers()
        self._legend()
        renderer = self.canvas.get_renderer()
        obstacles = self._zone_label(renderer)
        self._labels(renderer, obstacles, whiskers)
        return self.fig

    # -- hooks ----------------------------------------------------------------------------
    def style_of(self, p: MatrixPoint) -> DimensionStyle:
        return p.style or DIMENSION_STYLES[p.dimension]

    def legend_entries(self) -> list[tuple[Line2D | Patch, str]]:
        """The legend: each ESG dimension the points have, in the usual order."""
        present = {p.dimension for p in self.spec.points}
        return [
            (legend_marker(style), self.spec.dimension_labels.get(code, code))
            for code, style in DIMENSION_STYLES.items()
            if code in present
        ]

    def decorate(self) -> None:
        """Drawn after the frame, before the zone and the points (nothing by default)."""

    def guide_lines(self) -> list[tuple[tuple[float, float], tuple[float, float]]]:
        """Other lines (data coordinates) labels should keep off, as off a threshold."""
        return []

    # -- axes, texts ----------------------------------------------------------------------
    def _range(self) -> tuple[float, float]:
        spec = self.spec
        if spec.axis_range is not None:
            lo, hi = spec.axis_range
            if not lo < hi:
                raise ValueError("axis_range must be (low, high) with low < high")
            return float(lo), float(hi)
        scale_lo, scale_hi = spec.scale
        values: list[float] = []
        for p in spec.points:
            values += [p.x, p.y]
            if spec.show_ci:
                values += [*(p.x_ci or ()), *(p.y_ci or ())]
        if not values:
            return float(scale_lo), float(scale_hi)
        lo, hi = min(values), max(values)
        span = max(hi - lo, 0.1 * (scale_hi - scale_lo))
        pad = 0.12 * span
        lo = math.floor((lo - pad) * 10) / 10
        hi = math.ceil((hi + pad) * 10) / 10
        return max(lo, float(scale_lo)), min(hi, float(scale_hi))

    def _frame(self) -> None:
        spec, ax, fig = self.spec, self.ax, self.fig
        ax.set_xlim(*self.x_limits)
        ax.set_ylim(*self.y_limits)
        ax.set_axisbelow(True)
        ax.grid(True, color="#e6e6e6", linewidth=0.6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_color("#888888")
        ax.tick_params(colors=MUTED_COLOUR, labelsize=8, labelfontfamily=self.family)
        # Plain numbers with as many decimals as the tick step needs ("4.05" on a narrow
        # range), never an offset ("+4") that a report reader would misread.
        ax.ticklabel_format(useOffset=False, style="plain")
        ax.set_xlabel(
            spec.x_label,
            fontproperties=self.font(9.5),
            color=TEXT_COLOUR,
            parse_math=False,
            gid="matrix-x-label",
        )
        ax.set_ylabel(
            spec.y_label,
            fontproperties=self.font(9.5),
            color=TEXT_COLOUR,
            parse_math=False,
            gid="matrix-y-label",
        )
        fig.text(
            0.5,
            0.975,
            spec.title,
            ha="center",
            va="top",
            color=TEXT_COLOUR,
            fontproperties=self.font(13),
            parse_math=False,
            gid="matrix-title",
        )
        footnote_font = self.font(7.5)
        fig.text(
            FOOTNOTE_INSET,
            FOOTNOTE_INSET,
            self._fitted(spec.footnote, footnote_font, (1 - 2 * FOOTNOTE_INSET) * fig.bbox.width),
            ha="left",
            va="bottom",
            color=MUTED_COLOUR,
            fontproperties=footnote_font,
            parse_math=False,
            gid="matrix-footnote",
        )

    @staticmethod
    def _fitted(text: str, font: FontProperties, width: float) -> str:
        """*text* on one line if it fits *width* (display pixels), else broken onto two
        lines at the separator " · " nearest its middle (a group's caption with an n per
        axis and a long survey title would run off the figure)."""
        parts = text.split(FOOTNOTE_SEPARATOR)
        if len(parts) < 2 or label_extent(text, font)[0] <= width:
            return text
        middle = len(text) / 2
        cut = min(
            range(1, len(parts)),
            key=lambda at: abs(len(FOOTNOTE_SEPARATOR.join(parts[:at])) - middle),
        )
        return "\n".join(
            (FOOTNOTE_SEPARATOR.join(parts[:cut]), FOOTNOTE_SEPARATOR.join(parts[cut:]))
        )

    def _zone(self) -> None:
        """Shade where a topic is material, on either axis (x >= tx or y >= ty), and draw
        the threshold lines dashed."""
        spec, ax = self.spec, self.ax
        tx, ty = spec.x_threshold, spec.y_threshold
        # The shading runs beyond the visible range and is clipped by the axes.
        low = min(self.x_limits[0], self.y_limits[0])
        high = max(self.x_limits[1], self.y_limits[1])
        lo, hi = 2 * low - high, 2 * high - low
        if tx is not None and ty is not None:
            corners = [(tx, lo), (hi, lo), (hi, hi), (lo, hi), (lo, ty), (tx, ty)]
        elif tx is not None:
            corners = [(tx, lo), (hi, lo), (hi, hi), (tx, hi)]
        elif ty is not None:
            corners = [(lo, ty), (hi, ty), (hi, hi), (lo, hi)]
        else:
            return
        ax.add_patch(
            Polygon(
                corners,
                closed=True,
                facecolor=ZONE_COLOUR,
                edgecolor="none",
                zorder=0.5,
                gid="material-zone",
            )
        )
        dashes = (0, (5, 3))
        if tx is not None:
            ax.axvline(
                tx,
                color=THRESHOLD_COLOUR,
                linestyle=dashes,
                linewidth=0.9,
                zorder=1,
                gid="threshold-x",
            )
        if ty is not None:
            ax.axhline(
                ty,
                color=THRESHOLD_COLOUR,
                linestyle=dashes,
                linewidth=0.9,
                zorder=1,
                gid="threshold-y",
            )

    def _points(self) -> None:
        for index, p in enumerate(self.spec.points):
            style = self.style_of(p)
            self.ax.scatter(
                [p.x],
                [p.y],
                s=MARKER_AREA,
                marker=style.marker,
                c=[style.colour if style.filled else "white"],
                edgecolors="white" if style.filled else style.colour,
                linewidths=style.edge_width,
                zorder=3,
                gid=point_gid(index, p.code),
            )

    def _whiskers(self) -> list[tuple[tuple[float, float], tuple[float, float]]]:
        if not self.spec.show_ci:
            return []
        segments: list[tuple[tuple[float, float], tuple[float, float]]] = []
        colours: list[str] = []
        for p in self.spec.points:
            colour = self.style_of(p).colour
            if p.x_ci is not None:
                segments.append(((p.x_ci[0], p.y), (p.x_ci[1], p.y)))
                colours.append(colour)
            if p.y_ci is not None:
                segments.append(((p.x, p.y_ci[0]), (p.x, p.y_ci[1])))
                colours.append(colour)
        if segments:
            self.ax.add_collection(
                LineCollection(
                    segments,
                    colors=colours,
                    linewidths=0.9,
                    alpha=0.55,
                    zorder=2,
                    gid="ci-whiskers",
                )
            )
        return segments

    def _legend(self, extra: Sequence[tuple[Patch, str]] = ()) -> None:
        handles: list[Line2D | Patch] = []
        texts: list[str] = []
        for handle, text in [*self.legend_entries(), *extra]:
            handles.append(handle)
            texts.append(text)
        if not handles:
            return
        for old in self.fig.legends:
            old.remove()
        legend = self.fig.legend(
            handles,
            texts,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.935),
            ncols=len(handles),
            frameon=False,
            prop=self.font(9),
            handletextpad=0.4,
            columnspacing=1.6,
        )
        legend.set_gid("matrix-legend")
        for legend_text in legend.get_texts():
            legend_text.set_parse_math(False)

    def _zone_label(self, renderer: RendererBase) -> list[tuple[float, float, float, float]]:
        """Caption the shaded zone in a corner free of markers (else in the legend)."""
        spec = self.spec
        tx, ty = spec.x_threshold, spec.y_threshold
        if not spec.zone_label or (tx is None and ty is None):
            return []

        def in_zone(x: float, y: float) -> bool:
            return (tx is not None and x >= tx) or (ty is not None and y >= ty)

        # Axes-fraction anchors: top right, top left, bottom right, top middle, right middle.
        corners = [
            (0.985, 0.985, "right", "top"),
            (0.015, 0.985, "left", "top"),
            (0.985, 0.015, "right", "bottom"),
            (0.5, 0.985, "center", "top"),
            (0.985, 0.5, "right", "center"),
        ]
        markers = self._marker_boxes()
        for fx, fy, ha, va in corners:
            text = self.ax.text(
                fx,
                fy,
                spec.zone_label,
                transform=self.ax.transAxes,
                ha=ha,
                va=va,
                color=THRESHOLD_COLOUR,
                fontproperties=self.font(9),
                style="italic",
                parse_math=False,
                zorder=1.5,
                gid="material-zone-label",
            )
            box = text.get_window_extent(renderer)
            pad = 2 * self.px_per_pt
            clear = not any(
                box.x0 - pad < m[2]
                and box.x1 + pad > m[0]
                and box.y0 - pad < m[3]
                and box.y1 + pad > m[1]
                for m in markers
            )
            # The caption must lie inside the zone, not straddle a threshold line.
            inside = all(
                in_zone(*self.ax.transData.inverted().transform((x, y)))
                for x in (box.x0, box.x1)
                for y in (box.y0, box.y1)
            )
            if clear and inside:
                return [(box.x0, box.y0, box.x1, box.y1)]
            text.remove()
        self._legend(
            extra=[
                (
                    Patch(facecolor=ZONE_COLOUR, edgecolor=THRESHOLD_COLOUR, linewidth=0.6),
                    spec.zone_label,
                )
            ]
        )
        return []

    # -- topic labels ---------------------------------------------------------------------
    def _marker_boxes(self) -> list[tuple[float, float, float, float]]:
        """Each marker's extent in display pixels, from its path and size."""
        boxes = []
        for p in self.spec.points:
            style = self.style_of(p)
            boxes.append(
                marker_box(
                    self.ax.transData.transform((p.x, p.y)),
                    style.marker,
                    MARKER_AREA,
                    self.px_per_pt,
                    edge_width=style.edge_width,
                )
            )
        return boxes

    def _labels(
        self,
        renderer: RendererBase,
        obstacles: list[tuple[float, float, float, float]],
        whiskers: list[tuple[tuple[float, float], tuple[float, float]]],
    ) -> None:
        spec, ax = self.spec, self.ax
        inset = 2.0
        frame = ax.get_window_extent(renderer)
        area = (frame.x0 + inset, frame.y0 + inset, frame.x1 - inset, frame.y1 - inset)
        centres = ax.transData.transform([(p.x, p.y) for p in spec.points]).reshape(-1, 2)
        (x0, x1), (y0, y1) = self.x_limits, self.y_limits
        visible = [x0 <= p.x <= x1 and y0 <= p.y <= y1 for p in spec.points]
        variants = [
            self._variants(p.label) if shown and p.label.strip() else []
            for p, shown in zip(spec.points, visible, strict=True)
        ]
        # Labels should rather not sit on a whisker, and even less on a threshold line.
        lines = list(whiskers)
        costs = [1.5] * len(lines)
        if spec.x_threshold is not None:
            lines.append(((spec.x_threshold, y0), (spec.x_threshold, y1)))
            costs.append(4.0)
        if spec.y_threshold is not None:
            lines.append(((x0, spec.y_threshold), (x1, spec.y_threshold)))
            costs.append(4.0)
        for line in self.guide_lines():
            lines.append(line)
            costs.append(4.0)
        soft = np.array(
            [(*ax.transData.transform(a), *ax.transData.transform(b)) for a, b in lines],
            dtype=float,
        ).reshape(-1, 4)
        placements = place_labels(
            centres,
            np.array(self._marker_boxes(), dtype=float).reshape(-1, 4),
            variants,
            area,
            px_per_pt=self.px_per_pt,
            obstacles=np.array(obstacles, dtype=float).reshape(-1, 4),
            soft_segments=soft,
            soft_costs=np.array(costs, dtype=float),
        )
        for index, (p, placement) in enumerate(zip(spec.points, placements, strict=True)):
            if placement is not None:
                self._annotate(index, p, placement, centres[index])

    def _variants(self, label: str) -> list[LabelVariant]:
        texts = [(label.strip(), 0.0)]
        wrapped = wrap_label(label.strip())
        if wrapped is not None:
            texts.append((wrapped, 1.0))
        variants = []
        for size, reduced in ((LABEL_SIZE, False), (LABEL_SIZE * 0.85, True)):
            for text, penalty in texts:
                width, height = label_extent(text, self.font(size))
                variants.append(
                    LabelVariant(
                        text=text,
                        fontsize=size,
                        width=width,
                        height=height,
                        penalty=penalty,
                        reduced=reduced,
                    )
                )
        return variants

    def _annotate(
        self, index: int, p: MatrixPoint, placement: Placement, centre: np.ndarray
    ) -> None:
        offset = (
            (placement.x - centre[0]) / self.px_per_pt,
            (placement.y - centre[1]) / self.px_per_pt,
        )
        arrow = None
        if placement.leader:
            m = marker_box(centre, self.style_of(p).marker, MARKER_AREA, self.px_per_pt)
            radius_pt = max(m[2] - m[0], m[3] - m[1]) / 2 / self.px_per_pt
            arrow = {
                "arrowstyle": "-",
                "color": "#7a7a7a",
                "linewidth": 0.6,
                "shrinkA": 0.0,
                "shrinkB": radius_pt + 0.5,
            }
        self.ax.annotate(
            placement.variant.text,
            xy=(p.x, p.y),
            xytext=offset,
            textcoords="offset points",
            ha=placement.ha,
            va=placement.va,
            multialignment="center" if placement.ha == "center" else placement.ha,
            fontproperties=self.font(placement.variant.fontsize),
            linespacing=1.05,
            color=TEXT_COLOUR,
            parse_math=False,
            zorder=4,
            annotation_clip=False,
            arrowprops=arrow,
            gid=label_gid(index, p.code),
        )


def legend_marker(style: DimensionStyle) -> Line2D:
    """A legend handle drawn like the matrix's markers of *style*."""
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=style.marker,
        markersize=math.sqrt(MARKER_AREA),
        markerfacecolor=style.colour if style.filled else "white",
        markeredgecolor="white" if style.filled else style.colour,
        markeredgewidth=style.edge_width,
    )
