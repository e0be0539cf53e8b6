"""Every chart the site draws shows its texts as written: a `$` in a topic name, a
question, an answer or a caption is a dollar sign, never mathtext (which would fail to
parse, or set text in italics)."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from materiality.plots import (
    BarSpec,
    MatrixPoint,
    MatrixSpec,
    bar_figure,
    matrix_figure,
    render_figure,
)

DOLLARS = "$x^$"  # mathtext, and a broken formula: matplotlib would fail to parse it


def dollar_texts(figure: Figure) -> list[Text]:
    return [t for t in figure.findobj(Text) if t.get_visible() and "$" in t.get_text()]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_bar_chart_draws_every_text_literally(language: str) -> None:
    spec = BarSpec(
        title=DOLLARS,
        labels=[DOLLARS, "$5 to $10"],
        counts=[3, 1],
        footnote=f"n = 4 · {DOLLARS}",
        language=language,
    )
    figure = bar_figure(spec)
    render_figure(figure, "png")  # draws every text: a formula would be parsed here
    drawn = dollar_texts(figure)
    assert {t.get_text() for t in drawn} == {DOLLARS, "$5 to $10", f"n = 4 · {DOLLARS}"}
    assert not [t for t in drawn if t.get_parse_math()]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_the_matrix_draws_every_text_literally(language: str, fmt: str) -> None:
    points = [
        MatrixPoint(
            code=f"t{i}",
            label=f"{DOLLARS} {i}",
            dimension="ESG"[i % 3],
            x=1.5 + i * 0.5,
            y=4.5 - i * 0.5,
            x_ci=(1.2 + i * 0.5, 1.8 + i * 0.5),
            y_ci=(4.2 - i * 0.5, 4.8 - i * 0.5),
            tooltip=DOLLARS,
        )
        for i in range(6)
    ]
    spec = MatrixSpec(
        points=points,
        title=DOLLARS,
        x_label=DOLLARS,
        y_label=DOLLARS,
        footnote=f"n = 6 · {DOLLARS}",
        dimension_labels={"E": DOLLARS, "S": DOLLARS, "G": DOLLARS},
        x_threshold=3.0,
        y_threshold=3.0,
        zone_label=DOLLARS,
        show_ci=True,
        language=language,
    )
    figure = matrix_figure(spec)
    render_figure(figure, fmt)
    drawn = dollar_texts(figure)
    assert f"{DOLLARS} 0" in {t.get_text() for t in drawn}
    assert not [t for t in drawn if t.get_parse_math()]
