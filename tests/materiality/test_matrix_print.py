"""Matrix files fit for print (#13): fonts embedded as TrueType in the PDF, one face for
English and Chinese, SVG text that stays text and names its fonts, labels that never run
into each other."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from materiality.plots import fonts, matrix_figure, matrix_svg, render_figure
from materiality.plots.labels import (
    LABEL_GAP_PT,
    LABEL_LINE_GAP_PT,
    LabelVariant,
    labels_apart,
    place_labels,
)
from materiality.plots.truetype import MAX_ERROR, convert_to_truetype, truetype_copy
from tests.materiality.test_plots import seed_spec

SVG_FONTS = [
    "Noto Sans SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "DejaVu Sans",
    "sans-serif",
]


def pdf_fonts(pdf: bytes) -> list[dict[str, object]]:
    """Every font of every page: its subtype, and its descendant's subtype and font file
    key (FontFile2 = TrueType, FontFile3 = CFF) for a composite (Type 0) font."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in (page["/Resources"].get("/Font") or {}).values():
            font = ref.get_object()
            entry: dict[str, object] = {"subtype": font["/Subtype"], "name": font["/BaseFont"]}
            for child in font.get("/DescendantFonts") or []:
                child = child.get_object()
                entry["descendant"] = child["/Subtype"]
                descriptor = child["/FontDescriptor"].get_object()
                entry["files"] = sorted(k for k in descriptor if k.startswith("/FontFile"))
            found.append(entry)
    return found


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pdf_embeds_truetype_subsets_not_type3(language: str) -> None:
    pdf = render_figure(matrix_figure(seed_spec(language, show_ci=True)), "pdf")
    embedded = pdf_fonts(pdf)
    assert embedded
    for font in embedded:
        assert font["subtype"] in {"/Type0", "/TrueType"}, font
        if font["subtype"] == "/Type0":
            assert font["descendant"] == "/CIDFontType2", font
            assert font["files"] == ["/FontFile2"], font
        assert "NotoSansSC" in str(font["name"])  # the one face, English included
    assert len(pdf) < 1_000_000  # a subset, not the whole 10 MB CJK font
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert ("风险管理" if language == "zh-hans" else "Risk management") in text


def test_english_and_chinese_pdfs_use_the_same_font() -> None:
    names = {
        language: {
            re.sub(r"^/[A-Z]{6}\+", "", str(font["name"]))
            for font in pdf_fonts(render_figure(matrix_figure(seed_spec(language)), "pdf"))
        }
        for language in ("en", "zh-hans")
    }
    assert names["en"] == names["zh-hans"] == {"NotoSansSC-Regular"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_svg_text_stays_text_and_names_the_font_with_fallbacks(language: str) -> None:
    svg = matrix_svg(seed_spec(language))
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    texts = list(root.iter("{http://www.w3.org/2000/svg}text"))
    content = "".join("".join(t.itertext()) for t in texts)
    assert ("金融产品责任与安全" if language == "zh-hans" else "Risk management") in content
    assert not list(root.iter("{http://www.w3.org/2000/svg}font"))  # no SVG font, no outlines
    for text in texts:
        style = {
            key.strip(): value.strip()
            for key, value in (
                part.split(":", 1) for part in text.get("style", "").split(";") if ":" in part
            )
        }
        families = [name.strip().strip("'\"") for name in style["font-family"].split(",")]
        assert families == SVG_FONTS, text.get("style")


def variant(text: str, width: float, height: float = 12.0) -> list[LabelVariant]:
    return [LabelVariant(text=text, fontsize=8.0, width=width, height=height, penalty=0.0)]


def placed_boxes(
    centres: list[tuple[float, float]], widths: list[float], area: tuple[float, ...]
) -> tuple[list[tuple[float, float, float, float]], float]:
    pt = 110 / 72
    centres_array = np.array(centres, dtype=float)
    markers = np.column_stack([centres_array - 4.0, centres_array + 4.0])
    placements = place_labels(
        centres_array,
        markers,
        [variant(f"Topic {i}", w) for i, w in enumerate(widths)],
        area,  # type: ignore[arg-type]
        px_per_pt=pt,
    )
    assert all(p is not None and not p.forced for p in placements)
    return [p.box for p in placements if p is not None], pt


def test_close_points_get_labels_a_clear_gap_apart() -> None:
    """Three markers in a column, closer than two label heights, with room only to their
    right: the labels used to stack 2.6 pt apart, reading as one label on three lines.
    Now each keeps LABEL_LINE_GAP_PT (the last one moves off, on a leader line)."""
    centres = [(100.0, 100.0), (100.0, 116.0), (100.0, 132.0)]
    boxes, pt = placed_boxes(centres, [60.0] * 3, (94, 92, 172, 148))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert labels_apart(a, b, px_per_pt=pt), (a, b)
            gap_x = max(a[0] - b[2], b[0] - a[2])
            gap_y = max(a[1] - b[3], b[1] - a[3])
            assert gap_x >= LABEL_GAP_PT * pt - 0.01 or gap_y >= LABEL_LINE_GAP_PT * pt - 0.01


def test_labels_apart_needs_one_of_the_two_gaps() -> None:
    pt = 1.0
    left = (0.0, 0.0, 50.0, 10.0)
    assert not labels_apart(left, (52.0, 0.0, 90.0, 10.0), px_per_pt=pt)  # a word space
    assert labels_apart(left, (50.0 + LABEL_GAP_PT, 0.0, 90.0, 10.0), px_per_pt=pt)
    assert not labels_apart(left, (0.0, 11.0, 50.0, 21.0), px_per_pt=pt)  # a second line?
    assert labels_apart(left, (0.0, 10.0 + LABEL_LINE_GAP_PT, 50.0, 23.0), px_per_pt=pt)


# -- the TrueType copy ------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_cff_font(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installed CJK font cut down to a few glyphs: converting it takes no time."""
    found = fonts.cjk_font_path()
    assert found is not None
    font = TTFont(found[0])
    subsetter = subset.Subsetter(subset.Options(name_IDs=["*"], notdef_outline=True))
    subsetter.populate(text="风险管理 Risk management 0123")
    subsetter.subset(font)
    path = tmp_path_factory.mktemp("fonts") / "Small-Regular.otf"
    font.save(path)
    return path


def test_the_copy_has_truetype_outlines_and_the_same_metrics(small_cff_font: Path) -> None:
    source = TTFont(small_cff_font)
    copy = convert_to_truetype(TTFont(small_cff_font))
    saved = io.BytesIO()
    copy.save(saved)
    copy = TTFont(io.BytesIO(saved.getvalue()))
    assert copy.sfntVersion == "\x00\x01\x00\x00"
    assert "glyf" in copy
    assert "CFF " not in copy
    assert copy["name"].getDebugName(1) == source["name"].getDebugName(1)
    # Glyph names are dropped (post format 3): compare by glyph id.
    source_order, copy_order = source.getGlyphOrder(), copy.getGlyphOrder()
    assert len(copy_order) == len(source_order)
    assert {code: copy.getGlyphID(name) for code, name in copy.getBestCmap().items()} == {
        code: source.getGlyphID(name) for code, name in source.getBestCmap().items()
    }
    charstrings = source["CFF "].cff.topDictIndex[0].CharStrings
    for name, copy_name in zip(source_order, copy_order, strict=True):
        assert copy["hmtx"][copy_name][0] == source["hmtx"][name][0]  # same advances
        # Same outlines, within the conversion's tolerance (and rounding to whole units).
        cff = charstrings[name].calcBounds(charstrings)
        glyph = copy["glyf"][copy_name]
        if cff is None:
            assert glyph.numberOfContours == 0
            continue
        tt = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
        assert all(abs(a - b) <= MAX_ERROR + 1 for a, b in zip(cff, tt, strict=True)), name


def test_the_copy_is_built_once_and_named_by_its_source(
    small_cff_font: Path, tmp_path: Path
) -> None:
    first = truetype_copy(small_cff_font, cache_dir=tmp_path)
    built = first.stat().st_mtime_ns
    assert first.parent == tmp_path / "materia-fonts"
    assert first.name.startswith("Small-Regular-")
    assert first.suffix == ".ttf"
    assert truetype_copy(small_cff_font, cache_dir=tmp_path) == first
    assert first.stat().st_mtime_ns == built  # reused, not rebuilt
    assert not fonts.is_cff_font(str(first))
    assert [p.suffix for p in first.parent.iterdir() if p.suffix == ".part"] == []


def test_the_charts_use_the_truetype_copy() -> None:
    found = fonts.printable_cjk_font()
    assert found is not None
    path, family = found
    assert family == fonts.cjk_family()
    assert not fonts.is_cff_font(str(path))


def test_without_a_copy_the_original_font_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache directory that cannot be written must not stop a chart: the original font
    is used (render.py then writes PDFs with Type 3 fonts, readable if not print-ready)."""

    def unwritable(source: Path, cache_dir: Path | None = None) -> Path:
        raise PermissionError(f"cannot write beside {source}")

    monkeypatch.setattr(fonts, "truetype_copy", unwritable)
    found = fonts.printable_cjk_font()
    assert found is not None
    assert found[0] == fonts.cjk_font_path()[0]  # type: ignore[index]
