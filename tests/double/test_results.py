"""A DMA's results from its ratings in force: hand-worked scores (docs/methodology.md
§16), the roll-up to matters, the survey's scores beside them, and the queries it takes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from materiality.double.methodology import dma_start_rating, methodology_freeze
from materiality.double.models import DoubleAssessment, Iro, Rater, RaterRole
from materiality.double.ratings import rating_add
from materiality.double.register import iro_create
from materiality.double.results import MatterResult, dma_results
from materiality.double.scoring import Flag, reported
from materiality.models import AggregationRun, StakeholderGroup
from materiality.runs.selectors import group_scores, run_scores
from tests.double.conftest import iro_input, matter, risk_input

pytestmark = pytest.mark.django_db

# Three raters who disagree on every criterion of an impact (levels 1-5).
DISAGREEING = [
    {"scale": 4, "scope": 3, "irremediability": 2, "likelihood": 3},
    {"scale": 5, "scope": 4, "irremediability": 3, "likelihood": 4},
    {"scale": 3, "scope": 4, "irremediability": 5, "likelihood": 2},
]


@pytest.fixture
def panel(rating_dma: DoubleAssessment) -> list[Rater]:
    return [
        Rater.objects.create(dma=rating_dma, name=name, role=RaterRole.INTERNAL_EXPERT)
        for name in ("A", "B", "C")
    ]


def rate(iro: Iro, raters: list[Rater], levels: list[dict[str, int]]) -> None:
    for rater, values in zip(raters, levels, strict=True):
        rating_add(iro=iro, rater=rater, rationale="because", **values)


def row(results: Any, code: str) -> MatterResult:
    return next(m for m in results.matters if m.matter.code == code)


def test_raters_who_disagree_are_scored_from_their_medians(
    rating_dma: DoubleAssessment, panel: list[Rater]
) -> None:
    iro = iro_create(dma=rating_dma, data=iro_input(human_rights=False, reference="IRO-100"))
    rate(iro, panel, DISAGREEING)

    result = next(r for r in row(dma_results(rating_dma), "S4.1.1").iros if r.iro == iro)

    score = result.score
    assert score is not None
    # Medians: scale 4, scope 4, irremediability 3, likelihood 3 (p = 0.5).
    assert dict(score.medians) == {
        "scale": 4,
        "scope": 4,
        "irremediability": 3,
        "likelihood": 3,
    }
    assert score.p == Decimal("0.5")
    # S = (mean(4, 4, 3) + max) / 2 = (11/3 + 4) / 2 = 23/6; capped: (23/6 + 2.5) / 2 = 19/6.
    assert reported(score.base) == Decimal("3.83")
    assert reported(score.score.final) == Decimal("3.17")
    assert score.material
    assert Flag.NEAR_THRESHOLD in score.flags  # 19/6 - 3 = 1/6 <= 0.25
    assert Flag.FEW_RATERS not in score.flags
    assert result.flags[0] == "near the threshold"
    assert result.explanation[:2] == [
        "A potential impact: severity S combined with the likelihood p.",
        "Severity is the average of the criteria's mean and their maximum.",
    ]
    assert "Medians across 3 raters: scale 4, scope 4, irremediability 3, likelihood 3." in (
        result.explanation
    )
    assert result.explanation[-1].startswith("score = min(S, (S + 5p) / 2) = ")


def test_a_potential_human_rights_impact_scores_its_severity(
    rating_dma: DoubleAssessment, impact: Iro, panel: list[Rater]
) -> None:
    assert impact.human_rights
    assert impact.actuality == "potential"
    rate(impact, panel, DISAGREEING)

    result = next(r for r in row(dma_results(rating_dma), "S4.1.1").iros if r.iro == impact)

    assert result.score is not None
    assert result.score.score.final == result.score.base  # S, likelihood set aside
    assert reported(result.score.score.final) == Decimal("3.83")
    assert result.explanation[0].startswith("A potential negative human-rights impact")


def test_a_score_exactly_at_the_threshold_is_material(
    rating_dma: DoubleAssessment, panel: list[Rater], esg_user: Any
) -> None:
    methodology_freeze(
        dma=rating_dma,
        settings={"severity_rule": "mean", "potential_rule": "product"},
        actor=esg_user,
        note="The product rule, as the team's previous tool used.",
    )
    iro = iro_create(dma=rating_dma, data=iro_input(human_rights=False, reference="IRO-101"))
    # mean(3, 3, 4) x 0.9 = 10/3 x 9/10 = 3 exactly, never 2.9999999999999996.
    rate(iro, panel, [{"scale": 3, "scope": 3, "irremediability": 4, "likelihood": 5}] * 3)

    results = dma_results(rating_dma)
    privacy = row(results, "S4.1.1")

    assert results.methodology is not None
    assert results.methodology.number == 2
    assert privacy.impact.score == Decimal("3") == results.impact_threshold
    assert privacy.impact.interval == (Decimal("3"), Decimal("3"))  # all agree
    assert privacy.impact.material
    assert privacy.material


def test_the_roll_up_takes_the_maximum_and_a_parent_is_material_with_its_child(
    rating_dma: DoubleAssessment, impact: Iro, risk: Iro, panel: list[Rater]
) -> None:
    low = iro_create(dma=rating_dma, data=iro_input(reference="IRO-102", actuality="actual"))
    rate(impact, panel, DISAGREEING)  # 23/6
    rate(low, panel, [{"scale": 2, "scope": 1, "irremediability": 1}] * 3)  # (4/3 + 2) / 2
    rate(risk, panel[:2], [{"magnitude": 3, "likelihood": 4}] * 2)  # min(3, 3.25) = 3

    results = dma_results(rating_dma)
    codes = [m.matter.code for m in results.matters]

    privacy, climate = row(results, "S4.1.1"), row(results, "E1.2")
    assert reported(privacy.impact.score or Decimal(0)) == Decimal("3.83")
    assert privacy.financial.score is None
    assert climate.financial.score == Decimal("3")
    assert climate.flags == ["near the threshold", "fewer than 3 raters"]
    # Tree order: each matter after the one above it, and material because of it.
    assert codes.index("S4") < codes.index("S4.1") < codes.index("S4.1.1")
    assert codes.index("E1") < codes.index("E1.2")
    assert row(results, "S4").material
    assert row(results, "S4").depth == 0
    assert row(results, "S4.1.1").depth == 2


def test_an_unrated_iro_says_so_and_the_others_are_still_scored(
    rating_dma: DoubleAssessment, impact: Iro, risk: Iro, panel: list[Rater]
) -> None:
    rate(impact, panel, DISAGREEING)

    results = dma_results(rating_dma)

    (unrated,) = row(results, "E1.2").iros
    assert (unrated.score, unrated.problem) == (None, "Not rated yet.")
    assert row(results, "S4.1.1").iros[0].score is not None


def test_each_matter_shows_the_survey_scores_of_the_topics_it_crosswalks_to(
    rating_dma: DoubleAssessment, impact: Iro, panel: list[Rater], scored_run: AggregationRun
) -> None:
    DoubleAssessment.objects.filter(pk=rating_dma.pk).update(
        survey_assessment=scored_run.assessment
    )
    rating_dma.refresh_from_db()
    rate(impact, panel, DISAGREEING)

    results = dma_results(rating_dma)

    assert results.run == scored_run
    (evidence,) = row(results, "S4.1.1").evidence
    stored = next(
        r for r in run_scores(scored_run) if r.score.topic.code == "data-security-privacy"
    )
    assert evidence.name == stored.name
    assert evidence.coverage == "Full"
    assert (evidence.company, evidence.stakeholder) == (
        stored.score.company_mean,
        stored.score.stakeholder_mean,
    )
    customers = StakeholderGroup.objects.get(code="customers")
    by_topic = {t.code: stats for t, stats in group_scores(scored_run, customers)}
    shown = next(g for g in evidence.groups if g.name == customers.get_name())
    assert shown.company == by_topic["data-security-privacy"]["company"]["mean"]
    assert shown.stakeholder == by_topic["data-security-privacy"]["stakeholder"]["mean"]
    # The topic above it (S4) crosswalks to customer service.
    assert [e.name for e in row(results, "S4").evidence]


def test_the_results_take_the_same_few_queries_however_many_iros_and_raters(
    rating_dma: DoubleAssessment,
    panel: list[Rater],
    scored_run: AggregationRun,
    django_assert_num_queries: Any,
) -> None:
    DoubleAssessment.objects.filter(pk=rating_dma.pk).update(
        survey_assessment=scored_run.assessment
    )
    rating_dma.refresh_from_db()
    for number, code in enumerate(("S4.1.1", "S4.1.2", "S1.1.1", "E1.1")):
        iro = iro_create(
            dma=rating_dma,
            data=iro_input(matter=matter(code), human_rights=False, reference=f"IRO-2{number}"),
        )
        rate(iro, panel, DISAGREEING)
    risk = iro_create(dma=rating_dma, data=risk_input(reference="IRO-300"))
    rate(risk, panel, [{"magnitude": 4, "likelihood": 3, "amount": 2_000_000}] * 3)

    # The methodology, IROs, ratings, matters, crosswalk, survey run, its topic scores
    # and its group scores.
    with django_assert_num_queries(8):
        results = dma_results(rating_dma)
        assert sum(len(m.evidence) for m in results.matters) >= 4
    priced = next(r for r in row(results, "E1.2").iros if r.iro == risk)
    assert priced.explanation[-1] == ("Expected amount: the median amount × p = 1,000,000.00.")


def test_the_results_page_names_the_confidence_level_of_its_intervals(
    dma: DoubleAssessment, impact: Iro, esg_user: Any
) -> None:
    dma.methodology_draft = {**dma.methodology_draft, "confidence": "0.9"}
    dma.save(update_fields=["methodology_draft"])
    dma_start_rating(dma=dma, actor=esg_user)
    client = Client(headers={"accept-language": "en"})
    client.force_login(esg_user)

    page = client.get(reverse("double:results", args=[dma.pk])).text

    assert "<dt>Confidence level of the intervals</dt><dd>90%</dd>" in page
    assert "95%" not in page
