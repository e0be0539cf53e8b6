"""Answer distributions as horizontal bar charts (feedback summaries), both languages.

Plain data in, Figure out; rendered with render_figure like the matrix. Every text is
drawn as written (`parse_math=False`): a `$` in a question or an answer is a dollar
sign, never the start of a formula that matplotlib would try, and fail, to parse.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from materiality.plots import fonts
from materiality.plots.matrix import matplotlib_settings, single_line_texts
from surveys.plaintext import plain_text

BAR_COLOUR = "#0072B2"


@dataclass(frozen=True, slots=True)
class BarSpec:
    title: str
    labels: Sequence[str]  # one per bar, top to bottom (a scale: low to high, as the form)
    counts: Sequence[int]
    footnote: str = ""  # e.g. "n = 42 · mean 4.1"
    language: str = "en"

    def __post_init__(self) -> None:
        single_line_texts(self, "title", "footnote")
        object.__setattr__(self, "labels", [plain_text(label) for label in self.labels])


def bar_figure(spec: BarSpec) -> Figure:
    if len(spec.labels) != len(spec.counts):
        raise ValueError("Every bar needs a label and a count")
    with matplotlib_settings():
        texts = (spec.title, spec.footnote, *spec.labels)
        family = fonts.font_families(spec.language, texts=texts)
        height = 1.2 + 0.42 * max(1, len(spec.labels))
        fig = Figure(figsize=(6.4, height), dpi=110, facecolor="white")
        fig.set_label(spec.title)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.36, 0.18 if spec.footnote else 0.08, 0.56, 0.62))
        positions = list(range(len(spec.labels)))[::-1]
        bars = ax.barh(positions, spec.counts, color=BAR_COLOUR, height=0.62)
        total = sum(spec.counts) or 1
        small = FontProperties(family=family, size=9)
        for bar, count in zip(bars, spec.counts, strict=True):
            ax.annotate(
                f"{count} ({count / total:.0%})",
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontproperties=small,
                parse_math=False,
            )
        ax.set_yticks(positions)
        ax.set_yticklabels(
            [textwrap.shorten(label, 40, placeholder="…") for label in spec.labels],
            fontproperties=FontProperties(family=family, size=10),
            parse_math=False,
        )
        ax.set_xlim(0, max(max(spec.counts, default=0), 1) * 1.25)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts of readers
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=8)
        wrapped = "\n".join(textwrap.wrap(spec.title, 34 if spec.language.startswith("zh") else 70))
        fig.suptitle(
            wrapped, fontproperties=FontProperties(family=family, size=11), y=0.97, parse_math=False
        )
        if spec.footnote:
            fig.text(
                0.02, 0.03, spec.footnote, fontproperties=small, color="#444444", parse_math=False
            )
        return fig
