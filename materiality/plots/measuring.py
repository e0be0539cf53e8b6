"""Sizes in display pixels of what the matrix places: a label's text as the renderer
will draw it (measured once per text, font and settings, then kept), a marker's box."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.markers import MarkerStyle
from matplotlib.text import Text
from matplotlib.typing import RcKeyType

FIGURE_DPI = 110.0  # screen; print renders at 300 dpi (see render.py)


def label_extent(text: str, font: FontProperties) -> tuple[float, float]:
    """Width and height in display pixels of a topic label as the matrix draws it (Agg,
    FIGURE_DPI). The same text in the same font, under the same text settings, always
    measures the same, so a process measures each topic name once rather than at every
    render: measuring was a third of a render's time."""
    rc = tuple(mpl.rcParams[key] for key in _MEASURING_SETTINGS)
    return _measured(text, font.copy(), rc)  # a copy: the key must not change later


# The settings besides the font that change how wide a text comes out.
_MEASURING_SETTINGS: tuple[RcKeyType, ...] = (
    "text.hinting",
    "text.hinting_factor",
    "text.kerning_factor",
)


@functools.lru_cache(maxsize=4096)
def _measured(text: str, font: FontProperties, rc: tuple[object, ...]) -> tuple[float, float]:
    figure = Figure(dpi=FIGURE_DPI)
    probe = Text(0, 0, text, fontproperties=font, linespacing=1.05, parse_math=False)
    probe.set_figure(figure)
    box = probe.get_window_extent(FigureCanvasAgg(figure).get_renderer())
    return box.width, box.height


def marker_box(
    centre: Sequence[float] | np.ndarray,
    marker: str,
    area: float,
    px_per_pt: float,
    *,
    edge_width: float = 0.0,
) -> tuple[float, float, float, float]:
    """Display extent of a scatter marker of size *area* (points²) centred at *centre*."""
    style = MarkerStyle(marker)
    extents = style.get_path().transformed(style.get_transform()).get_extents()
    scale = math.sqrt(area) * px_per_pt
    grow = edge_width / 2 * px_per_pt
    cx, cy = float(centre[0]), float(centre[1])
    return (
        cx + extents.x0 * scale - grow,
        cy + extents.y0 * scale - grow,
        cx + extents.x1 * scale + grow,
        cy + extents.y1 * scale + grow,
    )
