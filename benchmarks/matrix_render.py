"""Benchmark of the materiality matrix's rendering (docs/benchmarks.md, "Matrix rendering").

    DEBUG=true .venv/bin/python -m benchmarks.matrix_render [--write-docs]

The matrix of 17 topics (the seed vocabulary) and of 40, in English and in Chinese, to
every file the app serves (PNG for the screen, 300-dpi PNG for print, SVG, PDF), timed as
`materiality.reporting.matrix_files.render_matrix` renders it once it has its MatrixSpec;
beside it, in
the same run, a bare matplotlib Figure with a plain scatter of the same points and their
labels written at the points (no placement, no legend, no zone), saved to the same
formats at the same dpi. Repetitions alternate between the two.

The points are real scores: synthetic replies (the model company's 1,151, seeded) scored
by `materiality.scoring.score` as a run would. No database: the MatrixSpec is built here
as `materiality.reporting.matrix_files.matrix_spec` builds it from a run's stored scores.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import shlex
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import import_module
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django

from benchmarks.report import (
    _cpu_model,
    _memory,
    docs_replace,
    facts_table,
    markdown_table,
    say,
)
from benchmarks.server import BASE_DIR

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

    from materiality.plots import MatrixSpec

FORMAT_NAMES = {
    "png": "PNG (110 dpi)",
    "png-print": "PNG (300 dpi)",
    "svg": "SVG",
    "pdf": "PDF",
}
SEED = 2021

# Topics beyond the seed vocabulary, for the 40-topic case: ESRS-style names, as long as
# real ones (code, dimension, 中文, English).
EXTRA_TOPICS: tuple[tuple[str, str, str, str], ...] = (
    ("climate-adaptation", "E", "气候变化适应", "Climate change adaptation"),
    ("energy", "E", "能源管理", "Energy management"),
    ("air-pollution", "E", "空气污染防治", "Pollution of air"),
    ("water-pollution", "E", "水污染防治", "Pollution of water"),
    ("water-use", "E", "水资源使用", "Water consumption and withdrawal"),
    ("biodiversity", "E", "生物多样性与生态系统", "Biodiversity and ecosystems"),
    ("circular-economy", "E", "循环经济", "Resource use and circular economy"),
    ("waste", "E", "废弃物管理", "Waste management"),
    ("working-conditions", "S", "自身员工的工作条件", "Working conditions of own workforce"),
    ("equal-pay", "S", "同工同酬", "Equal pay for work of equal value"),
    (
        "forced-labour",
        "S",
        "价值链中的童工与强迫劳动",
        "Child and forced labour in the value chain",
    ),
    ("affected-communities", "S", "受影响社区的权利", "Rights of affected communities"),
    ("consumer-safety", "S", "消费者健康与安全", "Consumer health and safety"),
    ("digital-accessibility", "S", "数字无障碍", "Digital accessibility"),
    ("human-rights", "S", "人权尽职调查", "Human rights due diligence"),
    ("financial-literacy", "S", "金融知识普及", "Financial literacy"),
    ("responsible-investment", "G", "负责任投资", "Responsible investment"),
    ("political-engagement", "G", "政治参与与游说", "Political engagement and lobbying"),
    ("whistle-blowers", "G", "举报人保护", "Protection of whistle-blowers"),
    ("supplier-relations", "G", "供应商关系管理", "Management of relationships with suppliers"),
    ("corporate-culture", "G", "企业文化", "Corporate culture"),
    ("tax-transparency", "G", "税务透明", "Tax transparency"),
    ("board-diversity", "G", "董事会多元化", "Board diversity"),
)


@dataclass(frozen=True)
class Case:
    label: str
    topics: int
    language: str


CASES = (
    Case("17 topics, English", 17, "en"),
    Case("17 topics, Chinese", 17, "zh-hans"),
    Case("40 topics, English", 40, "en"),
    Case("40 topics, Chinese", 40, "zh-hans"),
)


@dataclass(frozen=True)
class Timing:
    case: str
    fmt: str
    app: list[float]
    bare: list[float]
    build: list[float]  # of the app's: matrix_figure alone (drawing and label placement)
    app_bytes: int
    bare_bytes: int

    @property
    def ratio(self) -> float:
        return statistics.median(self.app) / statistics.median(self.bare)


# --- The points -------------------------------------------------------------------------


def _vocabulary(count: int) -> list[tuple[str, str, str, str]]:
    """(code, dimension, 中文, English) of the seed topics, then EXTRA_TOPICS."""
    seed = import_module("materiality.migrations.0002_seed_vocabulary")  # the data's home
    topics = [(code, dim, zh, en) for code, dim, zh, en, *_rest in seed.TOPICS]
    return [*topics, *EXTRA_TOPICS][:count]


def spec_for(case: Case) -> MatrixSpec:
    """The MatrixSpec `matrix_spec` would build for a run over these topics' scores."""
    from django.utils import translation
    from django.utils.formats import number_format
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    from materiality.demo.shape import DEMO_REPLIES_PER_GROUP
    from materiality.demo.synthetic import GroupPlan, replies_generate
    from materiality.models import AXES, COMPANY_AXIS, STAKEHOLDER_AXIS, Dimension
    from materiality.plots import MatrixPoint, MatrixSpec
    from materiality.questionnaire import DEFAULT_COMPANY_AXIS, DEFAULT_STAKEHOLDER_AXIS
    from materiality.scoring import Cell, Params, score

    vocabulary = _vocabulary(case.topics)
    codes = [code for code, *_rest in vocabulary]
    groups = [GroupPlan(code, code == "employees", n) for code, n in DEMO_REPLIES_PER_GROUP.items()]
    counts: Counter[tuple[str, str, str, bool, int]] = Counter()
    for block in replies_generate(topics=codes, groups=groups, seed=SEED):
        for respondent in block.respondents():
            for code, cells in zip(codes, respondent.ratings, strict=True):
                for axis, value in zip(AXES, cells, strict=True):
                    if value is not None:
                        counts[(code, axis, respondent.group, respondent.internal, value)] += 1
    result = score(
        [Cell(*key, n) for key, n in counts.items()],
        topics=codes,
        groups=list(DEMO_REPLIES_PER_GROUP),
        params=Params(),
    )
    names = {code: (zh, en) for code, _dim, zh, en in vocabulary}
    dimensions = {code: dim for code, dim, _zh, _en in vocabulary}
    chinese = case.language.startswith("zh")
    points = []
    for topic in result.topics:  # by rank, as matrix_spec orders them
        company, stakeholder = topic.axes[COMPANY_AXIS], topic.axes[STAKEHOLDER_AXIS]
        assert company.mean is not None
        assert stakeholder.mean is not None
        label = names[topic.topic][0 if chinese else 1]
        points.append(
            MatrixPoint(
                code=topic.topic,
                label=label,
                dimension=dimensions[topic.topic],
                x=company.mean,
                y=stakeholder.mean,
                x_ci=(company.ci_low, company.ci_high)
                if company.ci_low is not None and company.ci_high is not None
                else None,
                y_ci=(stakeholder.ci_low, stakeholder.ci_high)
                if stakeholder.ci_low is not None and stakeholder.ci_high is not None
                else None,
                tooltip=f"{label}: {company.mean:.2f}, {stakeholder.mean:.2f}",
            )
        )
    replies = sum(DEMO_REPLIES_PER_GROUP.values())
    with translation.override(case.language):
        return MatrixSpec(
            points=points,
            title=_("Materiality matrix"),
            x_label=DEFAULT_COMPANY_AXIS[case.language],
            y_label=DEFAULT_STAKEHOLDER_AXIS[case.language],
            footnote=" · ".join(
                [
                    "2026 materiality assessment" if not chinese else "2026 年度实质性评估",
                    _("n = %(count)s responses")
                    % {"count": number_format(replies, force_grouping=True)},
                    _("run %(id)s") % {"id": 1},
                    "2026-11-27",
                ]
            ),
            dimension_labels={code: str(label) for code, label in Dimension.choices},
            x_threshold=result.thresholds.get(COMPANY_AXIS),
            y_threshold=result.thresholds.get(STAKEHOLDER_AXIS),
            zone_label=pgettext("matrix zone", "Material topics"),
            language="zh-hans" if chinese else "en",
        )


# --- The two renderers --------------------------------------------------------------------


def app_render(spec: MatrixSpec, fmt: str) -> bytes:
    """What render_matrix does once it has the spec."""
    from materiality.plots import matrix_figure, matrix_svg, render_figure

    if fmt == "svg":
        return matrix_svg(spec)
    return render_figure(matrix_figure(spec), fmt)


def bare_figure(spec: MatrixSpec) -> Figure:
    """A plain scatter of the same points, labels written at the points, same figure size,
    axes box and fonts (a Chinese label needs the CJK font to be drawn at all)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from materiality.plots import DIMENSION_STYLES, fonts
    from materiality.plots.matrix import FIGURE_DPI, FIGURE_SIZE, LABEL_SIZE, MARKER_AREA

    family = fonts.font_families(spec.language, texts=tuple(p.label for p in spec.points))
    fig = Figure(figsize=FIGURE_SIZE, dpi=FIGURE_DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.085, 0.115, 0.89, 0.75))
    ax.scatter(
        [p.x for p in spec.points],
        [p.y for p in spec.points],
        s=MARKER_AREA,
        c=[DIMENSION_STYLES[p.dimension].colour for p in spec.points],
    )
    for p in spec.points:
        ax.text(p.x, p.y, p.label, fontsize=LABEL_SIZE, family=family)
    ax.set_title(spec.title, family=family)
    ax.set_xlabel(spec.x_label, family=family)
    ax.set_ylabel(spec.y_label, family=family)
    return fig


def bare_render(spec: MatrixSpec, fmt: str) -> bytes:
    """Saved like render_figure saves (same dpi, text kept as text in SVG, the same font
    embedding in PDF: Type 3 for the CFF Chinese font, Type 42 otherwise), nothing else."""
    import matplotlib as mpl

    from materiality.plots import FORMATS

    file_format, dpi, _metadata = FORMATS[fmt]
    fonttype = 3 if spec.language.startswith("zh") else 42
    settings: dict[RcKeyType, Any] = {
        "svg.fonttype": "none",
        "pdf.fonttype": fonttype,
        "ps.fonttype": fonttype,
    }
    buffer = io.BytesIO()
    with mpl.rc_context(settings):
        bare_figure(spec).savefig(
            buffer, format=file_format, dpi=dpi or "figure", facecolor="white"
        )
    return buffer.getvalue()


def _timed(render: Callable[[], object]) -> float:
    started = time.perf_counter()
    render()
    return time.perf_counter() - started


def measure(case: Case, spec: MatrixSpec, fmt: str, repetitions: int) -> Timing:
    from materiality.plots import matrix_figure

    app_bytes, bare_bytes = len(app_render(spec, fmt)), len(bare_render(spec, fmt))  # warm-up
    app, bare, build = [], [], []
    for number in range(repetitions):
        if number % 2:
            bare.append(_timed(lambda: bare_render(spec, fmt)))
            app.append(_timed(lambda: app_render(spec, fmt)))
        else:
            app.append(_timed(lambda: app_render(spec, fmt)))
            bare.append(_timed(lambda: bare_render(spec, fmt)))
        build.append(_timed(lambda: matrix_figure(spec)))
    return Timing(case.label, fmt, app, bare, build, app_bytes, bare_bytes)


def profile(spec: MatrixSpec, fmt: str, limit: int = 14) -> tuple[list[str], list[str]]:
    """One app render under cProfile: the project's functions by cumulative time, then
    all functions by own time (ms)."""
    profiler = cProfile.Profile()
    profiler.enable()
    app_render(spec, fmt)
    profiler.disable()
    entries: dict[Any, Any] = pstats.Stats(profiler, stream=io.StringIO()).stats  # type: ignore[attr-defined]
    rows = []
    for (path, line, name), (_cc, _nc, own, cumulative, _callers) in entries.items():
        rows.append((own, cumulative, path, f"{name}  ({_short(path)}:{line})"))
    project = sorted(
        (r for r in rows if str(r[2]).startswith(str(BASE_DIR / "materiality"))),
        key=lambda r: r[1],
        reverse=True,
    )
    own = sorted(rows, key=lambda r: r[0], reverse=True)
    return (
        [f"{r[1] * 1000:8.1f} ms  {r[3]}" for r in project[:limit]],
        [f"{r[0] * 1000:8.1f} ms  {r[3]}" for r in own[:limit]],
    )


def _short(path: str) -> str:
    if path == "~":
        return "built-in"
    for marker in ("site-packages/", f"{BASE_DIR}/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


# --- Report ---------------------------------------------------------------------------


def facts() -> dict[str, str]:
    from materiality.plots import fonts

    cjk = fonts.printable_cjk_font()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": f"{_cpu_model()}, {len(os.sched_getaffinity(0))} usable of {os.cpu_count()} cores",
        "memory": _memory(),
        "system": platform.platform(),
        "Python / Django": f"{platform.python_version()} / {django.get_version()}",
        "numpy / matplotlib": f"{version('numpy')} / {version('matplotlib')}",
        "fonts": f"{cjk[1]} ({cjk[0].name}), {fonts.LATIN_FAMILY} for symbols"
        if cjk
        else f"{fonts.LATIN_FAMILY}; no CJK font",
        "load average at start (1/5/15 min)": ", ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def results_table(timings: Sequence[Timing]) -> str:
    rows = []
    for t in timings:
        rows.append(
            [
                t.case,
                FORMAT_NAMES[t.fmt],
                _ms(statistics.median(t.app)),
                _ms(statistics.median(t.build)),
                _ms(statistics.median(t.bare)),
                f"**{t.ratio:.1f}×**",
                f"{_ms(min(t.app))}–{_ms(max(t.app))}",
                f"{_ms(min(t.bare))}–{_ms(max(t.bare))}",
                f"{t.app_bytes / 1024:,.0f} / {t.bare_bytes / 1024:,.0f}",
            ]
        )
    return markdown_table(
        [
            "matrix",
            "file",
            "app ms",
            "of which the figure ms",
            "bare scatter ms",
            "app ÷ bare",
            "app range ms",
            "bare range ms",
            "KiB app / bare",
        ],
        rows,
    )


def report(
    command: str,
    machine: dict[str, str],
    timings: Sequence[Timing],
    repetitions: int,
    profiled: dict[str, tuple[list[str], list[str]]],
) -> str:
    lines = [
        "### Results",
        "",
        f"Generated by `{command}`.",
        "",
        facts_table(machine),
        "",
        f"Medians of {repetitions} renders each, app and bare alternating, after one untimed "
        "render of each. *App*: `render_matrix` from its MatrixSpec on (the figure with its "
        "label placement, then the file; SVG with its tooltips). *Of which the figure*: "
        "`matrix_figure` alone, timed separately. *Bare*: a Figure, one `scatter`, "
        "`ax.text` at every point, title and axis labels, `savefig`.",
        "",
        results_table(timings),
    ]
    for label, (project, own) in profiled.items():
        lines += [
            "",
            f"{label}, PNG, under cProfile: the project's functions by cumulative time, then "
            "all functions by own time:",
            "",
            "```",
            *project,
            "",
            *own,
            "```",
        ]
    return "\n".join(lines)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.matrix_render", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--repetitions", type=int, default=10, help="renders per case (10-50)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    if not 10 <= args.repetitions <= 50:
        parser.error("--repetitions must be between 10 and 50")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    command = "DEBUG=true .venv/bin/python -m benchmarks.matrix_render " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    django.setup()  # translations and model choices; no database is touched
    machine = facts()
    timings = []
    specs = {}
    for case in CASES:
        say(f"{case.label}: scoring the points")
        specs[case] = spec_for(case)
        for fmt in FORMAT_NAMES:
            say(f"{case.label}: {FORMAT_NAMES[fmt]}")
            timings.append(measure(case, specs[case], fmt, args.repetitions))
    profiled = {case.label: profile(specs[case], "png") for case in (CASES[0], CASES[2])}
    machine["load average at end (1/5/15 min)"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    text = report(command, machine, timings, args.repetitions, profiled)
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps({"facts": machine, "timings": [asdict(t) for t in timings]}, indent=1)
        )
    if args.write_docs:
        docs_replace("matrix-render", text)
        say("docs/benchmarks.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
