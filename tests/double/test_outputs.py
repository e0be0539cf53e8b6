"""The outputs of an approved DMA, read from its snapshot: final conclusions honour the
decisions in force, the ESRS outputs are refused while climate change is not material
and unexplained, the exchange output has the 21 topics and is refused until each has a
result (a topic not applicable with a reason)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from materiality.double.models import (
    DmaAction,
    DmaApproval,
    DoubleAssessment,
    Matter,
    TopicOutcome,
    TopicResult,
)
from materiality.double.outputs.guidance import ARTICLE5_KEY, E1_KEY
from materiality.double.outputs.selectors import DmaOutputs, dma_outputs, outputs_available
from materiality.double.outputs.services import (
    TopicChoice,
    checklist_note_save,
    disclosure_save,
    topic_results_save,
)
from materiality.double.scoring import Settings
from tests.double.outputs_setup import approve_dma

pytestmark = pytest.mark.django_db


@pytest.fixture
def approval(dma: DoubleAssessment, esg_user: Any, decider_user: Any) -> DmaApproval:
    return approve_dma(dma, esg_user, decider_user)


@pytest.fixture
def climate_off(dma: DoubleAssessment, esg_user: Any, decider_user: Any) -> DmaApproval:
    return approve_dma(dma, esg_user, decider_user, climate_off=True)


def outputs_of(dma: DoubleAssessment, language: str = "en") -> DmaOutputs:
    dma.refresh_from_db()
    approval = outputs_available(dma)
    assert approval is not None
    return dma_outputs(dma, approval, language)


def topic(code: str) -> Matter:
    return Matter.objects.get(pack__code="cn-exchanges-2024", code=code)


def row_of(outputs: DmaOutputs, name: str) -> Any:
    return next(row for row in outputs.matters if row.name == name)


def test_no_outputs_before_approval(dma: DoubleAssessment, esg_user: Any) -> None:
    assert outputs_available(dma) is None
    with pytest.raises(ValidationError, match="approved"):
        disclosure_save(dma=dma, key=E1_KEY, text={"en": "x"}, actor=esg_user)


def test_the_approved_result_with_climate_material(
    dma: DoubleAssessment, approval: DmaApproval
) -> None:
    outputs = outputs_of(dma)
    assert outputs.iro2 is not None
    assert outputs.iro2.e1_material
    assert outputs.esrs_missing == []
    assert [r.reference for r in outputs.register] == ["IRO-001", "IRO-002"]
    privacy = next(r for r in outputs.register if r.reference == "IRO-001")
    assert privacy.score == 3
    assert "human rights" in privacy.character
    assert privacy.value_chain == "Own operations"
    assert privacy.source == "Risk register"
    names = [m.name for m in outputs.iro2.matters]
    assert "Climate change" in names
    assert "Consumers and end-users" in names
    assert {p.code for p in outputs.iro1} == set("abcdefgh")


def test_iro1_lists_each_methodology_version_with_who_when_and_what_changed(
    dma: DoubleAssessment, esg_user: Any, decider_user: Any
) -> None:
    settings = Settings().as_dict() | {"resamples": 4000}
    approve_dma(dma, esg_user, decider_user, new_methodology=settings)
    [point] = [p for p in outputs_of(dma).iro1 if p.code == "h"]
    first, second = point.known[1:]
    assert first.startswith("Version 1 (")
    assert first.endswith("esg-member): first version, frozen when rating started.")
    assert second.startswith("Version 2 (")
    assert "More resamples." in second
    assert "Changed: " in second
    assert "→ 4,000" in second


def test_a_decision_in_force_wins_and_both_are_shown(
    dma: DoubleAssessment, climate_off: DmaApproval
) -> None:
    outputs = outputs_of(dma)
    risk_matter = next(r for r in outputs.matters if r.financial_score is not None)
    assert risk_matter.computed
    assert not risk_matter.material
    assert risk_matter.differs
    climate = row_of(outputs, "Climate change")
    assert climate.computed
    assert not climate.material
    assert [r.reference for r in outputs.register] == ["IRO-001"]
    assert outputs.iro2 is not None
    assert not outputs.iro2.e1_material


def test_climate_not_material_refuses_the_esrs_outputs_until_explained(
    dma: DoubleAssessment, climate_off: DmaApproval, esg_user: Any
) -> None:
    missing = outputs_of(dma).esrs_missing
    assert len(missing) == 1
    assert "Climate change (E1) is not material" in missing[0]
    disclosure_save(
        dma=dma,
        key=E1_KEY,
        text={"en": "No data centres of our own.", "zh-hans": "公司没有自有数据中心。"},
        actor=esg_user,
    )
    assert outputs_of(dma).esrs_missing == []
    assert outputs_of(dma, "zh-hans").iro2.e1_explanation == "公司没有自有数据中心。"  # type: ignore[union-attr]
    event = dma.events.get(action=DmaAction.DISCLOSURE_SAVED)
    assert event.details["text"] == E1_KEY
    assert event.actor == esg_user


def test_the_exchange_output_has_the_21_topics_prefilled(
    dma: DoubleAssessment, approval: DmaApproval
) -> None:
    exchange = outputs_of(dma).exchange
    assert exchange is not None
    assert len(exchange.topics) == 21
    assert exchange.topics[0].name == "Addressing climate change"
    assert exchange.topics[0].reference == "Art. 21–28"
    by_code = {row.matter.code: row for row in exchange.topics}
    assert by_code["climate-change"].prefill == TopicOutcome.FINANCIAL
    assert by_code["data-security-privacy"].prefill == TopicOutcome.IMPACT
    assert by_code["rural-revitalisation"].prefill == ""
    assert [row.matter.code for row in exchange.checklist_topics] == ["climate-change"]
    assert len(exchange.checklist_topics[0].checklist) == 4
    # 18 topics without a result: refused, every one named
    assert len(exchange.missing) == 1
    assert "18 topics have no result" in exchange.missing[0]
    assert "Rural revitalisation" in exchange.missing[0]
    assert "Article 5" in exchange.article5
    assert not exchange.article5_written


def _fill_the_rest(dma: DoubleAssessment, user: Any, **overrides: TopicChoice) -> None:
    exchange = outputs_of(dma).exchange
    assert exchange is not None
    choices = [
        overrides.get(row.matter.code.replace("-", "_"))
        or TopicChoice(matter=row.matter, outcome=TopicOutcome.NOT_MATERIAL)
        for row in exchange.topics
        if not row.prefill and not row.set_by_team
    ]
    topic_results_save(dma=dma, choices=choices, language="en", actor=user)


def test_every_topic_with_a_result_lets_the_exchange_output_out(
    dma: DoubleAssessment, approval: DmaApproval, esg_user: Any
) -> None:
    _fill_the_rest(dma, esg_user)
    exchange = outputs_of(dma).exchange
    assert exchange is not None
    assert exchange.missing == []
    assert dma.events.filter(action=DmaAction.TOPIC_RESULT_SET).count() == 18


def test_not_applicable_needs_a_reason(
    dma: DoubleAssessment, approval: DmaApproval, esg_user: Any
) -> None:
    rural = TopicChoice(matter=topic("rural-revitalisation"), outcome="not_applicable")
    with pytest.raises(ValidationError, match="say why it is not applicable"):
        _fill_the_rest(dma, esg_user, rural_revitalisation=rural)
    assert not TopicResult.objects.filter(dma=dma).exists()  # nothing saved at all
    # One written without the service (in a shell, say) is still refused by the output.
    TopicResult.objects.create(
        dma=dma, matter=topic("rural-revitalisation"), outcome="not_applicable"
    )
    _fill_the_rest(dma, esg_user)
    exchange = outputs_of(dma).exchange
    assert exchange is not None
    assert exchange.missing == ["A topic not applicable needs a reason: Rural revitalisation."]
    reasoned = TopicChoice(
        matter=topic("rural-revitalisation"), outcome="not_applicable", reason="Urban only."
    )
    topic_results_save(dma=dma, choices=[reasoned], language="en", actor=esg_user)
    assert outputs_of(dma).exchange.missing == []  # type: ignore[union-attr]


def test_a_result_against_the_approved_one_needs_a_reason(
    dma: DoubleAssessment, approval: DmaApproval, esg_user: Any
) -> None:
    climate = topic("climate-change")
    with pytest.raises(ValidationError, match="differs from the approved results"):
        topic_results_save(
            dma=dma, choices=[TopicChoice(climate, TopicOutcome.BOTH)], language="en"
        )
    topic_results_save(
        dma=dma,
        choices=[TopicChoice(climate, TopicOutcome.BOTH, "Our lending book")],
        language="en",
        actor=esg_user,
    )
    row = outputs_of(dma).exchange.topics[0]  # type: ignore[union-attr]
    assert row.outcome == TopicOutcome.BOTH
    assert row.set_by_team
    assert row.reason == "Our lending book"
    assert row.prefill == TopicOutcome.FINANCIAL


def test_texts_stay_editable_after_approval_and_are_in_the_trail(
    dma: DoubleAssessment, approval: DmaApproval, esg_user: Any
) -> None:
    disclosure_save(dma=dma, key=ARTICLE5_KEY, text={"en": "Our process."}, actor=esg_user)
    disclosure_save(dma=dma, key=ARTICLE5_KEY, text={"en": "Our process."}, actor=esg_user)
    checklist_note_save(
        dma=dma,
        matter=topic("climate-change"),
        notes={"governance": "The board's risk committee."},
        language="en",
        actor=esg_user,
    )
    exchange = outputs_of(dma).exchange
    assert exchange is not None
    assert exchange.article5 == "Our process."
    assert exchange.article5_written
    assert exchange.topics[0].checklist[0].note == "The board's risk committee."
    # an unchanged save records nothing
    assert dma.events.filter(action=DmaAction.DISCLOSURE_SAVED).count() == 2
    with pytest.raises(ValidationError):
        disclosure_save(dma=dma, key="anything", text={"en": "x"})
    with pytest.raises(ValidationError):
        checklist_note_save(
            dma=dma, matter=Matter.objects.get(pack__code="esrs-2023", code="E1"),
            notes={"governance": "x"}, language="en",
        )  # fmt: skip


def test_the_outputs_in_chinese(dma: DoubleAssessment, approval: DmaApproval) -> None:
    outputs = outputs_of(dma, "zh-hans")
    assert outputs.exchange is not None
    assert outputs.exchange.topics[0].name == "应对气候变化"
    assert any(r.title == "客户数据泄露" for r in outputs.register)
