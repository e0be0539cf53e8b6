"""Figures to files: PNG for the screen and for print, SVG with tooltips, PDF.

Output is reproducible: the same figure gives the same bytes (no creation dates, a fixed
SVG id salt), so a confirmed result's files can be re-rendered and compared.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Mapping

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from materiality.plots import fonts
from materiality.plots.matrix import MatrixSpec, matplotlib_settings, matrix_figure, point_gid

__all__ = ["FORMATS", "add_svg_titles", "matrix_svg", "render_figure"]

# fmt -> (matplotlib format, dpi, metadata). PNG's only metadata is matplotlib's
# "Software" entry, which does not change between renders.
FORMATS: Mapping[str, tuple[str, float | None, Mapping[str, str | None]]] = {
    "png": ("png", 110.0, {}),
    "png-print": ("png", 300.0, {}),
    "svg": ("svg", None, {"Date": None}),
    "pdf": ("pdf", None, {"CreationDate": None, "ModDate": None}),
}

SVG_NS = "http://www.w3.org/2000/svg"
_NAMESPACES = {
    "": SVG_NS,
    "xlink": "http://www.w3.org/1999/xlink",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "cc": "http://creativecommons.org/ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
}
for _prefix, _uri in _NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)


def render_figure(fig: Figure, fmt: str) -> bytes:
    """The figure as a file: "png" (screen, 110 dpi), "png-print" (300 dpi), "svg", "pdf".

    The figure's label (matrix_figure sets it to the title) becomes the file's title. PDFs
    embed font subsets as Type 42 (TrueType; the charts' CJK font is a TrueType copy,
    see fonts.py), or as Type 3 should a text be set in a CFF-flavoured font after all
    (no copy could be made, see fonts.is_cff_font); SVGs keep text as text, naming the
    font and its fallbacks (fonts.svg_sans_serif).
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    file_format, dpi, metadata = FORMATS[fmt]
    meta: dict[str, str | None] = dict(metadata)
    title = str(fig.get_label() or "")
    if file_format in {"svg", "pdf"} and title:
        meta["Title"] = title
    buffer = io.BytesIO()
    with matplotlib_settings():
        if file_format == "pdf" and _sets_text_in_cff_font(fig):
            # Undone when matplotlib_settings() exits. matplotlib 3.11's PDF backend sizes
            # its glyph subsets by ps.fonttype, so both must say Type 3.
            mpl.rcParams["pdf.fonttype"] = 3
            mpl.rcParams["ps.fonttype"] = 3
        fig.savefig(
            buffer, format=file_format, dpi=dpi or "figure", metadata=meta, facecolor="white"
        )
    return buffer.getvalue()


def _sets_text_in_cff_font(fig: Figure) -> bool:
    """Whether some text of the figure takes glyphs from a CFF-flavoured font.

    A text's glyphs come from the first family of its chain, except characters that font
    lacks, which fall back along the chain: for CJK text, any family of it may be used.
    """
    for text in fig.findobj(Text):
        content = text.get_text() if isinstance(text, Text) else ""
        if not content.strip() or not text.get_visible():
            continue
        families = text.get_fontfamily()
        used = families if fonts.contains_cjk(content) else families[:1]
        for family in used:
            prop = text.get_fontproperties().copy()
            prop.set_family(family)
            if fonts.is_cff_font(font_manager.findfont(prop)):
                return True
    return False


def matrix_svg(spec: MatrixSpec) -> bytes:
    """The matrix as SVG: text kept as text, every topic's marker carrying a <title>
    (its tooltip, else its label) that browsers show on hover and screen readers read."""
    svg = render_figure(matrix_figure(spec), "svg")
    tooltips = {
        point_gid(index, p.code): p.tooltip or p.label for index, p in enumerate(spec.points)
    }
    return add_svg_titles(svg, tooltips, title=spec.title, description=spec.footnote)


def add_svg_titles(
    svg: bytes, tooltips: Mapping[str, str], *, title: str = "", description: str = ""
) -> bytes:
    """Give the groups whose id is in *tooltips* a <title> child, and the document a
    <title> and <desc> (and role="img") for assistive technology.

    The text goes in as element text, so ElementTree escapes it: a topic called
    "<script>" stays text.
    """
    # The input is SVG that matplotlib has just written, never data from outside.
    root = ET.fromstring(svg)  # noqa: S314
    for group in root.iter(f"{{{SVG_NS}}}g"):
        tooltip = tooltips.get(group.get("id", ""))
        if tooltip:
            group.insert(0, _element("title", tooltip))
    if description:
        root.insert(0, _element("desc", description, id="matrix-desc"))
    if title:
        # matplotlib writes a <title> from the Title metadata: replace it.
        for old in root.findall(f"{{{SVG_NS}}}title"):
            root.remove(old)
        root.insert(0, _element("title", title, id="matrix-title-text"))
        root.set("role", "img")
        root.set("aria-labelledby", "matrix-title-text")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _element(tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.Element(f"{{{SVG_NS}}}{tag}", attributes)
    element.text = text
    return element
