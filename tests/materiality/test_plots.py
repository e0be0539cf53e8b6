"""The materiality matrix figure: what it shows, where its labels go, the files it makes.

The figure is inspected (artists, their data, their measured extents after drawing), not
compared pixel by pixel. No Django: ``materiality.plots`` takes plain data.
"""

from __future__ import annotations

import io
import math
import re
import threading
import warnings
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTCollection, TTFont
from matplotlib import font_manager
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox
from PIL import Image

from materiality.plots import (
    DIMENSION_STYLES,
    MatrixPoint,
    MatrixSpec,
    fonts,
    matrix_figure,
    matrix_svg,
    render_figure,
)
from materiality.plots.labels import LabelVariant, labels_apart, place_labels, wrap_label
from materiality.plots.matrix import matplotlib_settings
from materiality.plots.measuring import label_extent

# The model company's 17 topics, most material first (SEED-FACTS.md), at positions like
# those of its published matrix: both scores between about 3.6 and 4.7 on a 1-5 scale,
# clustered along the diagonal, some nearly on top of each other.
SEED_TOPICS = [
    # code, 中文, English, dimension, x (company), y (stakeholders)
    (
        "product-responsibility",
        "金融产品责任与安全",
        "Financial product responsibility and safety",
        "S",
        4.68,
        4.71,
    ),
    ("risk-management", "风险管理", "Risk management", "G", 4.62, 4.58),
    ("compliance", "合规管理", "Compliance management", "G", 4.57, 4.49),
    (
        "data-security",
        "数据安全与隐私保护",
        "Data security and privacy protection",
        "S",
        4.45,
        4.50,
    ),
    ("customer-service", "客户服务及满意", "Customer service and satisfaction", "S", 4.39, 4.44),
    ("fintech-innovation", "金融科技创新", "Fintech innovation", "S", 4.43, 4.37),
    ("business-ethics", "商业道德与反贪腐", "Business ethics and anti-corruption", "G", 4.24, 4.27),
    ("talent", "人才吸引与留任", "Talent attraction and retention", "S", 4.29, 4.18),
    ("training", "员工培训与发展", "Employee training and development", "S", 4.20, 4.20),
    ("health-safety", "员工健康与安全", "Employee health and safety", "S", 4.10, 4.11),
    ("corporate-governance", "企业管治", "Corporate governance", "G", 3.98, 3.95),
    ("diversity", "多元化与平等机会", "Diversity and equal opportunity", "S", 3.90, 3.88),
    ("supply-chain", "可持续的供应链", "Sustainable supply chain", "S", 3.87, 3.86),
    ("inclusive-finance", "普惠金融", "Inclusive finance", "S", 3.83, 3.84),
    ("community", "社会公益", "Community and public welfare", "S", 3.72, 3.69),
    ("green-operations", "绿色运营", "Green operations", "E", 3.64, 3.68),
    ("climate", "应对气候变化", "Climate change response", "E", 3.60, 3.63),
]
DIMENSIONS_EN = {"E": "Environmental", "S": "Social", "G": "Governance"}
DIMENSIONS_ZH = {"E": "环境", "S": "社会", "G": "管治"}


def seed_spec(language: str = "en", **overrides: object) -> MatrixSpec:
    zh = language == "zh-hans"
    points = [
        MatrixPoint(
            code=code,
            label=name_zh if zh else name_en,
            dimension=dimension,
            x=x,
            y=y,
            x_ci=(x - 0.06, x + 0.05),
            y_ci=(y - 0.05, y + 0.07),
            tooltip=f"{name_en}: company {x:.2f}, stakeholders {y:.2f}, n = 1,151",
        )
        for code, name_zh, name_en, dimension, x, y in SEED_TOPICS
    ]
    fields: dict[str, object] = {
        "points": points,
        "title": "实质性议题矩阵" if zh else "Materiality matrix",
        "x_label": "对公司的重要性" if zh else "Importance to the company",
        "y_label": "对利益相关方的重要性" if zh else "Importance to stakeholders",
        "footnote": "n = 1,151 · 2026-11-27",
        "dimension_labels": DIMENSIONS_ZH if zh else DIMENSIONS_EN,
        "x_threshold": 4.2,
        "y_threshold": 4.2,
        "zone_label": "实质性议题" if zh else "Material",
        "language": language,
    }
    fields.update(overrides)
    return MatrixSpec(**fields)  # type: ignore[arg-type]


def crowded_spec(count: int = 40) -> MatrixSpec:
    """Many topics, random but seeded, all in a small region; long and short labels."""
    rng = np.random.default_rng(40)
    names = [
        "Energy use",
        "Water stewardship",
        "Waste and recycling",
        "Biodiversity",
        "Labour rights",
        "Customer privacy",
        "Anti-bribery",
        "Tax transparency",
        "Board diversity",
        "Product safety",
        "Supply chain labour standards",
        "Community investment",
        "Executive pay",
        "Cyber security",
    ]
    points = []
    for i in range(count):
        x, y = rng.uniform(3.9, 4.3, size=2)
        points.append(
            MatrixPoint(f"t{i}", f"{names[i % len(names)]} {i}", "ESG"[i % 3], float(x), float(y))
        )
    return MatrixSpec(
        points=points,
        title="Crowded",
        x_label="Company",
        y_label="Stakeholders",
        footnote="40 topics",
        dimension_labels=DIMENSIONS_EN,
        x_threshold=4.1,
        y_threshold=4.1,
        zone_label="Material",
    )


@pytest.fixture(scope="module")
def figure_en() -> Figure:
    return matrix_figure(seed_spec("en"))


@pytest.fixture(scope="module")
def figure_zh() -> Figure:
    return matrix_figure(seed_spec("zh-hans"))


@pytest.fixture(scope="module")
def figure_crowded() -> Figure:
    return matrix_figure(crowded_spec(40))


# -- measuring a drawn figure -----------------------------------------------------------
@dataclass
class Drawn:
    """Extents, in display pixels after drawing, of what labels must stay clear of."""

    labels: dict[str, Bbox]  # by gid: the text alone, not its leader line
    markers: dict[str, Bbox]  # by gid
    axes: Bbox
    zone_caption: list[Bbox]
    leaders: dict[str, np.ndarray]  # label gid -> leader line vertices


def measure(fig: Figure) -> Drawn:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    ax = fig.axes[0]
    annotations = [
        a
        for a in ax.texts
        if isinstance(a, Annotation) and (a.get_gid() or "").startswith("label-")
    ]
    return Drawn(
        labels={a.get_gid(): Text.get_window_extent(a, renderer) for a in annotations},
        markers={c.get_gid(): marker_extent(fig, c) for c in point_collections(fig)},
        axes=ax.get_window_extent(renderer),
        zone_caption=[
            t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "material-zone-label"
        ],
        leaders={
            a.get_gid(): a.arrow_patch.get_path().vertices
            for a in annotations
            if a.arrow_patch is not None
        },
    )


def point_collections(fig: Figure) -> list[PathCollection]:
    return [
        c
        for c in fig.axes[0].collections
        if isinstance(c, PathCollection) and (c.get_gid() or "").startswith("point-")
    ]


def marker_extent(fig: Figure, collection: PathCollection) -> Bbox:
    """A marker's extent in pixels from its size (points²) and path: the collection's path
    is the marker outline at unit size, scaled by sqrt(size) points, plus half its edge."""
    (centre,) = collection.get_offset_transform().transform(collection.get_offsets())
    size_px = math.sqrt(collection.get_sizes()[0]) * fig.dpi / 72
    edge_px = collection.get_linewidths()[0] / 2 * fig.dpi / 72
    extents = collection.get_paths()[0].get_extents()
    return Bbox.from_extents(
        centre[0] + extents.x0 * size_px - edge_px,
        centre[1] + extents.y0 * size_px - edge_px,
        centre[0] + extents.x1 * size_px + edge_px,
        centre[1] + extents.y1 * size_px + edge_px,
    )


def overlap(a: Bbox, b: Bbox) -> bool:
    """Strict overlap: boxes that only touch do not overlap."""
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def assert_labels_readable(fig: Figure, expected: int) -> Drawn:
    drawn = measure(fig)
    labels, markers, axes = drawn.labels, drawn.markers, drawn.axes
    assert len(labels) == expected
    assert len(markers) == expected
    names = sorted(labels)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not overlap(labels[a], labels[b]), f"labels {a} and {b} overlap"
            assert labels_apart(
                tuple(labels[a].extents), tuple(labels[b].extents), px_per_pt=fig.dpi / 72
            ), f"labels {a} and {b} nearly merge"
    for name, box in labels.items():
        for marker, mbox in markers.items():
            assert not overlap(box, mbox), f"label {name} covers marker {marker}"
        for caption in drawn.zone_caption:
            assert not overlap(box, caption), f"label {name} covers the zone caption"
        inside = axes.x0 <= box.x0 and box.x1 <= axes.x1 and axes.y0 <= box.y0 <= box.y1 <= axes.y1
        assert inside, f"label {name} leaves the axes"
    # A leader line crosses no other label and no other marker.
    for name, vertices in drawn.leaders.items():
        own_marker = name.replace("label-", "point-", 1)
        start, end = vertices[0], vertices[-1]
        for t in np.linspace(0.02, 0.98, 200):
            x, y = start + t * (end - start)
            for other, box in labels.items():
                if other != name:
                    assert not box.contains(x, y), f"leader of {name} crosses label {other}"
            for marker, mbox in markers.items():
                if marker != own_marker:
                    assert not mbox.contains(x, y), f"leader of {name} crosses {marker}"
    return drawn


# -- label placement --------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("show_ci", [False, True])
def test_seed_topic_labels_neither_overlap_nor_cover_markers(language: str, show_ci: bool) -> None:
    fig = matrix_figure(seed_spec(language, show_ci=show_ci))
    assert_labels_readable(fig, expected=17)


def test_labels_stay_clear_at_print_resolution() -> None:
    fig = matrix_figure(seed_spec("en"))
    fig.set_dpi(300)  # what render_figure(fig, "png-print") draws at
    assert_labels_readable(fig, expected=17)


def test_forty_crowded_topics_get_readable_labels(figure_crowded: Figure) -> None:
    drawn = assert_labels_readable(figure_crowded, expected=40)
    assert drawn.leaders, "so crowded that some labels need leader lines (checked above)"


def test_every_label_names_its_topic(figure_en: Figure) -> None:
    texts = {
        a.get_gid(): a.get_text().replace("\n", " ")
        for a in figure_en.axes[0].texts
        if isinstance(a, Annotation)
    }
    assert texts == {f"label-{i}-{code}": en for i, (code, _, en, *_) in enumerate(SEED_TOPICS)}


def test_labels_are_measured_as_the_figure_draws_them(figure_zh: Figure) -> None:
    # Label sizes are kept per process (label_extent): they must equal what the figure's
    # own renderer measures for the labels it draws, wrapped and reduced ones included.
    renderer = figure_zh.canvas.get_renderer()  # type: ignore[attr-defined]
    labels = [a for a in figure_zh.axes[0].texts if isinstance(a, Annotation)]
    assert len(labels) == len(SEED_TOPICS)
    with matplotlib_settings():
        for label in labels:
            box = Text.get_window_extent(label, renderer)  # the text alone, no leader line
            measured = label_extent(label.get_text(), label.get_fontproperties())
            assert measured == pytest.approx((box.width, box.height), abs=0.01)


def test_placement_is_deterministic(figure_crowded: Figure) -> None:
    def layout(fig: Figure) -> list[tuple[str, tuple[float, float], str, str]]:
        return [
            (a.get_text(), a.xyann, a.get_ha(), a.get_va())
            for a in fig.axes[0].texts
            if isinstance(a, Annotation)
        ]

    assert layout(matrix_figure(crowded_spec(40))) == layout(figure_crowded)


def test_a_boxed_in_point_gets_a_leader_line() -> None:
    """Placed labels box a marker in on three sides and leave a slit on the right, too
    narrow for its label: the label goes beyond, joined by a leader through the slit."""
    cx, cy = 200.0, 200.0
    walls = np.array(
        [
            [cx - 45, cy + 3, cx + 45, cy + 45],  # above
            [cx - 45, cy - 45, cx + 45, cy - 3],  # below
            [cx - 45, cy - 3, cx - 6, cy + 3],  # left
        ]
    )
    variant = [LabelVariant("label", 8, width=40, height=11, penalty=0)]
    (placement,) = place_labels(
        np.array([[cx, cy]]),
        np.array([[cx - 4, cy - 4, cx + 4, cy + 4]]),
        [variant],
        (0, 0, 400, 400),
        px_per_pt=110 / 72,
        obstacles=walls,
    )
    assert placement is not None
    assert placement.leader
    assert not placement.forced
    assert placement.box[0] > cx + 45
    assert abs((placement.box[1] + placement.box[3]) / 2 - cy) < 3


def test_long_labels_wrap_onto_two_balanced_lines() -> None:
    assert wrap_label("Financial product responsibility and safety") == (
        "Financial product\nresponsibility and safety"
    )
    assert wrap_label("Risk management") == "Risk\nmanagement"
    assert wrap_label("Inclusive") is None
    assert wrap_label("数据安全与隐私保护") == "数据安全与\n隐私保护"
    assert wrap_label("普惠金融") is None
    assert wrap_label("安全与隐、私保护") == "安全与隐、\n私保护"  # never before 、


def test_label_text_is_not_parsed_as_mathtext() -> None:
    spec = seed_spec("en", points=[MatrixPoint("p", "Pay $5 vs $10 ^_^", "S", 4.0, 4.0)])
    fig = matrix_figure(spec)
    render_figure(fig, "png")  # mathtext would fail to parse this
    (label,) = [a for a in fig.axes[0].texts if isinstance(a, Annotation)]
    assert label.get_text() == "Pay $5 vs $10 ^_^"


def test_points_outside_a_given_range_are_not_labelled() -> None:
    points = [
        MatrixPoint("in", "Inside", "E", 4.0, 4.0),
        MatrixPoint("out", "Outside", "S", 2.0, 4.0),
    ]
    fig = matrix_figure(seed_spec("en", points=points, axis_range=(3.5, 5.0)))
    labels = [a.get_text() for a in fig.axes[0].texts if isinstance(a, Annotation)]
    assert labels == ["Inside"]
    assert fig.axes[0].get_xlim() == (3.5, 5.0)


# -- what the figure shows --------------------------------------------------------------
def test_one_marker_per_topic_coloured_and_shaped_by_dimension(figure_en: Figure) -> None:
    collections = point_collections(figure_en)
    assert len(collections) == len(SEED_TOPICS)
    shapes: dict[str, bytes] = {}
    for collection, (code, _, _, dimension, x, y) in zip(collections, SEED_TOPICS, strict=True):
        assert code in (collection.get_gid() or "")
        np.testing.assert_allclose(collection.get_offsets(), [[x, y]])
        np.testing.assert_allclose(
            collection.get_facecolors(), [to_rgba(DIMENSION_STYLES[dimension].colour)]
        )
        shape = collection.get_paths()[0].vertices.round(3).tobytes()
        assert shapes.setdefault(dimension, shape) == shape
    assert len(set(shapes.values())) == 3, "each dimension has its own marker shape"


def test_dimension_colours_are_okabe_ito() -> None:
    colours = {code: style.colour.upper() for code, style in DIMENSION_STYLES.items()}
    assert colours == {"E": "#009E73", "S": "#0072B2", "G": "#D55E00"}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Environmental", "Social", "Governance"]),
        ("zh-hans", ["环境", "社会", "管治"]),
    ],
)
def test_legend_names_the_dimensions(language: str, expected: list[str]) -> None:
    fig = matrix_figure(seed_spec(language))
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == expected
    colours = [
        to_rgba(h.get_markerfacecolor()) for h in legend.legend_handles if isinstance(h, Line2D)
    ]
    assert colours == [to_rgba(DIMENSION_STYLES[d].colour) for d in "ESG"]


def test_title_axis_titles_and_footnote_are_shown(figure_en: Figure) -> None:
    texts = {t.get_gid(): t for t in figure_en.texts}
    assert texts["matrix-title"].get_text() == "Materiality matrix"
    footnote = texts["matrix-footnote"]
    assert footnote.get_text() == "n = 1,151 · 2026-11-27"
    assert max(footnote.get_position()) < 0.05  # bottom left
    ax = figure_en.axes[0]
    assert ax.get_xlabel() == "Importance to the company"
    assert ax.get_ylabel() == "Importance to stakeholders"


@pytest.mark.parametrize(
    ("language", "footnote"),
    [
        (
            "en",
            "2026 materiality assessment of the group and its subsidiaries in every market"
            " · Peers and industry associations: n = 1,234 (company axis), 1,198 (stakeholder"
            " axis) · run 12 · Dec. 3, 2026",
        ),
        (
            "zh-hans",
            "2026 年度集团及其境内外各地子公司、分支机构与合营企业环境、社会及管治"
            "实质性议题利益相关方评估问卷调查"
            " · 同行/行业协会：n = 1,234（公司维度）、1,198（利益相关方维度）"
            " · 计算 #12 · 2026年12月3日",
        ),
    ],
)
def test_a_footnote_too_wide_for_the_figure_breaks_between_its_parts(
    language: str, footnote: str
) -> None:
    fig = matrix_figure(seed_spec(language, footnote=footnote))
    text = next(t for t in fig.texts if t.get_gid() == "matrix-footnote")
    lines = text.get_text().split("\n")
    assert len(lines) == 2
    assert " · ".join(lines) == footnote
    assert all("n = 1,234" not in line or "1,198" in line for line in lines)  # n kept whole
    fig.canvas.draw()
    box = text.get_window_extent()
    assert box.x0 >= 0
    assert box.x1 <= fig.bbox.width
    assert box.y1 < fig.axes[0].xaxis.label.get_window_extent().y0  # below the axis title


def test_a_footnote_that_fits_stays_on_one_line(figure_en: Figure) -> None:
    text = next(t for t in figure_en.texts if t.get_gid() == "matrix-footnote")
    assert "\n" not in text.get_text()


def test_threshold_lines_and_material_zone(figure_en: Figure) -> None:
    lines = {line.get_gid(): line for line in figure_en.axes[0].lines}
    assert set(np.asarray(lines["threshold-x"].get_xdata(), dtype=float)) == {4.2}
    assert set(np.asarray(lines["threshold-y"].get_ydata(), dtype=float)) == {4.2}
    assert lines["threshold-x"].get_linestyle() == "--"
    (zone,) = [p for p in figure_en.axes[0].patches if p.get_gid() == "material-zone"]
    assert isinstance(zone, Polygon)
    path = zone.get_path()
    # Material on either axis (GRI 3): x >= 4.2 OR y >= 4.2.
    assert path.contains_point((4.5, 3.5))
    assert path.contains_point((3.5, 4.5))
    assert path.contains_point((4.5, 4.5))
    assert not path.contains_point((4.1, 4.1))
    (caption,) = [t for t in figure_en.axes[0].texts if t.get_gid() == "material-zone-label"]
    assert caption.get_text() == "Material"


def test_zone_caption_moves_to_the_legend_when_markers_fill_its_corners() -> None:
    corners = [(4.97, 4.97), (3.03, 4.97), (4.97, 3.03), (4.0, 4.97), (4.97, 4.0)]
    points = [
        MatrixPoint(f"c{i}", f"Corner {i}", "ESG"[i % 3], x, y) for i, (x, y) in enumerate(corners)
    ]
    fig = matrix_figure(
        seed_spec("en", points=points, axis_range=(3.0, 5.0), x_threshold=4.0, y_threshold=4.0)
    )
    assert not [t for t in fig.axes[0].texts if t.get_gid() == "material-zone-label"]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()][-1] == "Material"
    assert_labels_readable(fig, expected=5)


def test_no_thresholds_no_zone() -> None:
    fig = matrix_figure(seed_spec("en", x_threshold=None, y_threshold=None))
    ax = fig.axes[0]
    assert not [line for line in ax.lines if (line.get_gid() or "").startswith("threshold")]
    assert not [p for p in ax.patches if p.get_gid() == "material-zone"]
    assert not [t for t in ax.texts if t.get_gid() == "material-zone-label"]


def test_one_threshold_shades_one_side() -> None:
    fig = matrix_figure(seed_spec("en", x_threshold=None, y_threshold=4.3))
    (zone,) = [p for p in fig.axes[0].patches if p.get_gid() == "material-zone"]
    assert zone.get_path().contains_point((3.7, 4.5))
    assert not zone.get_path().contains_point((4.6, 4.1))


def test_whiskers_only_when_ci_is_shown(figure_en: Figure) -> None:
    def whiskers(fig: Figure) -> list[LineCollection]:
        return [c for c in fig.axes[0].collections if c.get_gid() == "ci-whiskers"]

    assert whiskers(figure_en) == []
    (shown,) = whiskers(matrix_figure(seed_spec("en", show_ci=True)))
    segments = shown.get_segments()
    assert len(segments) == 2 * len(SEED_TOPICS)
    *_, x, y = SEED_TOPICS[0]
    np.testing.assert_allclose(segments[0], [[x - 0.06, y], [x + 0.05, y]])
    np.testing.assert_allclose(segments[1], [[x, y - 0.05], [x, y + 0.07]])


def test_axis_range_fits_the_points_within_the_scale(figure_en: Figure) -> None:
    lo, hi = figure_en.axes[0].get_xlim()
    assert figure_en.axes[0].get_ylim() == (lo, hi)
    assert 3.3 <= lo < 3.6
    assert 4.71 < hi <= 5.0
    near_top = seed_spec(
        "en", points=[MatrixPoint("a", "A", "E", 4.9, 4.95), MatrixPoint("b", "B", "S", 4.5, 4.6)]
    )
    assert matrix_figure(near_top).axes[0].get_xlim()[1] == 5.0  # clamped to the scale


def test_unknown_dimension_is_rejected() -> None:
    with pytest.raises(ValueError, match="dimension"):
        MatrixPoint("x", "X", "Economic", 4.0, 4.0)
    with pytest.raises(ValueError, match="finite"):
        MatrixPoint("x", "X", "E", math.nan, 4.0)


def test_an_empty_matrix_still_draws() -> None:
    fig = matrix_figure(seed_spec("en", points=[]))
    assert fig.axes[0].get_xlim() == (1.0, 5.0)
    assert render_figure(fig, "png").startswith(b"\x89PNG")


# -- files ------------------------------------------------------------------------------
def test_render_formats(figure_en: Figure) -> None:
    png = render_figure(figure_en, "png")
    assert png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(png)).size == (880, 715)  # 8 x 6.5 in at 110 dpi
    assert Image.open(io.BytesIO(render_figure(figure_en, "png-print"))).size == (2400, 1950)
    assert render_figure(figure_en, "pdf").startswith(b"%PDF")
    assert b"<svg" in render_figure(figure_en, "svg")
    with pytest.raises(ValueError, match="jpeg"):
        render_figure(figure_en, "jpeg")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_rendering_is_reproducible(language: str) -> None:
    """The same input gives the same bytes: a confirmed result's files can be re-rendered."""
    first, second = matrix_figure(seed_spec(language)), matrix_figure(seed_spec(language))
    for fmt in ("png", "svg", "pdf"):
        rendered = render_figure(first, fmt)
        assert rendered == render_figure(second, fmt), fmt
        assert b"CreationDate" not in rendered


def test_svg_keeps_text_and_gives_every_point_a_tooltip() -> None:
    spec = seed_spec("en")
    svg = matrix_svg(spec)
    assert svg == matrix_svg(spec)  # reproducible too
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    ns = {"svg": "http://www.w3.org/2000/svg"}
    texts = "".join("".join(t.itertext()) for t in root.iterfind(".//svg:text", ns))
    assert "Materiality matrix" in texts  # text, not glyph outlines
    assert "Risk management" in texts
    groups = {g.get("id"): g for g in root.iterfind(".//svg:g", ns)}
    for i, point in enumerate(spec.points):
        title = groups[f"point-{i}-{point.code}"].find("svg:title", ns)
        assert title is not None
        assert title.text == point.tooltip
    assert root.find("svg:title", ns).text == "Materiality matrix"  # type: ignore[union-attr]
    assert root.get("role") == "img"


def test_svg_tooltips_are_escaped() -> None:
    nasty = '<script>alert("x")</script> & "quotes"'
    spec = seed_spec("en", points=[MatrixPoint("a&b", "A & B", "G", 4.0, 4.1, tooltip=nasty)])
    svg = matrix_svg(spec)
    assert b"<script>" not in svg
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert nasty in titles


# -- Chinese glyphs ---------------------------------------------------------------------
def missing_glyph_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [
        str(w.message) for w in caught if re.search(r"missing from (current )?font", str(w.message))
    ]


def test_chinese_matrix_renders_every_glyph_in_png_and_pdf() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = matrix_figure(seed_spec("zh-hans", show_ci=True))
        png = render_figure(fig, "png")
        pdf = render_figure(fig, "pdf")
        svg = matrix_svg(seed_spec("zh-hans"))
    assert missing_glyph_warnings(caught) == []
    assert png.startswith(b"\x89PNG")
    assert "金融产品责任与安全".encode() in svg
    # The PDF embeds the CJK font (as a subset, under its PostScript name).
    family = fonts.cjk_family()
    assert family is not None
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    postscript_name = load_font(path, family)["name"].getDebugName(6)
    assert postscript_name
    assert postscript_name.encode() in pdf


def embedded_font_programs(pdf: bytes) -> dict[bytes, bytes]:
    """Font program streams of a PDF, by the key naming their kind (FontFile2: TrueType,
    FontFile3: CFF/OpenType) and object number, decompressed."""
    programs = {}
    for kind, number in re.findall(rb"/(FontFile[23]?) (\d+) 0 R", pdf):
        match = re.search(rb"\n" + number + rb" 0 obj\s*<<(.*?)>>\s*stream\r?\n", pdf, re.DOTALL)
        assert match is not None
        length = re.search(rb"/Length (\d+)(?! 0 R)", match.group(1))
        assert length is not None  # matplotlib writes font streams with a direct length
        body = pdf[match.end() : match.end() + int(length.group(1))]
        compressed = b"FlateDecode" in match.group(1)
        programs[kind + b" " + number] = zlib.decompress(body) if compressed else body
    return programs


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pdf_fonts_are_embedded_as_truetype_data(
    language: str, request: pytest.FixtureRequest
) -> None:
    """Type 42 subsets holding real TrueType data (FontFile2), never Type 3, in either
    language: the charts use a TrueType-outline copy of the CFF CJK font."""
    fig = request.getfixturevalue("figure_en" if language == "en" else "figure_zh")
    pdf = render_figure(fig, "pdf")
    programs = embedded_font_programs(pdf)
    assert programs, "text is embedded as TrueType (Type 42) subsets"
    for name, data in programs.items():
        assert name.startswith(b"FontFile2")
        assert data[:4] in {b"\x00\x01\x00\x00", b"true"}, f"{name!r} is not TrueType"
    assert b"/Subtype /Type3" not in pdf
    assert b"NotoSansSC" in pdf


def test_matplotlib_still_embeds_cff_fonts_as_truetype_data() -> None:
    """Why the charts use a TrueType copy of the CFF font: with Type 42, matplotlib puts
    a CFF font's data in a FontFile2 (TrueType) stream, a broken PDF. When this fails,
    matplotlib has fixed it and the copy may no longer be needed."""
    found = fonts.cjk_font_path()
    assert found is not None
    fig = Figure()
    fig.text(0.5, 0.5, "实质性", fontproperties=font_manager.FontProperties(fname=found[0]))
    buffer = io.BytesIO()
    with matplotlib_settings():  # Type 42
        fig.savefig(buffer, format="pdf")
    programs = embedded_font_programs(buffer.getvalue())
    assert any(data[:4] == b"OTTO" for name, data in programs.items() if b"FontFile2" in name)


def test_cff_fonts_are_recognised() -> None:
    found = fonts.cjk_font_path()
    assert found is not None
    assert fonts.is_cff_font(str(found[0]))  # Noto Sans SC has PostScript outlines
    dejavu = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    assert not fonts.is_cff_font(dejavu)


def test_the_missing_glyph_check_would_catch_boxes() -> None:
    """Without the CJK font, matplotlib warns: the test above would fail."""
    fig = Figure()
    fig.text(0.5, 0.5, "实质性", family=["DejaVu Sans"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    assert missing_glyph_warnings(caught)


def load_font(path: str, family: str) -> TTFont:
    if path.lower().endswith((".ttc", ".otc")):
        return next(f for f in TTCollection(path).fonts if f["name"].getDebugName(1) == family)
    return TTFont(path, lazy=True)


def test_chinese_labels_are_set_in_a_font_that_has_their_glyphs(figure_zh: Figure) -> None:
    family = fonts.cjk_family()
    assert family is not None
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    cmap = load_font(path, family).getBestCmap()
    labels = [a for a in figure_zh.axes[0].texts if isinstance(a, Annotation)]
    assert len(labels) == len(SEED_TOPICS)
    for label in labels:
        assert label.get_fontfamily()[0] == family
        missing = [c for c in label.get_text() if not c.isspace() and ord(c) not in cmap]
        assert missing == [], f"{label.get_text()!r}: no glyph for {missing}"


def test_english_and_chinese_text_are_set_in_the_same_font(
    figure_en: Figure, figure_zh: Figure
) -> None:
    """One CJK-capable face for both languages (not DejaVu Sans for English), with DejaVu
    Sans behind it only for symbols the CJK font lacks."""
    family = fonts.cjk_family()
    assert family is not None
    for fig in (figure_en, figure_zh):
        for text in fig.findobj(Text):
            if isinstance(text, Text) and text.get_text().strip():
                assert text.get_fontfamily() == [family, "sans-serif", fonts.LATIN_FAMILY]
    (label_en, *_) = [a for a in figure_en.axes[0].texts if isinstance(a, Annotation)]
    (label_zh, *_) = [a for a in figure_zh.axes[0].texts if isinstance(a, Annotation)]
    with matplotlib_settings():
        used = {
            font_manager.findfont(label.get_fontproperties(), fallback_to_default=False)
            for label in (label_en, label_zh)
        }
    assert len(used) == 1  # "sans-serif" resolves to the CJK font too


def test_cjk_font_registration_is_idempotent_and_thread_safe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = fonts.cjk_font_path()
    assert found is not None
    _, family = found
    calls: list[Path] = []
    real_addfont = font_manager.fontManager.addfont

    def counting_addfont(font_path: Path) -> None:
        calls.append(font_path)
        real_addfont(font_path)

    monkeypatch.setattr(fonts, "_registered", {})  # as in a fresh process
    monkeypatch.setattr(font_manager.fontManager, "addfont", counting_addfont)
    barrier = threading.Barrier(8)
    results: list[str | None] = []

    def register() -> None:
        barrier.wait()
        results.append(fonts.register_cjk_font())

    threads = [threading.Thread(target=register) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [family] * 8
    assert len(calls) == 1
    assert fonts.register_cjk_font() == family
    assert len(calls) == 1


def test_chinese_text_without_a_cjk_font_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    assert fonts.font_families("en", texts=("Risk management",))[0] == fonts.LATIN_FAMILY
    with pytest.raises(fonts.CJKFontUnavailableError):
        fonts.font_families("zh-hans")
    with pytest.raises(fonts.CJKFontUnavailableError):
        fonts.font_families("en", texts=("风险管理",))


def test_contains_cjk() -> None:
    assert fonts.contains_cjk("Risk 风险")
    assert fonts.contains_cjk("\uff08")  # full-width parenthesis
    assert not fonts.contains_cjk("Risk management \u00b7 n = 1,151 \u2013 \u2265 4.2")
