"""Rating: every rule of ESRS 1 §§45–46 and §51 refused with its message, the accepted
cases, the append-only history and the ratings in force."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from materiality.double.models import DoubleAssessment, Iro, Rater, RaterRole, Rating
from materiality.double.ratings import current_ratings, rating_add, rating_history
from materiality.double.register import iro_create
from tests.double.conftest import iro_input

pytestmark = pytest.mark.django_db


def refused(**kwargs: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        rating_add(**kwargs)
    return caught.value.messages


def impact_of(dma: DoubleAssessment, **changes: Any) -> Iro:
    return iro_create(dma=dma, data=iro_input(**changes))


@pytest.fixture
def open_dma(dma: DoubleAssessment, impact: Iro, risk: Iro, esg_user: Any) -> DoubleAssessment:
    """Built before rating starts (IROs of every shape), then moved to rating."""
    for polarity in ("negative", "positive"):
        for actuality in ("actual", "potential"):
            impact_of(
                dma,
                polarity=polarity,
                actuality=actuality,
                human_rights=False,
                title={"en": f"{polarity} {actuality}"},
            )
    from materiality.double.methodology import dma_start_rating

    return dma_start_rating(dma=dma, actor=esg_user)


def titled(dma: DoubleAssessment, title: str) -> Iro:
    return dma.iros.get(title__en=title)


def test_a_negative_potential_impact_takes_scale_scope_irremediability_and_likelihood(
    open_dma: DoubleAssessment, impact: Iro, expert: Rater, esg_user: Any
) -> None:
    rating = rating_add(
        iro=impact,
        rater=expert,
        scale=4,
        scope=3,
        irremediability=5,
        likelihood=2,
        rationale=" Two incidents at peers last year. ",
        actor=esg_user,
    )
    assert (rating.scale, rating.scope, rating.irremediability, rating.likelihood) == (4, 3, 5, 2)
    assert rating.rationale == "Two incidents at peers last year."
    assert rating.methodology_version.number == 1
    assert rating.created_by == esg_user


def test_a_positive_impact_takes_no_irremediability(
    open_dma: DoubleAssessment, expert: Rater
) -> None:
    iro = titled(open_dma, "positive potential")
    messages = refused(
        iro=iro, rater=expert, scale=3, scope=3, irremediability=2, likelihood=3, rationale="r"
    )
    assert messages == ["A positive impact takes no irremediability (ESRS 1 §46)."]
    rating = rating_add(iro=iro, rater=expert, scale=3, scope=3, likelihood=3, rationale="r")
    assert rating.irremediability is None


def test_an_actual_impact_takes_no_likelihood(open_dma: DoubleAssessment, expert: Rater) -> None:
    iro = titled(open_dma, "negative actual")
    messages = refused(
        iro=iro, rater=expert, scale=3, scope=3, irremediability=2, likelihood=3, rationale="r"
    )
    assert messages == ["An actual impact takes no likelihood: it has happened (ESRS 1 §45)."]
    assert rating_add(iro=iro, rater=expert, scale=3, scope=3, irremediability=2, rationale="r")


def test_a_potential_impact_needs_a_likelihood_and_a_negative_one_its_irremediability(
    open_dma: DoubleAssessment, impact: Iro, expert: Rater
) -> None:
    assert refused(iro=impact, rater=expert, scale=3, scope=3, rationale="r") == [
        "Rate the irremediability of a negative impact (ESRS 1 §45).",
        "Rate the likelihood of a potential impact.",
    ]


def test_an_impact_needs_scale_and_scope_and_takes_no_financial_magnitude(
    open_dma: DoubleAssessment, expert: Rater
) -> None:
    iro = titled(open_dma, "positive actual")
    assert refused(iro=iro, rater=expert, magnitude=3, amount="10", rationale="r") == [
        "An impact is rated on scale, scope and irremediability, not on a financial "
        "magnitude or amount.",
        "Rate the scale.",
        "Rate the scope.",
    ]


def test_risks_and_opportunities_take_no_impact_criteria_and_need_magnitude_and_likelihood(
    open_dma: DoubleAssessment, risk: Iro, expert: Rater
) -> None:
    assert refused(iro=risk, rater=expert, scale=3, irremediability=2, rationale="r") == [
        "Risks and opportunities take no impact criteria (scale, scope, irremediability).",
        "Rate the financial magnitude.",
        "Rate the likelihood.",
    ]
    rating = rating_add(
        iro=risk, rater=expert, magnitude=4, likelihood=3, amount="2500000.5", rationale="r"
    )
    assert (rating.magnitude, rating.likelihood, rating.amount) == (4, 3, Decimal("2500000.50"))


def test_a_negative_amount_or_a_level_outside_1_to_5_is_refused(
    open_dma: DoubleAssessment, risk: Iro, expert: Rater
) -> None:
    assert refused(
        iro=risk, rater=expert, magnitude=6, likelihood=0, amount="-1", rationale="r"
    ) == [
        "Rate likelihood from 1 to 5.",
        "Rate financial magnitude from 1 to 5.",
        "Enter the amount as a number of zero or more.",
    ]
    assert refused(
        iro=risk, rater=expert, magnitude=2, likelihood=2, amount="lots", rationale="r"
    ) == ["Enter the amount as a number of zero or more."]


def test_stakeholder_representatives_rate_impacts_but_no_financial_criteria(
    open_dma: DoubleAssessment, impact: Iro, risk: Iro, representative: Rater
) -> None:
    assert refused(iro=risk, rater=representative, magnitude=3, likelihood=3, rationale="r") == [
        "Stakeholder representatives do not rate financial criteria."
    ]
    assert rating_add(
        iro=impact, rater=representative, scale=2, scope=2, irremediability=2, likelihood=2,
        rationale="As customers see it.",
    )  # fmt: skip


def test_a_rating_needs_a_rationale(open_dma: DoubleAssessment, risk: Iro, expert: Rater) -> None:
    assert refused(iro=risk, rater=expert, magnitude=3, likelihood=3, rationale="  ") == [
        "Give a rationale for the rating."
    ]


def test_ratings_are_taken_only_in_the_rating_step_for_ratable_iros_by_the_dmas_raters(
    dma: DoubleAssessment, impact: Iro, expert: Rater, esg_user: Any
) -> None:
    values = {"scale": 3, "scope": 3, "irremediability": 3, "likelihood": 3, "rationale": "r"}
    assert refused(iro=impact, rater=expert, **values) == [
        "Ratings are taken only while the assessment is in its rating step.",
        "The methodology has not been frozen: start the rating step first.",
    ]
    unratable = impact_of(dma, horizons=[])
    from materiality.double.methodology import dma_start_rating

    dma_start_rating(dma=dma, actor=esg_user)
    unratable.refresh_from_db()
    assert refused(iro=unratable, rater=expert, **values) == [
        "An IRO without a time horizon cannot be rated: choose at least one."
    ]
    other_dma_rater = Rater(dma_id=dma.pk + 1000, name="Elsewhere", role=RaterRole.INTERNAL_EXPERT)
    assert refused(iro=impact, rater=other_dma_rater, **values) == [
        "This rater is not assigned to this assessment."
    ]


def test_a_change_is_a_new_rating_and_the_history_keeps_both(
    open_dma: DoubleAssessment, risk: Iro, expert: Rater
) -> None:
    first = rating_add(iro=risk, rater=expert, magnitude=2, likelihood=2, rationale="first")
    second = rating_add(iro=risk, rater=expert, magnitude=4, likelihood=3, rationale="second")
    assert list(rating_history(risk, expert)) == [second, first]
    first.rationale = "rewritten"
    with pytest.raises(ValueError, match="never changed"):
        first.save()
    assert Rating.objects.get(pk=first.pk).rationale == "first"


def test_current_ratings_are_the_latest_per_iro_and_rater_in_one_query(
    open_dma: DoubleAssessment,
    impact: Iro,
    risk: Iro,
    expert: Rater,
    representative: Rater,
    django_assert_num_queries: Any,
) -> None:
    impact_values = {"scale": 3, "scope": 3, "irremediability": 3}
    for likelihood in (1, 2, 5):
        rating_add(iro=impact, rater=expert, likelihood=likelihood, rationale="r", **impact_values)
    rating_add(iro=impact, rater=representative, likelihood=4, rationale="r", **impact_values)
    rating_add(iro=risk, rater=expert, magnitude=1, likelihood=1, rationale="r")
    latest_risk = rating_add(iro=risk, rater=expert, magnitude=5, likelihood=5, rationale="r")
    with django_assert_num_queries(1):
        current = [
            (r.iro.reference, r.rater.name, r.likelihood, r.methodology_version.number)
            for r in current_ratings(open_dma)
        ]
    assert current == [
        ("IRO-001", "Customer panel", 4, 1),
        ("IRO-001", "Wang", 5, 1),
        ("IRO-002", "Wang", 5, 1),
    ]
    assert latest_risk in current_ratings(open_dma)
