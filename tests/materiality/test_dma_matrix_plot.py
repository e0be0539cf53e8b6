"""The double materiality matrix as a figure (materiality/plots/dma_matrix.py): plain
points in, a Figure out. Inspected as the survey matrix's tests inspect theirs: markers,
lines and label boxes, not pixels."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Annotation

from materiality.plots import render_figure
from materiality.plots.dma_matrix import (
    MATERIAL_STYLE,
    NOT_MATERIAL_STYLE,
    DmaMatrixSpec,
    DmaPoint,
    dma_matrix_figure,
    dma_matrix_svg,
)
from materiality.plots.fonts import contains_cjk
from tests.materiality.test_plots import assert_labels_readable, embedded_font_programs

D = Decimal
HALF = D("0.5")

# The demo DMA's topics: most are scored on one axis only, two tie, one has no score.
MATTERS = [
    # code, 中文, English, impact, financial, material, judgement
    ("E1", "气候变化", "Climate change", "2.00", "2.75", False, True),
    ("S1", "自身员工", "Own workforce", "1.83", None, False, False),
    ("S4", "消费者和终端用户", "Consumers and end-users", "3.92", None, True, True),
    ("cc", "应对气候变化", "Addressing climate change", None, "3.00", True, True),
    ("rr", "乡村振兴", "Rural revitalisation", "2.38", None, False, True),
    ("sc", "供应链安全", "Supply chain security", None, "2.25", False, False),
    ("ps", "产品和服务安全与质量", "Product and service safety and quality",
     None, "3.75", True, False),
    ("ds", "数据安全与客户隐私保护", "Data security and customer privacy protection",
     None, "3.75", True, False),
    ("ab", "反商业贿赂及反贪污", "Anti-commercial bribery and anti-corruption",
     "1.83", None, False, False),
    ("bd", "生物多样性", "Biodiversity", None, None, False, False),
]  # fmt: skip


def dma_spec(language: str = "en", **changes: object) -> DmaMatrixSpec:
    zh = language == "zh-hans"
    points = [
        DmaPoint(
            code=code,
            name=name_zh if zh else name_en,
            impact=None if impact is None else D(impact),
            financial=None if financial is None else D(financial),
            material=material,
            impact_interval=None if impact is None else (D(impact) - HALF, D(impact) + HALF),
            needs_judgement=judgement,
            tooltip=f"{name_en}: impact {impact}, financial {financial}",
        )
        for code, name_zh, name_en, impact, financial, material, judgement in MATTERS
    ]
    fields: dict[str, object] = {
        "points": points,
        "impact_threshold": D("3.00"),
        "financial_threshold": D("2.50"),
        "title": "双重重要性矩阵" if zh else "Double materiality matrix",
        "impact_label": "影响重要性" if zh else "Impact materiality",
        "financial_label": "财务重要性" if zh else "Financial materiality",
        "material_label": "重要" if zh else "Material",
        "not_material_label": "不重要" if zh else "Not material",
        "judgement_label": "需记录判断" if zh else "Needs a documented judgement",
        "zone_label": "按评分重要" if zh else "Material by score",
        "no_score_label": "无评分" if zh else "no score",
        "not_scored_label": "未评分：%(names)s" if zh else "Not scored: %(names)s",
        "footnote": "DMA 2025 · methodology version 1",
        "language": language,
    }
    fields.update(changes)
    return DmaMatrixSpec(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def figure_en() -> Figure:
    return dma_matrix_figure(dma_spec("en"))


def markers(fig: Figure) -> dict[str, PathCollection]:
    return {
        str(c.get_gid()).split("-", 2)[2]: c
        for c in fig.axes[0].collections
        if isinstance(c, PathCollection) and str(c.get_gid()).startswith("point-")
    }


def centre(collection: PathCollection) -> tuple[float, float]:
    x, y = np.asarray(collection.get_offsets(), dtype=float)[0]
    return float(x), float(y)


def hex_of(colours: Any) -> str:
    return str(to_hex(colours[0]))


def vertex_count(collection: PathCollection) -> int:
    return int(np.asarray(collection.get_paths()[0].vertices).shape[0])


def unwrapped(text: str) -> str:
    """A label as one line: Latin text was wrapped at a space, CJK between characters."""
    return text.replace("\n", "" if contains_cjk(text) else " ")


def labels(fig: Figure) -> dict[str, str]:
    return {
        str(a.get_gid()).split("-", 2)[2]: unwrapped(a.get_text())
        for a in fig.axes[0].texts
        if isinstance(a, Annotation)
    }


def test_one_marker_per_scored_matter_at_its_scores(figure_en: Figure) -> None:
    drawn = markers(figure_en)
    assert set(drawn) == {matter[0] for matter in MATTERS} - {"bd"}
    assert centre(drawn["E1"]) == (2.0, 2.75)
    ax = figure_en.axes[0]
    low_x, low_y = ax.get_xlim()[0], ax.get_ylim()[0]
    # One axis only: on the other axis' "no score" band, below 1 and outside the scale.
    x, y = centre(drawn["S4"])
    assert x == 3.92
    assert low_y < y < 1.0
    x, y = centre(drawn["cc"])
    assert y == 3.0
    assert low_x < x < 1.0
    # Equal scores side by side, not on top of each other; in a band only along it.
    (ps_x, ps_y), (ds_x, ds_y) = centre(drawn["ps"]), centre(drawn["ds"])
    assert ps_y == ds_y == 3.75
    assert ps_x != ds_x
    (s1_x, s1_y), (ab_x, ab_y) = centre(drawn["S1"]), centre(drawn["ab"])
    assert s1_x == ab_x == pytest.approx(1.83)
    assert s1_y != ab_y


def test_the_bands_are_marked_no_score_and_the_scale_starts_at_1(figure_en: Figure) -> None:
    ax = figure_en.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels(minor=True)] == ["no score"]
    assert [t.get_text() for t in ax.get_yticklabels(minor=True)] == ["no score"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3", "4", "5"]
    assert ax.get_xlim()[1] == ax.get_ylim()[1] == 5.0
    gids = {p.get_gid() for p in ax.patches}
    assert {"no-impact-score-band", "no-financial-score-band"} <= gids


def test_the_scale_reaches_below_1_for_a_score_below_1() -> None:
    point = DmaPoint("m", "M", D("0.40"), D("2"), False)
    fig = dma_matrix_figure(dma_spec(points=[point]))
    assert fig.axes[0].get_xlim() == fig.axes[0].get_ylim() == (0.0, 5.0)


def test_no_band_when_every_matter_has_both_scores() -> None:
    both = [p for p in dma_spec().points if p.impact is not None and p.financial is not None]
    fig = dma_matrix_figure(dma_spec(points=both))
    ax = fig.axes[0]
    assert ax.get_xlim() == ax.get_ylim() == (1.0, 5.0)
    assert ax.get_xticklabels(minor=True) == []


def test_fill_shows_the_conclusion_and_a_diamond_the_judgement(figure_en: Figure) -> None:
    drawn = markers(figure_en)
    s4, s1 = drawn["S4"], drawn["S1"]
    assert hex_of(s4.get_facecolor()) == MATERIAL_STYLE.colour.lower()
    assert hex_of(s1.get_facecolor()) == "#ffffff"  # a ring
    assert hex_of(s1.get_edgecolor()) == NOT_MATERIAL_STYLE.colour.lower()
    # A diamond is a square turned; a circle's path has many more vertices.
    assert vertex_count(drawn["S4"]) < vertex_count(drawn["ds"])
    legend = [t.get_text() for t in figure_en.legends[0].get_texts()]
    assert legend[:3] == ["Material", "Not material", "Needs a documented judgement"]


def test_threshold_lines_and_the_material_region(figure_en: Figure) -> None:
    lines = {line.get_gid(): line for line in figure_en.axes[0].lines}
    assert set(np.asarray(lines["threshold-x"].get_xdata(), dtype=float)) == {3.0}
    assert set(np.asarray(lines["threshold-y"].get_ydata(), dtype=float)) == {2.5}
    (zone,) = [p for p in figure_en.axes[0].patches if p.get_gid() == "material-zone"]
    path = zone.get_path()
    assert path.contains_point((3.5, 0.8))  # impact only, above its threshold: material
    assert path.contains_point((0.8, 3.5))
    assert not path.contains_point((2.0, 2.0))
    texts = [t.get_text() for t in figure_en.axes[0].texts] + [
        t.get_text() for t in figure_en.legends[0].get_texts()
    ]
    assert "Material by score" in texts


def test_whiskers_are_drawn_for_intervals(figure_en: Figure) -> None:
    (whiskers,) = [
        c
        for c in figure_en.axes[0].collections
        if isinstance(c, LineCollection) and c.get_gid() == "ci-whiskers"
    ]
    segments = [tuple(map(tuple, s)) for s in whiskers.get_segments()]
    assert ((1.5, 2.75), (2.5, 2.75)) in segments  # E1's impact interval, around 2.00


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_labels_name_the_matters_and_never_overlap(language: str) -> None:
    fig = dma_matrix_figure(dma_spec(language))
    assert_labels_readable(fig, expected=9)
    zh = language == "zh-hans"
    assert labels(fig) == {
        code: (name_zh if zh else name_en) for code, name_zh, name_en, *_ in MATTERS[:-1]
    }


def test_a_matter_without_scores_is_named_in_the_footnote(figure_en: Figure) -> None:
    (footnote,) = [t for t in figure_en.texts if t.get_gid() == "matrix-footnote"]
    assert footnote.get_text() == "DMA 2025 · methodology version 1 · Not scored: Biodiversity"
    zh = dma_matrix_figure(dma_spec("zh-hans"))
    (footnote,) = [t for t in zh.texts if t.get_gid() == "matrix-footnote"]
    assert footnote.get_text().endswith("未评分：生物多样性")


def test_a_name_is_not_parsed_as_mathtext() -> None:
    point = DmaPoint("m", "Pay $x^$ or $5", D("4"), D("4"), True)
    fig = dma_matrix_figure(dma_spec(points=[point]))
    assert render_figure(fig, "png").startswith(b"\x89PNG")  # mathtext would fail
    assert labels(fig) == {"m": "Pay $x^$ or $5"}


def test_an_empty_matrix_still_draws() -> None:
    fig = dma_matrix_figure(dma_spec(points=[]))
    assert render_figure(fig, "png").startswith(b"\x89PNG")
    assert not fig.legends


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pdf_embeds_truetype_fonts(language: str) -> None:
    pdf = render_figure(dma_matrix_figure(dma_spec(language)), "pdf")
    programs = embedded_font_programs(pdf)
    assert programs
    assert all(name.startswith(b"FontFile2") for name in programs)
    assert b"/Subtype /Type3" not in pdf


def test_svg_keeps_text_selectable_and_titles_every_marker() -> None:
    spec = dma_spec("zh-hans")
    svg = dma_matrix_svg(spec)
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    ns = {"svg": "http://www.w3.org/2000/svg"}
    texts = "".join("".join(t.itertext()) for t in root.iterfind(".//svg:text", ns))
    assert "消费者和终端用户" in texts
    assert "双重重要性矩阵" in texts
    groups = {g.get("id"): g for g in root.iterfind(".//svg:g", ns)}
    title = groups["point-2-S4"].find("svg:title", ns)
    assert title is not None
    assert title.text == "Consumers and end-users: impact 3.92, financial None"
    assert svg == dma_matrix_svg(spec)  # reproducible


def test_a_non_finite_score_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        DmaPoint("m", "M", D("NaN"), None, False)
