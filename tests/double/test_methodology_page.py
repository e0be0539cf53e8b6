"""The methodology page of a DMA: the settings in force with help, changed as a draft
before rating, as a new version (note required) after it starts, read-only once
approved; every mistake at once; the history of versions with what changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import strip_tags

from materiality.double.methodology import (
    DEFAULT_SETTINGS,
    MethodologyChange,
    current_methodology,
    dma_start_rating,
    methodology_set,
)
from materiality.double.methodology_form import MethodologyForm
from materiality.double.models import DmaAction, DmaStatus, DoubleAssessment, Iro

pytestmark = pytest.mark.django_db


def client_of(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def url(dma: DoubleAssessment) -> str:
    return reverse("double:methodology", args=[dma.pk])


def form_data(**changes: str) -> dict[str, str]:
    """The page's form as it comes, with the defaults filled in, and `changes`."""
    data = {
        "severity_rule": "mean_max",
        "potential_rule": "capped",
        "financial_rule": "capped",
        "impact_threshold": "3.00",
        "financial_threshold": "3.00",
        "near_band": "0.25",
        "currency_threshold": "",
        "confidence": "0.95",
        "resamples": "2000",
        **{
            f"likelihood_{level}": p
            for level, p in enumerate(("0.1", "0.3", "0.5", "0.7", "0.9"), 1)
        },
        "note": "",
    }
    data.update(changes)
    return data


def text(response: Any) -> str:
    """The page's words, tags left out."""
    return " ".join(strip_tags(response.content.decode()).split())


def test_the_page_shows_every_setting_with_its_help(dma: DoubleAssessment, esg_user: Any) -> None:
    page = client_of(esg_user).get(url(dma))
    assert page.status_code == 200
    body = text(page)
    for words in (
        "Severity rule",
        "Rule for potential impacts",
        "Financial rule",
        "Likelihood probabilities",
        "Impact threshold",
        "Financial threshold",
        "Band near a threshold",
        "Currency threshold",
        "Confidence level",
        "Bootstrap resamples",
        "any one characteristic can make an impact severe",
        "these settings are a draft, frozen as version 1",
    ):
        assert words in body, words
    assert "mean_max" not in body  # no internal codes shown


def test_before_rating_a_change_edits_the_draft_frozen_as_version_1(
    dma: DoubleAssessment, impact: Iro, esg_user: Any
) -> None:
    response = client_of(esg_user).post(
        url(dma), form_data(severity_rule="max", impact_threshold="2.75")
    )
    assert response.status_code == 302
    dma.refresh_from_db()
    assert dma.methodology_draft["severity_rule"] == "max"
    assert dma.methodology_draft["impact_threshold"] == "2.75"
    assert current_methodology(dma) is None
    event = dma.events.get(action=DmaAction.METHODOLOGY_DRAFTED)
    assert event.details == {"settings": ["severity_rule", "impact_threshold"]}

    dma_start_rating(dma=dma, actor=esg_user)

    version = current_methodology(dma)
    assert version is not None
    assert version.number == 1
    assert version.settings == {
        **DEFAULT_SETTINGS,
        "severity_rule": "max",
        "impact_threshold": "2.75",
    }
    history = text(client_of(esg_user).get(url(dma)))
    assert "Differs from Materia's defaults in:" in history
    assert (
        "Severity rule: average of the mean and the highest criterion → highest criterion"
        in history
    )
    assert "Impact threshold: 3.00 → 2.75" in history


def test_every_mistaken_value_is_shown_at_once_with_its_rule(
    dma: DoubleAssessment, esg_user: Any
) -> None:
    response = client_of(esg_user).post(
        url(dma),
        form_data(
            severity_rule="median",
            impact_threshold="6",
            near_band="-1",
            confidence="1.5",
            resamples="lots",
            currency_threshold="0",
            likelihood_3="0.2",
        ),
    )
    assert response.status_code == 400
    body = text(response)
    for message in (
        "The severity rule must be one of: mean, max, mean_max.",
        "The impact threshold must be a decimal above 0 and at most 5.",
        "The band near a threshold must be a decimal of 0 or more.",
        "The confidence level must be a decimal between 0 and 1.",
        "The number of resamples must be a whole number from 0 to 100,000.",
        "The currency threshold must be an amount above 0, or left empty.",
        "Give the probability of each likelihood level from 1 to 5",
    ):
        assert message in body, message
    assert 'value="lots"' in response.content.decode()  # what was typed stays
    dma.refresh_from_db()
    assert dma.methodology_draft == {}


def test_after_rating_starts_a_change_freezes_a_new_version_with_a_note(
    rating_dma: DoubleAssessment, esg_user: Any
) -> None:
    team = client_of(esg_user)
    refused = team.post(url(rating_dma), form_data(potential_rule="product"))
    assert refused.status_code == 400
    assert "Say what changed and why: a later version needs a note." in text(refused)
    assert rating_dma.methodology_versions.count() == 1

    same = team.post(url(rating_dma), form_data(note="nothing really"), follow=True)
    assert "Nothing changed" in text(same)
    assert rating_dma.methodology_versions.count() == 1

    done = team.post(
        url(rating_dma),
        form_data(potential_rule="product", likelihood_5="0.95", resamples="500",
                  currency_threshold="1,000,000", note="As the risk register does."),
        follow=True,
    )  # fmt: skip
    body = text(done)
    assert "Methodology version 2 is frozen and now in force." in body
    version = current_methodology(rating_dma)
    assert version is not None
    assert (version.number, version.note, version.created_by) == (
        2,
        "As the risk register does.",
        esg_user,
    )
    assert version.settings["currency_threshold"] == "1000000"
    event = rating_dma.events.get(action=DmaAction.METHODOLOGY_FROZEN)
    assert event.details["version"] == 2
    assert event.details["note"] == "As the risk register does."
    # The history: newest first, who, the note, and what changed in words.
    assert body.index("Version 2") < body.index("Version 1")
    assert "by esg-member" in body
    assert (
        "Rule for potential impacts: capped average: min(S, (S + 5p) / 2) → multiplied: S × p"
        in body
    )
    assert (
        "Likelihood probabilities: 1: 0.1 · 2: 0.3 · 3: 0.5 · 4: 0.7 · 5: 0.9 "
        "→ 1: 0.1 · 2: 0.3 · 3: 0.5 · 4: 0.7 · 5: 0.95" in body
    )
    assert "Bootstrap resamples: 2,000 → 500" in body
    assert "Currency threshold: none (no amount test) → 1,000,000 CNY" in body
    assert "Materia's default settings." in body  # version 1


def test_once_approved_the_settings_are_read_only(
    rating_dma: DoubleAssessment, esg_user: Any
) -> None:
    DoubleAssessment.objects.filter(pk=rating_dma.pk).update(status=DmaStatus.APPROVED)
    team = client_of(esg_user)
    page = team.get(url(rating_dma))
    assert page.status_code == 200
    body = text(page)
    assert "method-form" not in page.content.decode()
    assert "These settings can no longer change" in body
    assert "average of the mean and the highest criterion" in body
    refused = team.post(url(rating_dma), form_data(severity_rule="max", note="late"))
    assert refused.status_code == 403
    assert rating_dma.methodology_versions.count() == 1


def test_the_service_refuses_an_approved_assessment(
    rating_dma: DoubleAssessment, esg_user: Any
) -> None:
    change, _version = methodology_set(
        dma=rating_dma, settings={"near_band": "0.5"}, actor=esg_user, note="Wider band."
    )
    assert change == MethodologyChange.VERSION_FROZEN
    DoubleAssessment.objects.filter(pk=rating_dma.pk).update(status=DmaStatus.APPROVED)
    with pytest.raises(Exception, match="cannot change"):
        methodology_set(dma=rating_dma, settings={"near_band": "0.3"}, actor=esg_user, note="x")


def test_who_may_see_and_change_the_methodology(
    rating_dma: DoubleAssessment, decider_user: Any, outsider_user: Any
) -> None:
    decider = client_of(decider_user)
    page = decider.get(url(rating_dma))
    assert page.status_code == 200
    assert "method-form" not in page.content.decode()  # read-only for the decision group
    assert decider.post(url(rating_dma), form_data(note="x", near_band="1")).status_code == 403
    assert client_of(outsider_user).get(url(rating_dma)).status_code == 403
    assert Client().get(url(rating_dma)).status_code == 302


def test_the_results_page_names_the_version_and_links_here(
    rating_dma: DoubleAssessment, esg_user: Any
) -> None:
    page = client_of(esg_user).get(reverse("double:results", args=[rating_dma.pk]))
    assert f'href="{url(rating_dma)}"' in page.content.decode()
    assert "version 1" in text(page)


def test_the_page_reads_in_chinese(dma: DoubleAssessment, esg_user: Any) -> None:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(esg_user)
    body = text(client.get(url(dma)))
    assert "自助重抽样次数" in body  # "Bootstrap resamples", from the catalogue
    # Names and labels are looked up at each request, not once at start-up.
    widget = MethodologyForm.base_fields["severity_rule"].widget
    assert all(isinstance(name, Promise) for _value, name in widget.choices)
    assert isinstance(MethodologyForm.base_fields["note"].label, Promise)
