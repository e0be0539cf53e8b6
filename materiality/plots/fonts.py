"""The fonts the materiality matrix is set in, CJK included.

Latin text is set in DejaVu Sans, which ships inside matplotlib. Simplified Chinese needs a
CJK font, and a fresh server has none (and fc-list / Debian packages are not something a
deployment can count on), so the font comes from PyPI as a dependency: Noto Sans SC
(SIL OFL 1.1) from the ``pylopdf-fonts-zh-cn`` wheel. It is a single-face OpenType font with
PostScript (CFF) outlines: matplotlib renders it in Agg, and embeds it in PDF as a Type 3
subset (text stays extractable), not Type 42, see is_cff_font().

matplotlib >= 3.6 falls back glyph by glyph along a list of families, in Agg, PDF and SVG
alike, so every text gets a *chain*: English text is set in DejaVu Sans and only CJK glyphs
fall back to Noto Sans SC; Chinese text is set in Noto Sans SC (whose Latin and digits
match its Han glyphs) with DejaVu Sans behind it for symbols Noto Sans SC lacks.
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from matplotlib import font_manager, ft2font

__all__ = [
    "CJK_FONT_SOURCES",
    "LATIN_FAMILY",
    "CJKFontSource",
    "CJKFontUnavailableError",
    "cjk_family",
    "cjk_font_path",
    "contains_cjk",
    "font_families",
    "is_cff_font",
    "register_cjk_font",
]

LATIN_FAMILY = "DejaVu Sans"  # bundled with matplotlib, always present


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


def register_cjk_font(path: Path | None = None, family: str | None = None) -> str | None:
    """Make a CJK font known to matplotlib and return its family name.

    Without *path*, the first installed package of CJK_FONT_SOURCES; with it, that file
    (and *family* from it, else its first face's family).

    Idempotent and thread-safe: each file is added to matplotlib's font manager once per
    process however many threads ask. Returns None when no CJK font is installed.
    """
    if path is None:
        found = cjk_font_path()
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

    It ends in the generic "sans-serif", which matters for SVG: there the text stays text
    and a browser without these fonts takes its own sans-serif, not its default serif.

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
    if chinese:
        return [family, LATIN_FAMILY, "sans-serif"]
    return [LATIN_FAMILY, family, "sans-serif"]
