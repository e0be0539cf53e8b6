"""Rating in the browser, without a browser: a rater's list, one IRO a page with only
the criteria that apply, refusals shown beside their fields, the history of changes;
and the results page for the ESG team and the decision group."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from materiality.double.models import DmaStatus, DoubleAssessment, Iro, Rater, RaterRole, Rating
from materiality.double.register import iro_create
from tests.double.conftest import iro_input

pytestmark = pytest.mark.django_db

LEVELS = {"scale": "4", "scope": "3", "irremediability": "5", "likelihood": "2"}


def rate_url(iro: Iro) -> str:
    return reverse("double:rate-iro", args=[iro.dma_id, iro.pk])


def signed_in(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def radios(html: str) -> set[str]:
    return set(re.findall(r'type="radio" name="(\w+)"', html))


@pytest.fixture
def rater_client(expert: Rater, esg_user: Any) -> Client:
    return signed_in(esg_user)  # `expert` is esg_user's place on the panel


def test_a_rater_rates_an_iro_through_the_page_and_moves_to_the_next(
    rating_dma: DoubleAssessment, impact: Iro, risk: Iro, expert: Rater, rater_client: Client
) -> None:
    listing = rater_client.get(reverse("double:rate", args=[rating_dma.pk]))
    assert "0 of 2 rated" in listing.text
    assert rate_url(impact) in listing.text

    page = rater_client.get(rate_url(impact))
    assert page.status_code == 200
    assert radios(page.text) == {"scale", "scope", "irremediability", "likelihood"}
    assert "Leak of customer data" in page.text
    assert "Own operations" in page.text  # the attributes as words, not codes
    assert "A grave effect: loss of life" in page.text  # the anchors of each level

    sent = rater_client.post(rate_url(impact), LEVELS | {"rationale": "Two breaches at peers."})

    assert sent.status_code == 302
    assert sent["Location"] == rate_url(risk)  # the next assignment not yet rated
    rating = Rating.objects.get(iro=impact, rater=expert)
    assert (rating.scale, rating.scope, rating.irremediability, rating.likelihood) == (4, 3, 5, 2)
    assert rating.rationale == "Two breaches at peers."
    assert rating.created_by is not None
    listing = rater_client.get(reverse("double:rate", args=[rating_dma.pk]))
    assert "1 of 2 rated" in listing.text


def test_a_risk_shows_magnitude_with_the_teams_currency_bands_and_takes_an_amount(
    rating_dma: DoubleAssessment, risk: Iro, expert: Rater, rater_client: Client
) -> None:
    page = rater_client.get(rate_url(risk))
    assert radios(page.text) == {"magnitude", "likelihood"}
    assert "5,000,000 to under 20,000,000 CNY" in page.text
    assert "100,000,000 CNY or more" in page.text
    assert "p = 0.5" in page.text  # likelihood levels with the frozen probabilities

    rater_client.post(
        rate_url(risk),
        {"magnitude": "3", "likelihood": "4", "amount": "1,500,000", "rationale": "Tariffs."},
    )

    assert str(Rating.objects.get(iro=risk).amount) == "1500000.00"


def test_a_positive_impact_shows_no_irremediability_and_an_actual_one_no_likelihood(
    rating_dma: DoubleAssessment, rater_client: Client, expert: Rater
) -> None:
    positive = iro_create(dma=rating_dma, data=iro_input(polarity="positive", reference="P-1"))
    actual = iro_create(dma=rating_dma, data=iro_input(actuality="actual", reference="A-1"))

    assert radios(rater_client.get(rate_url(positive)).text) == {"scale", "scope", "likelihood"}
    assert radios(rater_client.get(rate_url(actual)).text) == {
        "scale",
        "scope",
        "irremediability",
    }


def test_a_rating_without_rationale_is_refused_with_the_message_beside_the_field(
    rating_dma: DoubleAssessment, impact: Iro, rater_client: Client
) -> None:
    sent = rater_client.post(rate_url(impact), {"scale": "4", "rationale": "  "})

    assert sent.status_code == 400
    text = sent.text
    assert 'class="error-summary"' in text
    # Each message in the summary at the top and beside its field.
    for message in ("Give a rationale for the rating.", "Rate the scope.", "Rate the likelihood."):
        assert text.count(message) == 2, message
    assert re.search(r'name="scale" value="4"[^>]*checked', text)  # nothing entered is lost
    assert not Rating.objects.exists()


def test_only_the_rater_reaches_the_rating_pages(
    rating_dma: DoubleAssessment,
    impact: Iro,
    expert: Rater,
    outsider_user: Any,
    decider_user: Any,
) -> None:
    for user in (outsider_user, decider_user):  # a role is no place on the panel
        client = signed_in(user)
        assert client.get(reverse("double:rate", args=[rating_dma.pk])).status_code == 404
        assert client.get(rate_url(impact)).status_code == 404
        assert client.post(rate_url(impact), LEVELS | {"rationale": "r"}).status_code == 404
    anonymous = Client().get(rate_url(impact))  # to sign in first
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert not Rating.objects.exists()


def test_a_stakeholder_representative_is_assigned_no_risks(
    rating_dma: DoubleAssessment, impact: Iro, risk: Iro, outsider_user: Any
) -> None:
    Rater.objects.create(
        dma=rating_dma, user=outsider_user, name="Panel", role=RaterRole.STAKEHOLDER
    )
    client = signed_in(outsider_user)

    listing = client.get(reverse("double:rate", args=[rating_dma.pk]))

    assert "0 of 1 rated" in listing.text
    assert rate_url(risk) not in listing.text
    assert client.get(rate_url(risk)).status_code == 404
    assert client.get(rate_url(impact)).status_code == 200


def test_after_a_change_the_history_shows_what_changed(
    rating_dma: DoubleAssessment, impact: Iro, rater_client: Client
) -> None:
    rater_client.post(rate_url(impact), LEVELS | {"rationale": "First view."})
    rater_client.post(rate_url(impact), LEVELS | {"likelihood": "3", "rationale": "New audit."})

    page = rater_client.get(rate_url(impact)).text

    assert Rating.objects.filter(iro=impact).count() == 2  # append-only
    history = page[page.index("Your ratings of this IRO") :]
    assert re.search(r"Changed on [\d-]+ [\d:]+: likelihood from 2 to 3", history)
    assert "Rated on" in history
    assert history.index("New audit.") < history.index("First view.")  # newest first
    assert re.search(r'name="likelihood" value="3"[^>]*checked', page)  # levels in force


def test_outside_the_rating_step_the_page_is_read_only(
    dma: DoubleAssessment, impact: Iro, expert: Rater, rater_client: Client
) -> None:
    assert dma.status != DmaStatus.RATING

    page = rater_client.get(rate_url(impact))
    sent = rater_client.post(rate_url(impact), LEVELS | {"rationale": "r"})

    assert page.status_code == 200
    assert "Ratings are taken only while the assessment is in its rating step." in page.text
    assert not radios(page.text)
    assert sent.status_code == 409
    assert not Rating.objects.exists()


def test_the_results_page_is_for_the_team_and_the_decision_group(
    rating_dma: DoubleAssessment,
    impact: Iro,
    rater_client: Client,
    esg_user: Any,
    decider_user: Any,
    outsider_user: Any,
) -> None:
    rater_client.post(rate_url(impact), LEVELS | {"rationale": "r"})
    url = reverse("double:results", args=[rating_dma.pk])

    for user in (esg_user, decider_user):
        page = signed_in(user).get(url)
        assert page.status_code == 200
        assert "Consumer data privacy" in page.text or "Privacy" in page.text
        assert "fewer than 3 raters" in page.text
        assert "How the scores of" in page.text
    assert signed_in(outsider_user).get(url).status_code == 403
