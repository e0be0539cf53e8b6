"""The IRO register: what can be entered, what is refused and why, and what can be rated."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from materiality.double.company_matters import dma_matters, matter_add
from materiality.double.models import NATURE, DmaFrameworks, DmaStatus, DoubleAssessment, Iro
from materiality.double.register import iro_create, iro_input, iro_ratable, iro_update
from materiality.double.setup import DmaInput, dma_create
from tests.double.conftest import iro_input as impact_input
from tests.double.conftest import matter, risk_input

pytestmark = pytest.mark.django_db


def refused(call: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.messages


def test_an_impact_is_stored_with_a_generated_reference_and_lists_in_order(
    dma: DoubleAssessment, esg_user: Any
) -> None:
    iro = iro_create(
        dma=dma,
        data=impact_input(
            horizons=["long", "short", "long"],
            value_chain=["downstream", "upstream"],
            stakeholders=["Customers", " Nature ", "Customers"],
        ),
        actor=esg_user,
    )
    assert iro.reference == "IRO-001"
    assert iro.horizons == ["short", "long"]
    assert iro.value_chain == ["upstream", "downstream"]
    assert iro.stakeholders == ["Customers", NATURE]
    assert iro.created_by == esg_user
    assert iro_create(dma=dma, data=risk_input()).reference == "IRO-002"


def test_a_dma_of_one_framework_offers_only_that_pack_and_its_own_matters(esg_user: Any) -> None:
    from datetime import date

    dma = dma_create(
        data=DmaInput(
            name={"en": "Exchanges only"},
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            frameworks=DmaFrameworks.EXCHANGES,
        )
    )
    assert list(dma.packs.values_list("code", flat=True)) == ["cn-exchanges-2024"]
    assert dma_matters(dma).count() == 21
    messages = refused(iro_create, dma=dma, data=impact_input())
    assert "The matter is not one of this assessment's matters." in messages


def test_an_impact_without_polarity_or_actuality_is_refused_with_both_messages(
    dma: DoubleAssessment,
) -> None:
    messages = refused(iro_create, dma=dma, data=impact_input(polarity="", actuality=""))
    assert messages == [
        "Say whether the impact is negative or positive.",
        "Say whether the impact is actual or potential.",
    ]


def test_a_risk_described_as_an_impact_is_refused(dma: DoubleAssessment) -> None:
    messages = refused(iro_create, dma=dma, data=risk_input(polarity="negative", human_rights=True))
    assert messages == [
        "Risks and opportunities are not negative or positive, actual or potential, caused "
        "or linked, nor human-rights impacts: those describe impacts."
    ]


def test_unknown_codes_a_missing_title_and_blank_stakeholders_are_all_reported(
    dma: DoubleAssessment,
) -> None:
    messages = refused(
        iro_create,
        dma=dma,
        data=impact_input(
            title={"en": "  "},
            value_chain=["midstream"],
            horizons=["forever"],
            stakeholders=[""],
            source="gossip",
            reference="no spaces",
        ),
    )
    assert messages == [
        "A reference is up to 32 letters, digits, dots, hyphens or underscores.",
        "Give the IRO a title.",
        "Say where the IRO came from.",
        "Value-chain stages are upstream, own operations and downstream.",
        "Time horizons are short, medium and long term.",
        "An affected stakeholder cannot be blank.",
    ]


def test_a_reference_is_unique_within_the_assessment(dma: DoubleAssessment, impact: Iro) -> None:
    messages = refused(iro_create, dma=dma, data=risk_input(reference=impact.reference))
    assert messages == ["The reference IRO-001 is already used in this assessment."]


def test_an_update_changes_the_iro_in_place(dma: DoubleAssessment, impact: Iro) -> None:
    updated = iro_update(iro=impact, data=iro_input(impact, actuality="actual", title={"en": "X"}))
    impact.refresh_from_db()
    assert (updated.pk, impact.actuality, impact.title) == (impact.pk, "actual", {"en": "X"})
    assert impact.reference == "IRO-001"


def test_the_register_is_frozen_in_review(dma: DoubleAssessment, impact: Iro) -> None:
    DoubleAssessment.objects.filter(pk=dma.pk).update(status=DmaStatus.REVIEW)
    impact.refresh_from_db()
    messages = refused(iro_update, iro=impact, data=iro_input(impact))
    assert messages == ["The register cannot change while the assessment is reviewed or approved."]


def test_an_iro_without_a_horizon_or_a_value_chain_stage_cannot_be_rated(
    dma: DoubleAssessment,
) -> None:
    impact = iro_create(dma=dma, data=impact_input(horizons=[], value_chain=[]))
    assert iro_ratable(impact) == [
        "An IRO without a time horizon cannot be rated: choose at least one.",
        "An IRO without a value-chain stage cannot be rated: choose at least one.",
    ]
    risk = iro_create(dma=dma, data=risk_input(value_chain=[], financial_effect={}))
    assert iro_ratable(risk) == [
        "An IRO without a value-chain stage cannot be rated: choose at least one.",
        "Describe the financial effect of a risk or opportunity before it is rated.",
    ]
    assert iro_ratable(iro_create(dma=dma, data=risk_input())) == []


def test_the_team_adds_a_company_specific_matter_and_an_iro_on_it(
    dma: DoubleAssessment, esg_user: Any
) -> None:
    own = matter_add(
        dma=dma,
        name={"en": "Fintech innovation", "zh-hans": "金融科技创新"},
        dimension="S",
        actor=esg_user,
    )
    assert (own.company_specific, own.pack, own.dma, own.level, own.code) == (
        True, None, dma, 1, "C001",
    )  # fmt: skip
    below = matter_add(dma=dma, name={"en": "Open banking"}, parent=own)
    assert (below.level, below.dimension, below.code) == (2, "S", "C002")
    iro = iro_create(dma=dma, data=risk_input(matter=below))
    assert iro.matter == below
    under_pack = matter_add(dma=dma, name={"en": "Cloud energy"}, parent=matter("E1"))
    assert under_pack.level == 2


def test_a_company_specific_matter_is_refused_without_a_name_or_below_a_sub_sub_topic(
    dma: DoubleAssessment,
) -> None:
    assert refused(matter_add, dma=dma, name={"en": " "}, dimension="S") == [
        "Give the matter a name."
    ]
    assert refused(matter_add, dma=dma, name={"en": "Deep"}, parent=matter("S1.1.1")) == [
        "A sub-sub-topic cannot have matters below it."
    ]
    assert refused(matter_add, dma=dma, name={"en": "No dimension"}) == [
        "Choose environmental, social or governance."
    ]
