"""The DMA setup pages, server side: the list, a new DMA, its overview with the next
step, its context and matters, its raters, and the start of rating; who may use each."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from materiality.double.models import (
    DmaAction,
    DmaEvent,
    DmaStatus,
    DoubleAssessment,
    Iro,
    Matter,
    Rater,
    RaterRole,
)
from materiality.double.ratings import rating_add
from materiality.double.register import iro_input, iro_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def client_for(user: Any = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def esg(esg_user: Any) -> Client:
    return client_for(esg_user)


def page_urls(dma: DoubleAssessment) -> dict[str, str]:
    return {
        "list": reverse("double:dmas"),
        "overview": reverse("double:dma", args=[dma.pk]),
        "context": reverse("double:dma-context", args=[dma.pk]),
        "raters": reverse("double:raters", args=[dma.pk]),
    }


def test_the_esg_team_and_the_decision_group_read_the_pages_others_do_not(
    dma: DoubleAssessment, esg_user: Any, decider_user: Any, outsider_user: Any
) -> None:
    for name, url in page_urls(dma).items():
        assert client_for(esg_user).get(url).status_code == 200, name
        assert client_for(decider_user).get(url).status_code == 200, name
        assert client_for(outsider_user).get(url).status_code == 403, name
        anonymous = client_for().get(url)
        assert anonymous.status_code == 302, name
        assert anonymous["Location"].startswith(reverse("login")), name


def test_only_the_esg_team_creates_edits_and_starts_rating(
    dma: DoubleAssessment, decider_user: Any, esg_user: Any
) -> None:
    decider = client_for(decider_user)
    assert decider.get(reverse("double:dma-new")).status_code == 403
    assert decider.get(reverse("double:dma-edit", args=[dma.pk])).status_code == 403
    assert decider.post(reverse("double:dma-start-rating", args=[dma.pk])).status_code == 403
    assert decider.post(reverse("double:dma-context", args=[dma.pk]), {}).status_code == 403
    assert decider.post(reverse("double:raters", args=[dma.pk]), {}).status_code == 403
    overview = decider.get(reverse("double:dma", args=[dma.pk])).content.decode()
    assert "Start rating" not in overview
    assert "Start rating" in client_for(esg_user).get(reverse("double:dma", args=[dma.pk])).text


def test_the_list_shows_each_dma_with_its_step_in_a_fixed_number_of_queries(
    dma: DoubleAssessment, impact: Iro, esg: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(8):
        page = esg.get(reverse("double:dmas")).content.decode()
    assert "DMA 2025" in page
    assert "Context" in page
    assert "ESRS and exchange guidelines" in page


def new_dma_form(**changes: Any) -> dict[str, Any]:
    data = {
        "name_zh-hans": "2026年双重重要性评估",
        "name_en": "DMA 2026",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "frameworks": "cn-exchanges",
        "currency": "cny",
        "band_1": "0",
        "band_2": "1000000",
        "band_3": "5000000",
        "band_4": "20000000",
        "band_5": "100000000",
    }
    data.update(changes)
    return data


def test_the_team_creates_a_dma_through_the_form(esg: Client, esg_user: Any) -> None:
    response = esg.post(reverse("double:dma-new"), new_dma_form())
    dma = DoubleAssessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("double:dma", args=[dma.pk])
    assert dma.name == {"zh-hans": "2026年双重重要性评估", "en": "DMA 2026"}
    assert dma.currency == "CNY"
    assert dma.magnitude_bands == ["0", "1000000", "5000000", "20000000", "100000000"]
    assert [pack.framework for pack in dma.packs.all()] == ["cn-exchanges"]
    event = DmaEvent.objects.get(dma=dma)
    assert (event.action, event.actor, event.actor_name) == (
        DmaAction.CREATED,
        esg_user,
        "esg-member",
    )


def test_every_mistake_in_the_dma_form_is_shown_beside_its_field_and_in_the_summary(
    esg: Client,
) -> None:
    response = esg.post(
        reverse("double:dma-new"),
        new_dma_form(
            **{"name_zh-hans": ""},
            name_en="",
            period_end="2025-12-31",
            currency="RMB1",
            band_3="100",
        ),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert not DoubleAssessment.objects.exists()
    summary = page[page.index('class="error-summary"') : page.index("</ul>")]
    for field, message in [
        ("id_name_0", "This field is required."),
        ("id_currency", "Ensure this value has at most 3 characters"),
    ]:
        assert f'href="#{field}"' in summary, field
        assert message in summary, message
    assert page.count('class="field has-error"') >= 2
    # Every field keeps what was typed.
    assert 'value="2026-01-01"' in page


def test_the_rules_of_the_service_come_back_beside_their_fields(esg: Client) -> None:
    response = esg.post(
        reverse("double:dma-new"), new_dma_form(period_end="2025-12-31", band_3="100")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "The reporting period must end after it starts." in page
    assert "Each band must be larger than the one below it." in page
    assert 'href="#id_period_end"' in page
    assert 'href="#id_band_1"' in page


def test_the_dma_can_be_edited_until_rating_starts(
    rating_dma: DoubleAssessment, esg: Client
) -> None:
    response = esg.get(reverse("double:dma-edit", args=[rating_dma.pk]))
    assert response.status_code == 302
    follow = esg.get(response["Location"]).content.decode()
    assert "Once rating has started the assessment can no longer change." in follow


def test_an_edit_is_saved_and_recorded(dma: DoubleAssessment, esg: Client) -> None:
    form = new_dma_form(frameworks="both", name_en="DMA 2025, revised")
    response = esg.post(reverse("double:dma-edit", args=[dma.pk]), form)
    assert response.status_code == 302
    dma.refresh_from_db()
    assert dma.name["en"] == "DMA 2025, revised"
    event = dma.events.get(action=DmaAction.UPDATED)
    assert "name" in event.details["fields"]


def test_the_overview_says_what_stops_rating_and_starts_it_once_ready(
    dma: DoubleAssessment, impact: Iro, esg: Client, esg_user: Any
) -> None:
    url = reverse("double:dma", args=[dma.pk])
    iro_update(iro=impact, data=iro_input(impact, horizons=[]))
    page = esg.get(url).content.decode()
    assert "1 IRO cannot be rated yet: IRO-001." in page
    assert "Add at least one rater." in page
    assert re.search(r"<button[^>]*disabled[^>]*>Start rating", page)

    refused = esg.post(reverse("double:dma-start-rating", args=[dma.pk]), follow=True)
    assert "Add at least one rater." in refused.content.decode()
    dma.refresh_from_db()
    assert dma.status == DmaStatus.CONTEXT

    iro_update(iro=impact, data=iro_input(impact, horizons=["short"]))
    Rater.objects.create(dma=dma, user=esg_user, name="Wang", role=RaterRole.INTERNAL_EXPERT)
    page = esg.get(url).content.decode()
    assert not re.search(r"<button[^>]*disabled[^>]*>Start rating", page)
    started = esg.post(reverse("double:dma-start-rating", args=[dma.pk]), follow=True)
    dma.refresh_from_db()
    assert dma.status == DmaStatus.RATING
    page = started.content.decode()
    assert "Rating has started." in page
    assert "First version, frozen when rating started." in page
    assert dma.events.filter(
        action=DmaAction.RATING_STARTED, details={"methodology_version": 1}
    ).exists()


def test_the_overview_counts_matters_iros_raters_and_ratings(
    rating_dma: DoubleAssessment, impact: Iro, risk: Iro, expert: Rater, esg: Client
) -> None:
    rating_add(iro=risk, rater=expert, magnitude=3, likelihood=2, rationale="Carbon price rising")
    page = esg.get(reverse("double:dma", args=[rating_dma.pk])).content.decode()
    assert re.search(r"IROs that can be rated</dt><dd>2 / 2", page)
    assert re.search(r"Ratings given</dt><dd>1 / 2", page)
    assert "Raters are rating: 1 of 2 ratings given." in page


def test_the_context_is_saved_and_moves_the_dma_to_its_long_list(
    dma: DoubleAssessment, esg: Client
) -> None:
    url = reverse("double:dma-context", args=[dma.pk])
    refused = esg.post(url, {"context_zh-hans": "", "context_en": "", "advance": "1"})
    assert refused.status_code == 400
    assert "Describe the business context before moving on." in refused.content.decode()
    response = esg.post(
        url, {"context_zh-hans": "一家金融科技公司", "context_en": "A fintech", "advance": "1"}
    )
    assert response["Location"] == reverse("double:register", args=[dma.pk])
    dma.refresh_from_db()
    assert dma.context == {"zh-hans": "一家金融科技公司", "en": "A fintech"}
    assert dma.status == DmaStatus.LONG_LIST
    assert dma.events.filter(action=DmaAction.CONTEXT_SAVED).exists()


def test_the_context_page_lists_the_matters_with_their_survey_topics(
    dma: DoubleAssessment, esg: Client
) -> None:
    page = esg.get(reverse("double:dma-context", args=[dma.pk])).content.decode()
    assert "Climate change" in page
    assert "Survey topics:" in page
    assert "Company-specific matters" in page


def test_a_company_specific_matter_is_added_from_the_context_page(
    dma: DoubleAssessment, esg: Client
) -> None:
    url = reverse("double:matter-new", args=[dma.pk])
    refused = esg.post(url, {"name_zh-hans": "", "name_en": "", "dimension": ""})
    assert refused.status_code == 400
    response = esg.post(
        url, {"name_zh-hans": "金融科技创新", "name_en": "Fintech innovation", "dimension": "G"}
    )
    assert response.status_code == 302
    matter = Matter.objects.get(dma=dma)
    assert matter.name["en"] == "Fintech innovation"
    assert dma.events.filter(action=DmaAction.MATTER_ADDED).exists()


def test_raters_join_by_username_or_by_name(dma: DoubleAssessment, esg: Client) -> None:
    UserFactory(username="li.na", first_name="Na", last_name="Li")
    url = reverse("double:raters", args=[dma.pk])
    assert esg.post(url, {"username": "li.na", "role": "finance_risk"}).status_code == 302
    assert esg.post(url, {"name": "Prof. Zhang", "role": "external_expert"}).status_code == 302
    raters = {rater.name: rater for rater in dma.raters.select_related("user")}
    user = raters["Na Li"].user
    assert user is not None
    assert user.username == "li.na"
    assert raters["Prof. Zhang"].user is None
    page = esg.get(url).content.decode()
    assert "Finance or risk" in page
    assert "External expert" in page


def test_a_rater_form_shows_every_mistake(dma: DoubleAssessment, esg: Client) -> None:
    url = reverse("double:raters", args=[dma.pk])
    response = esg.post(url, {"username": "nobody"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "No user of the site has the username nobody." in page
    assert 'href="#id_username"' in page
    assert 'href="#id_role_0"' in page


def test_a_rater_who_has_not_rated_is_removed_one_who_has_is_taken_off(
    rating_dma: DoubleAssessment, risk: Iro, expert: Rater, representative: Rater, esg: Client
) -> None:
    rating_add(iro=risk, rater=expert, magnitude=3, likelihood=2, rationale="Carbon price")
    remove = "double:rater-remove"
    esg.post(reverse(remove, args=[rating_dma.pk, representative.pk]))
    response = esg.post(reverse(remove, args=[rating_dma.pk, expert.pk]), follow=True)
    assert not Rater.objects.filter(pk=representative.pk).exists()
    expert.refresh_from_db()
    assert expert.active is False
    assert expert.ratings.count() == 1
    page = response.content.decode()
    assert "Wang has rated, so their ratings are kept" in page
    assert "off the panel" in page
    actions = set(rating_dma.events.values_list("action", flat=True))
    assert {DmaAction.RATER_REMOVED, DmaAction.RATER_DEACTIVATED} <= actions
