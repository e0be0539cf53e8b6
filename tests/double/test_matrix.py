"""The double materiality matrix of a DMA (materiality/double/matrix_files.py) and its
page (/dma/<pk>/matrix.<fmt>): which figures it is drawn from (the approval's snapshot,
else the live results; a decision's final value over the computed one), who may see it,
and what a bad address gets."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from PIL import Image
from redis.exceptions import RedisError

from materiality.double import matrix_files
from materiality.double.matrix_files import dma_matrix_file, dma_matrix_points, dma_matrix_spec
from materiality.double.models import DoubleAssessment, Iro, Perspective, Rater, RaterRole
from materiality.double.review import dma_approve, dma_close_rating, dma_submit_for_review
from materiality.plots.dma_matrix import dma_matrix_figure
from tests.double.conftest import matter
from tests.double.test_review import client_of, note, rate_impact, rate_risk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def scored(rating_dma: DoubleAssessment, impact: Iro, risk: Iro, esg_user: Any) -> DoubleAssessment:
    """Rated and closed: privacy (S4.1.1, under S4) has an impact of 3.00, flagged at the
    threshold; E1.2 (under E1) a risk of 4.75."""
    panel = [
        Rater.objects.create(dma=rating_dma, name=name, role=RaterRole.INTERNAL_EXPERT)
        for name in ("A", "B", "C")
    ]
    rate_impact(impact, panel)
    rate_risk(risk, panel)
    return dma_close_rating(dma=rating_dma, actor=esg_user)


def approve(dma: DoubleAssessment, esg_user: Any, decider_user: Any) -> None:
    dma_submit_for_review(dma=dma, actor=esg_user)
    dma_approve(dma=dma, actor=decider_user)
    dma.refresh_from_db()


def by_code(dma: DoubleAssessment, language: str = "en", **options: Any) -> dict[str, Any]:
    return {point.code: point for point in dma_matrix_points(dma, language, **options)}


def test_a_topic_is_placed_by_the_matters_under_it(scored: DoubleAssessment) -> None:
    points = by_code(scored)
    assert set(points) == {"S4", "E1"}  # the topics, at the top of the tree
    s4, e1 = points["S4"], points["E1"]
    assert (s4.impact, s4.financial) == (Decimal("3.00"), None)
    assert s4.material
    assert s4.needs_judgement
    assert s4.name == "Consumers and end-users"
    assert (e1.impact, e1.financial) == (None, Decimal("4.75"))
    assert e1.material
    assert not e1.needs_judgement
    # Every matter with a score of its own, when asked.
    assert set(by_code(scored, top_level_only=False)) == {"S4.1.1", "E1.2"}


def test_names_are_in_the_language_asked(scored: DoubleAssessment) -> None:
    points = by_code(scored, "zh-hans")
    assert points["S4"].name == "消费者和终端用户"
    spec = dma_matrix_spec(scored, "zh-hans")
    assert spec.language == "zh-hans"
    with pytest.raises(ValueError, match="language"):
        dma_matrix_points(scored, "fr")


def test_a_decision_in_force_wins_over_the_computed_figures(
    scored: DoubleAssessment, esg_user: Any, decider_user: Any
) -> None:
    note(
        scored,
        esg_user,
        perspective=Perspective.IMPACT,
        final_value="2.50",
        material_final=False,
        reason="Remote",
        approver=decider_user,
    )
    s4 = by_code(scored)["S4"]
    assert s4.impact == Decimal("2.50")
    assert s4.impact_interval is None  # the interval is the computed score's
    assert not s4.material
    # And in the approved snapshot alike.
    approve(scored, esg_user, decider_user)
    s4 = by_code(scored)["S4"]
    assert (s4.impact, s4.material) == (Decimal("2.50"), False)


def test_an_approved_dma_is_drawn_from_its_snapshot(
    scored: DoubleAssessment,
    esg_user: Any,
    decider_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert dma_matrix_spec(scored, "en").title == "Double materiality matrix (provisional)"
    note(scored, esg_user)
    approve(scored, esg_user, decider_user)

    def live(*args: Any) -> None:
        raise AssertionError("an approved DMA's matrix reads its approval, not live results")

    monkeypatch.setattr(matrix_files, "dma_results", live)
    spec = dma_matrix_spec(scored, "en")
    assert spec.title == "Double materiality matrix"
    assert "approved" in spec.footnote
    assert {p.code for p in spec.points} == {"S4", "E1"}
    assert (spec.impact_threshold, spec.financial_threshold) == (Decimal("3.00"), Decimal("3.00"))
    fig = dma_matrix_figure(spec)
    (title,) = [t for t in fig.texts if t.get_gid() == "matrix-title"]
    assert title.get_text() == "Double materiality matrix"


def test_an_approved_file_is_kept_and_a_provisional_one_drawn_each_time(
    scored: DoubleAssessment,
    esg_user: Any,
    decider_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[str] = []
    render = matrix_files.render_dma_matrix

    def counting(spec: Any, fmt: str) -> bytes:
        drawn.append(fmt)
        return render(spec, fmt)

    monkeypatch.setattr(matrix_files, "render_dma_matrix", counting)
    first = dma_matrix_file(scored, fmt="png", language="en")
    assert dma_matrix_file(scored, fmt="png", language="en") == first
    assert drawn == ["png", "png"]
    note(scored, esg_user)
    approve(scored, esg_user, decider_user)
    drawn.clear()
    approved = dma_matrix_file(scored, fmt="svg", language="zh-hans")
    assert dma_matrix_file(scored, fmt="svg", language="zh-hans") == approved
    assert drawn == ["svg"]
    dma_matrix_file(scored, fmt="svg", language="en")
    assert drawn == ["svg", "svg"]


FILES = [
    ("png", "image/png", b"\x89PNG"),
    ("svg", "image/svg+xml", b"<?xml"),
    ("pdf", "application/pdf", b"%PDF"),
]


@pytest.mark.parametrize(("fmt", "content_type", "start"), FILES)
def test_the_matrix_page_serves_each_format(
    scored: DoubleAssessment, esg_user: Any, fmt: str, content_type: str, start: bytes
) -> None:
    response = client_of(esg_user).get(reverse("double:matrix", args=[scored.pk, fmt]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response.content.startswith(start)
    assert response["Content-Disposition"] == f'inline; filename="dma{scored.pk}-matrix-en.{fmt}"'
    download = client_of(esg_user).get(
        reverse("double:matrix", args=[scored.pk, fmt]), {"lang": "zh-hans", "download": "1"}
    )
    assert download["Content-Disposition"].startswith("attachment;")
    assert f"-zh-hans.{fmt}" in download["Content-Disposition"]


def test_the_matrix_follows_the_page_language_and_names_never_codes(
    scored: DoubleAssessment, decider_user: Any
) -> None:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(decider_user)
    svg = client.get(reverse("double:matrix", args=[scored.pk, "svg"])).content.decode()
    assert "消费者和终端用户" in svg
    assert ">S4<" not in svg


def test_a_bad_format_or_language_gets_a_message(scored: DoubleAssessment, esg_user: Any) -> None:
    client = client_of(esg_user)
    response = client.get(reverse("double:matrix", args=[scored.pk, "jpeg"]))
    assert response.status_code == 404
    assert "PNG, SVG or PDF" in response.text
    response = client.get(reverse("double:matrix", args=[scored.pk, "png"]), {"lang": "fr"})
    assert response.status_code == 400
    assert "lang=zh-hans" in response.text
    assert client.post(reverse("double:matrix", args=[scored.pk, "png"])).status_code == 405
    assert client.get(reverse("double:matrix", args=[scored.pk + 1000, "png"])).status_code == 404


def test_only_who_may_view_the_dma_sees_its_matrix(
    scored: DoubleAssessment, outsider_user: Any
) -> None:
    url = reverse("double:matrix", args=[scored.pk, "png"])
    assert client_of(outsider_user).get(url).status_code == 403
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))


def test_a_name_like_mathtext_does_not_break_the_matrix(
    scored: DoubleAssessment, esg_user: Any
) -> None:
    topic = matter("S4")
    topic.name = {"en": "Pay $x^$", "zh-hans": "费用 $x^$"}
    topic.save(update_fields=["name"])
    response = client_of(esg_user).get(reverse("double:matrix", args=[scored.pk, "png"]))
    assert response.status_code == 200
    assert by_code(scored)["S4"].name == "Pay $x^$"


def test_the_results_page_shows_the_matrix_with_its_downloads(
    scored: DoubleAssessment, esg_user: Any
) -> None:
    page = client_of(esg_user).get(reverse("double:results", args=[scored.pk])).text
    png = reverse("double:matrix", args=[scored.pk, "png"])
    assert f'<img class="matrix" src="{png}" width="880" height="715"' in page
    assert 'alt="Double materiality matrix: each topic placed by its impact score' in page
    assert f'href="{reverse("double:matrix", args=[scored.pk, "svg"])}"' in page
    assert f'href="{reverse("double:matrix", args=[scored.pk, "pdf"])}?download=1"' in page
    assert "?lang=zh-hans&amp;download=1" in page


def test_a_300_dpi_png_for_printed_documents_is_made_but_not_served(
    scored: DoubleAssessment, esg_user: Any
) -> None:
    png = dma_matrix_file(scored, fmt="png-print", language="en")
    assert Image.open(io.BytesIO(png)).size == (2400, 1950)
    url = reverse("double:matrix", args=[scored.pk, "png-print"])
    assert client_of(esg_user).get(url).status_code == 404
    with pytest.raises(ValueError, match="format"):
        dma_matrix_file(scored, fmt="jpeg", language="en")


def test_an_approved_matrix_is_drawn_when_the_cache_is_away(
    scored: DoubleAssessment,
    esg_user: Any,
    decider_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    note(scored, esg_user)
    approve(scored, esg_user, decider_user)

    def away(*args: Any, **kwargs: Any) -> None:
        raise RedisError("connection refused")

    monkeypatch.setattr(matrix_files.cache, "get", away)
    monkeypatch.setattr(matrix_files.cache, "set", away)
    assert dma_matrix_file(scored, fmt="png", language="en").startswith(b"\x89PNG")
