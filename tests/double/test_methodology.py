"""Methodology versions: frozen when rating starts, n + 1 at each change, exact decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from materiality.double.methodology import (
    DEFAULT_SETTINGS,
    current_methodology,
    dma_start_rating,
    methodology_freeze,
)
from materiality.double.models import DmaStatus, DoubleAssessment, Iro

pytestmark = pytest.mark.django_db


def test_starting_rating_freezes_the_defaults_as_version_1(
    dma: DoubleAssessment, impact: Iro, esg_user: Any
) -> None:
    dma_start_rating(dma=dma, actor=esg_user)
    version = current_methodology(dma)
    assert version is not None
    assert (dma.status, version.number, version.created_by) == (DmaStatus.RATING, 1, esg_user)
    assert version.settings == DEFAULT_SETTINGS
    assert version.settings["severity_rule"] == "mean_max"
    assert Decimal(version.settings["thresholds"]["impact"]) == Decimal("3.00")
    assert Decimal(version.settings["likelihood_probabilities"]["3"]) == Decimal("0.50")


def test_rating_cannot_start_on_an_empty_long_list(dma: DoubleAssessment) -> None:
    with pytest.raises(ValidationError) as caught:
        dma_start_rating(dma=dma)
    assert caught.value.messages == ["Add impacts, risks or opportunities to the long list first."]


def test_a_change_is_version_n_plus_1_with_a_note_and_the_earlier_one_is_kept(
    rating_dma: DoubleAssessment, esg_user: Any
) -> None:
    second = methodology_freeze(
        dma=rating_dma,
        settings={"severity_rule": "max", "thresholds": {"impact": "3.50", "financial": "3.00"}},
        actor=esg_user,
        note="AR 11: any one characteristic can make an impact severe.",
    )
    assert second.number == 2
    assert second.settings["severity_rule"] == "max"
    assert second.settings["likelihood_rule"] == "product"  # the rest from the defaults
    assert [v.number for v in rating_dma.methodology_versions.all()] == [1, 2]
    assert rating_dma.methodology_versions.get(number=1).settings["severity_rule"] == "mean_max"
    third = methodology_freeze(dma=rating_dma, settings={}, note="Back to the defaults.")
    assert third.number == 3


def test_a_later_version_needs_a_note(rating_dma: DoubleAssessment) -> None:
    with pytest.raises(ValidationError) as caught:
        methodology_freeze(dma=rating_dma, settings={"severity_rule": "mean"})
    assert caught.value.messages == ["Say what changed and why: a later version needs a note."]


def test_every_mistaken_setting_is_reported_at_once(dma: DoubleAssessment) -> None:
    with pytest.raises(ValidationError) as caught:
        methodology_freeze(
            dma=dma,
            settings={
                "severity_rule": "median",
                "thresholds": {"impact": 3.0, "financial": "3"},  # a float is refused
                "near_band": "lots",
                "resamples": 5,
                "colour": "red",
            },
        )
    assert caught.value.messages == [
        "Unknown methodology settings: colour.",
        "severity_rule must be one of: mean, max, mean_max.",
        "The impact threshold must be a decimal between 1 and 5.",
        "The band near a threshold must be a decimal from 0 to 1.",
        "The number of resamples must be a whole number from 100 to 100,000.",
    ]
    assert not dma.methodology_versions.exists()
