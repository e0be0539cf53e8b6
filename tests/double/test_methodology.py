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
    methodology_set,
    settings_of,
)
from materiality.double.models import DmaStatus, DoubleAssessment, Iro
from materiality.double.scoring import CombineRule, Settings

pytestmark = pytest.mark.django_db


def test_starting_rating_freezes_the_defaults_as_version_1(
    dma: DoubleAssessment, impact: Iro, esg_user: Any
) -> None:
    dma_start_rating(dma=dma, actor=esg_user)
    version = current_methodology(dma)
    assert version is not None
    assert (dma.status, version.number, version.created_by) == (DmaStatus.RATING, 1, esg_user)
    # Kept as text too, as the trail keeps its actor's name: it outlives the account.
    assert version.created_by_name == "esg-member"
    assert version.settings == DEFAULT_SETTINGS == Settings().as_dict()
    # The defaults of docs/methodology.md §16.3, as exact decimal strings, with the seed.
    assert version.settings == {
        "severity_rule": "mean_max",
        "potential_rule": "capped",
        "financial_rule": "capped",
        "likelihoods": {"1": "0.1", "2": "0.3", "3": "0.5", "4": "0.7", "5": "0.9"},
        "impact_threshold": "3.00",
        "financial_threshold": "3.00",
        "near_band": "0.25",
        "currency_threshold": None,
        "confidence": "0.95",
        "resamples": 2000,
        "seed": 20240501,
    }


def test_a_frozen_version_reads_back_as_the_very_settings_it_froze(
    dma: DoubleAssessment, impact: Iro
) -> None:
    version = methodology_freeze(
        dma=dma,
        settings={
            "potential_rule": "product",
            "impact_threshold": "2.75",
            "currency_threshold": "1000000",
            "likelihoods": {"1": "0.05", "2": "0.25", "3": "0.5", "4": "0.75", "5": "0.95"},
            "seed": 7,
        },
    )
    version.refresh_from_db()
    settings = settings_of(version)
    assert settings.potential_rule is CombineRule.PRODUCT
    assert settings.impact_threshold == Decimal("2.75")
    assert settings.currency_threshold == Decimal("1000000")
    assert settings.likelihoods[1] == Decimal("0.05")
    assert settings.seed == 7
    assert settings.as_dict() == version.settings


def test_rating_cannot_start_on_an_empty_long_list(dma: DoubleAssessment) -> None:
    with pytest.raises(ValidationError) as caught:
        dma_start_rating(dma=dma)
    assert caught.value.messages == ["Add impacts, risks or opportunities to the long list first."]


def test_a_change_is_version_n_plus_1_with_a_note_and_the_earlier_one_is_kept(
    rating_dma: DoubleAssessment, esg_user: Any
) -> None:
    second = methodology_freeze(
        dma=rating_dma,
        settings={"severity_rule": "max", "impact_threshold": "3.50"},
        actor=esg_user,
        note="AR 11: any one characteristic can make an impact severe.",
    )
    assert second.number == 2
    assert second.settings["severity_rule"] == "max"
    assert second.settings["impact_threshold"] == "3.50"
    assert second.settings["potential_rule"] == "capped"  # the rest from the defaults
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
                "impact_threshold": "5.01",
                "financial_threshold": "3",  # fine
                "likelihoods": {"1": "0.1", "2": "0.3", "3": "0.3", "4": "0.7", "5": "0.9"},
                "near_band": "lots",
                "resamples": 5.5,
                "colour": "red",
            },
        )
    assert caught.value.messages == [
        "Unknown methodology settings: colour.",
        "The severity rule must be one of: mean, max, mean_max.",
        "Give the probability of each likelihood level from 1 to 5: decimals from 0 to 1, "
        "rising with the level.",
        "The impact threshold must be a decimal above 0 and at most 5.",
        "The band near a threshold must be a decimal of 0 or more.",
        "The number of resamples must be a whole number from 0 to 100,000.",
    ]
    assert not dma.methodology_versions.exists()


def test_each_version_keeps_the_name_of_who_froze_it(
    rating_dma: DoubleAssessment, esg_user: Any
) -> None:
    methodology_set(
        dma=rating_dma, settings={"near_band": "0.5"}, actor=esg_user, note="Wider band."
    )
    methodology_freeze(dma=rating_dma, settings={}, note="Frozen by a script.")

    versions = rating_dma.methodology_versions.order_by("number")
    assert [(v.number, v.created_by, v.created_by_name) for v in versions] == [
        (1, esg_user, "esg-member"),  # dma_start_rating
        (2, esg_user, "esg-member"),  # methodology_set
        (3, None, ""),  # nobody named
    ]
    assert [v.created_by_username for v in versions] == ["esg-member", "esg-member", ""]
