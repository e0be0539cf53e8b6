"""A TrueType-outline copy of a CFF-flavoured OpenType font, built once and kept.

Why: matplotlib embeds fonts in PDFs as Type 42 (TrueType) only when they have TrueType
(``glyf``) outlines; it writes a CFF font's data into a TrueType stream, which makes a
broken PDF (its issues #2869 and #20870), so such fonts had to go in as Type 3, which
print shops flag. Noto Sans SC ships with CFF outlines only, so the charts use a copy whose
cubic outlines fontTools' cu2qu has turned into quadratic ones (within 1 font unit of
1,000 per em: no visible change). Names, metrics, cmap and layout tables are kept, so the
copy measures and reads exactly like the original.

Converting all of a CJK font's ~31,000 glyphs takes a minute or two (the CFF charstrings
are interpreted in Python), so the copy is made once per machine and per source font, in
matplotlib's cache directory, named by a hash of the source, and then reused by every
process. ``make install`` builds it ahead of time (calling fonts.printable_cjk_font(); do
the same at deploy), so that no request has to wait for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import matplotlib as mpl

# fontTools ships no type information.
from fontTools.pens.cu2quPen import Cu2QuPen  # type: ignore[import-untyped]
from fontTools.pens.ttGlyphPen import TTGlyphPen  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont, newTable  # type: ignore[import-untyped]

__all__ = ["CONVERTER_VERSION", "MAX_ERROR", "convert_to_truetype", "truetype_copy"]

logger = logging.getLogger(__name__)

MAX_ERROR = 1.0  # font units a quadratic outline may stray from the cubic one
CONVERTER_VERSION = "2"  # bump when the conversion changes: the cached copies are rebuilt


def truetype_copy(source: Path, cache_dir: Path | None = None) -> Path:
    """The TrueType-outline copy of the CFF font *source*, built on first call.

    Kept in *cache_dir* (default: matplotlib's cache directory) under a name that holds
    the source's hash, so an upgraded font package gets a new copy. Several processes
    asking at once build it once: the others wait on a lock file, then reuse it. Raises
    OSError when the copy can be neither found nor written.
    """
    folder = (cache_dir or Path(mpl.get_cachedir())) / "materia-fonts"
    target = folder / f"{source.stem}-{_digest(source)}-glyf{CONVERTER_VERSION}.ttf"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / f"{target.name}.lock"):
        if not target.is_file():  # another process may have built it while we waited
            logger.info("Converting %s to TrueType outlines (once) into %s", source, target)
            font = convert_to_truetype(TTFont(source, lazy=False))
            # Written beside the target, then renamed: no reader sees half a file.
            handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
            os.close(handle)
            try:
                font.save(temporary)
                os.replace(temporary, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
    return target


def convert_to_truetype(font: TTFont) -> TTFont:
    """*font* (CFF outlines) with TrueType outlines instead, changed in place.

    After fontTools' Snippets/otf2ttf.py: glyf/loca from the CFF charstrings through
    cu2qu (contours reversed, as TrueType winds the other way), a version 1 maxp, the
    tables that describe CFF only (CFF, VORG) and the now-invalid signature dropped.
    """
    if font.sfntVersion != "OTTO" or "CFF " not in font:
        raise ValueError("Not a CFF-flavoured OpenType font")
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERROR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    for tag in ("CFF ", "VORG", "DSIG"):
        if tag in font:
            del font[tag]
    glyf.compile(font)  # sets each glyph's bounds, read below
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        if hasattr(glyph, "xMin"):  # left side bearing = the outline's left edge
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    # Glyph names kept (post format 2, the CFF's "cid12345"): without them fontTools
    # invents names from the cmap whenever matplotlib subsets the font, seconds per PDF.
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    return font


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (POSIX); without fcntl, none is taken and two
    processes may both convert, harmlessly, as the rename is atomic."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
