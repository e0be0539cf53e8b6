"""The materiality matrix as a figure and as files (PNG, print PNG, SVG, PDF).

Plain data in (MatrixSpec of MatrixPoints, already translated), Figure or bytes out; no
Django. ``matrix`` draws, ``labels`` places the topic labels, ``render`` writes files.
"""

from materiality.plots.bars import BarSpec, bar_figure
from materiality.plots.matrix import (
    DIMENSION_STYLES,
    DimensionStyle,
    MatrixPoint,
    MatrixSpec,
    label_gid,
    matrix_figure,
    point_gid,
)
from materiality.plots.render import FORMATS, matrix_svg, render_figure

__all__ = [
    "DIMENSION_STYLES",
    "FORMATS",
    "BarSpec",
    "DimensionStyle",
    "MatrixPoint",
    "MatrixSpec",
    "bar_figure",
    "label_gid",
    "matrix_figure",
    "matrix_svg",
    "point_gid",
    "render_figure",
]
