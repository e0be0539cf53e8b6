"""The fonts the materiality matrix is set in, CJK included.

Every chart, English or Chinese, is set in one CJK-capable face, Noto Sans SC (SIL OFL
1.1), whose Latin and digits match its Han glyphs: the two languages look alike, and its
Latin letters are spaced for reading (DejaVu Sans, the earlier Latin face, set close
labels so tight that two of them read as one). A fresh server has no CJK font (and fc-list
/ Debian packages are not something a deployment can count on), so the font comes from
PyPI as a dependency: the ``pylopdf-fonts-zh-cn`` wheel. DejaVu Sans, which ships inside
matplotlib, stays behind it in the chain for symbols Noto Sans SC lacks.

That wheel's font has PostScript (CFF) outlines, which matplotlib can only put into a PDF
as Type 3 (see is_cff_font()); print shops flag Type 3 fonts. So matplotlib is given a
copy with TrueType outlines (``truetype.py``, made once per machine and kept), which it
embeds as a Type 42 / CIDFontType2 subset. Should that copy be impossible to write, the
original is used and PDFs fall back to Type 3 (render.py checks), rather than failing.

matplotlib >= 3.6 falls back glyph by glyph along a list of families, in Agg, PDF and SVG
alike. In SVG, where the text stays text and the reader's browser picks the font, the
list names the same design under its other names, then the platforms' usual Chinese sans
faces, then the generic sans-serif (see svg_sans_serif()).
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from matplotlib import font_manager, ft2font

from materiality.plots.truetype import truetype_copy

__all__ = [
    "CJK_FONT_SOURCES",
    "LATIN_FAMILY",
    "SVG_FALLBACK_FAMILIES",
    "CJKFontSource",
    "CJKFontUnavailableError",
    "cjk_family",
    "cjk_font_path",
    "contains_cjk",
    "font_families",
    "is_cff_font",
    "printable_cjk_font",
    "register_cjk_font",
    "svg_sans_serif",
]

logger = logging.getLogger(__name__)

LATIN_FAMILY = "DejaVu Sans"  # bundled with matplotlib, always present: symbols, no CJK

# What an SVG asks the reader's system for after our font, in this order: the same design
# under its other names (the Noto CJK collection, Adobe's Source Han Sans), then the
# platforms' Chinese sans faces (macOS/iOS, Windows), then DejaVu Sans (Linux desktops).
# Named rather than embedded: an @font-face data URI of even a subset of a CJK font is
# hundreds of kilobytes per chart, and a page that shows the chart as <img> already lets a
# CJK-capable face of the reader's choose; the text stays selectable either way.
SVG_FALLBACK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
)


@dataclass(frozen=True, slots=True)
class CJKFontSource:
    """A font file shipped inside an installed Python package."""

    package: str  # import name of the package that carries the file
    filename: str  # file inside that package
    family: str  # family name matplotlib registers it under


# Tried in order; the first installed one wins. The first is the project's dependency;
# the second is an alternative wheel carrying the same design (as a .ttc collection).
CJK_FONT_SOURCES: tuple[CJKFontSource, ...] = (
    CJKFontSource("pylopdf_fonts_zh_cn", "NotoSansSC-Regular.otf", "Noto Sans SC"),
    CJKFontSource("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
)


class CJKFontUnavailableError(RuntimeError):
    """Text needs CJK glyphs, but no CJK font package is installed."""


_lock = threading.Lock()
_registered: dict[Path, str] = {}  # font file -> family, for files added to matplotlib


def cjk_font_path() -> tuple[Path, str] | None:
    """Where the first installed CJK font lies, and its family name; None if none is."""
    for source in CJK_FONT_SOURCES:
        if importlib.util.find_spec(source.package) is None:
            continue
        path = Path(str(importlib.resources.files(source.package).joinpath(source.filename)))
        if path.is_file():
            return path, source.family
    return None


def printable_cjk_font() -> tuple[Path, str] | None:
    """The installed CJK font as matplotlib should use it, and its family name: the
    TrueType-outline copy of a CFF font (made on first call, see truetype.py), so PDFs
    embed it as Type 42; the font itself when it has TrueType outlines already, or when
    the copy cannot be made (PDFs then carry it as Type 3). None if none is installed."""
    found = cjk_font_path()
    if found is None:
        return None
    path, family = found
    if path.suffix.lower() in {".ttc", ".otc"} or not is_cff_font(str(path)):
        return path, family  # a collection is used as it is (its faces share outlines)
    try:
        return truetype_copy(path), family
    except (OSError, ValueError):
        logger.warning("No TrueType copy of %s; PDFs will embed it as Type 3", path, exc_info=True)
        return path, family


def register_cjk_font(path: Path | None = None, family: str | None = None) -> str | None:
    """Make a CJK font known to matplotlib and return its family name.

    Without *path*, the installed font as printable_cjk_font() gives it; with it, that
    file (and *family* from it, else its first face's family).

    Idempotent and thread-safe: each file is added to matplotlib's font manager once per
    process however many threads ask. Returns None when no CJK font is installed.
    """
    if path is None:
        found = printable_cjk_font()
        if found is None:
            return None
        path, family = found
    path = path.resolve()
    with _lock:
        known = _registered.get(path)
        if known is None:
            font_manager.fontManager.addfont(path)
            known = family or ft2font.FT2Font(os.fspath(path)).family_name
            _registered[path] = known
        return known


@functools.cache
def cjk_family() -> str | None:
    """Family name of the installed CJK font (registered on first use), or None.

    Two threads racing through the first call both reach register_cjk_font, which adds
    the file once.
    """
    return register_cjk_font()


@functools.lru_cache(maxsize=64)
def is_cff_font(path: str) -> bool:
    """Whether the font file (or a collection's first face) has PostScript (CFF) outlines.

    matplotlib (up to 3.11 at least; its issues #2869 and #20870) embeds every font in a
    Type 42 PDF as TrueType data, so a CFF font comes out as a PDF that poppler reports
    as broken ("Mismatch between font type and embedded font file") and strict readers
    may reject. Such fonts must go into PDFs as Type 3.
    """
    with open(path, "rb") as file:
        head = file.read(16)
    if head[:4] == b"ttcf" and len(head) >= 16:  # a collection: look at its first face
        offset = int.from_bytes(head[12:16], "big")
        with open(path, "rb") as file:
            file.seek(offset)
            head = file.read(4)
    return head[:4] == b"OTTO"


def contains_cjk(text: str) -> bool:
    """Whether *text* has a character that Latin fonts lack: CJK ideographs, kana,
    hangul, CJK punctuation and full-width forms."""
    return any(_is_cjk(ord(char)) for char in text)


def _is_cjk(code: int) -> bool:
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, punctuation, kana, CJK unified ideographs
        or 0xA960 <= code <= 0xA97F  # hangul jamo extended-A
        or 0xAC00 <= code <= 0xD7FF  # hangul syllables
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= code <= 0xFE4F  # CJK compatibility forms
        or 0xFF00 <= code <= 0xFFEF  # half- and full-width forms
        or 0x20000 <= code <= 0x3FFFF  # supplementary ideographic planes
    )


def font_families(language: str, *, texts: tuple[str, ...] = ()) -> list[str]:
    """The family chain for a chart in *language* whose texts are *texts*.

    The same for every language: the CJK font, then the generic "sans-serif" (which
    matplotlib resolves to that font again, and which an SVG spells out as
    svg_sans_serif()), then DejaVu Sans for symbols the CJK font lacks. Without a CJK font
    installed, English charts are set in DejaVu Sans.

    Raises CJKFontUnavailableError when the chart needs CJK glyphs (a Chinese chart, or
    any text with CJK characters) and no CJK font is installed: a report with boxes in
    place of characters must not be produced silently.
    """
    chinese = language.lower().startswith("zh")
    needs_cjk = chinese or any(contains_cjk(text) for text in texts)
    family = cjk_family()
    if family is None:
        if needs_cjk:
            raise CJKFontUnavailableError(
                "Text needs a CJK font; install the 'pylopdf-fonts-zh-cn' package."
            )
        return [LATIN_FAMILY, "sans-serif"]
    return [family, "sans-serif", LATIN_FAMILY]


def svg_sans_serif() -> list[str]:
    """matplotlib's "font.sans-serif" while a chart is drawn: what the generic family
    stands for. matplotlib picks the first installed one (our CJK font); an SVG names
    them all, in order, then "sans-serif"."""
    family = cjk_family()
    return [*([family] if family else []), *SVG_FALLBACK_FAMILIES, LATIN_FAMILY]
