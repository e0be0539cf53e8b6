"""Fixtures of the double materiality tests: a DMA on both packs, a few IROs, raters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.utils import translation

from materiality.double.methodology import dma_start_rating
from materiality.double.models import (
    DmaFrameworks,
    DoubleAssessment,
    Horizon,
    Iro,
    IroKind,
    IroSource,
    Matter,
    Rater,
    RaterRole,
    ValueChainStage,
)
from materiality.double.register import IroInput, iro_create
from materiality.double.setup import DmaInput, dma_create


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are compared in English, whatever the site's default language."""
    with translation.override("en"):
        yield


def matter(code: str, pack: str = "esrs-2023") -> Matter:
    return Matter.objects.get(pack__code=pack, code=code)


def iro_input(**changes: Any) -> IroInput:
    """A complete negative potential impact on S4 privacy, with `changes`."""
    values: dict[str, Any] = {
        "matter": matter("S4.1.1"),
        "kind": IroKind.IMPACT,
        "title": {"en": "Leak of customer data", "zh-hans": "客户数据泄露"},
        "source": IroSource.RISK_REGISTER,
        "polarity": "negative",
        "actuality": "potential",
        "human_rights": True,
        "value_chain": [ValueChainStage.OWN_OPERATIONS],
        "involvement": "caused",
        "horizons": [Horizon.SHORT, Horizon.MEDIUM],
        "stakeholders": ["Customers"],
    }
    values.update(changes)
    return IroInput(**values)


def risk_input(**changes: Any) -> IroInput:
    values: dict[str, Any] = {
        "matter": matter("E1.2"),
        "kind": IroKind.RISK,
        "title": {"en": "Carbon price on data centres", "zh-hans": "数据中心碳价成本"},
        "source": IroSource.REGULATION,
        "value_chain": [ValueChainStage.UPSTREAM],
        "horizons": [Horizon.LONG],
        "financial_effect": {"en": "Higher electricity costs", "zh-hans": "电费上升"},
    }
    values.update(changes)
    return IroInput(**values)


@pytest.fixture
def dma(esg_user: Any) -> DoubleAssessment:
    return dma_create(
        data=DmaInput(
            name={"en": "DMA 2025", "zh-hans": "2025年双重重要性评估"},
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            frameworks=DmaFrameworks.BOTH,
            magnitude_bands=["0", "1000000", "5000000", "20000000", "100000000"],
        ),
        actor=esg_user,
    )


@pytest.fixture
def impact(dma: DoubleAssessment, esg_user: Any) -> Iro:
    return iro_create(dma=dma, data=iro_input(), actor=esg_user)


@pytest.fixture
def risk(dma: DoubleAssessment, esg_user: Any) -> Iro:
    return iro_create(dma=dma, data=risk_input(), actor=esg_user)


@pytest.fixture
def expert(dma: DoubleAssessment, esg_user: Any) -> Rater:
    return Rater.objects.create(dma=dma, user=esg_user, name="Wang", role=RaterRole.FINANCE_RISK)


@pytest.fixture
def representative(dma: DoubleAssessment) -> Rater:
    return Rater.objects.create(dma=dma, name="Customer panel", role=RaterRole.STAKEHOLDER)


@pytest.fixture
def rating_dma(dma: DoubleAssessment, impact: Iro, risk: Iro, esg_user: Any) -> DoubleAssessment:
    """The DMA in its rating step (methodology version 1 frozen)."""
    return dma_start_rating(dma=dma, actor=esg_user)
