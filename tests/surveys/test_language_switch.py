"""The language switch of a questionnaire page is part of the page's form: choosing a
language saves what is on the page, never complains about what is missing, and shows
the same step in the other language; the response remembers the language.

Requests as a browser without JavaScript makes them (the buttons are plain submit
buttons of the form, `name="language"`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from surveys.models import Answer, InvitationKind, QuestionKind, Response
from tests.conftest import link_path
from tests.respondents import Walk, answer_all, start, took
from tests.surveys.conftest import COMMENT_MAX_LENGTH, CampusSurvey
from tests.surveys.factories import ChoiceQuestionFactory, InvitationFactory

pytestmark = pytest.mark.django_db

CHECKED = re.compile(r"<input [^>]*\bchecked\b")


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def students_link(campus: CampusSurvey) -> str:
    return link_path(
        InvitationFactory(
            survey=campus.survey, respondent_group="students", respondent_internal=False
        )
    )


@pytest.fixture
def open_link(campus: CampusSurvey) -> str:
    """A link for anyone: its first step asks who the respondent is."""
    return link_path(
        InvitationFactory(
            survey=campus.survey,
            kind=InvitationKind.OPEN,
            respondent_group="",
            respondent_internal=None,
        )
    )


def switch(client: Client, walk: Walk, number: int, data: dict[str, Any], to: str) -> str:
    """Press a language button of step `number` with `data` filled in; the page it leads
    to (after the redirect), which must be the same step."""
    response = client.post(walk.page_url(number), {**data, "language": to})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == walk.page_url(number)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == to
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<html lang="{to}">' in html
    assert "error-summary" not in html
    return html


def test_switching_on_a_half_rated_grid_keeps_the_ratings_and_the_comment(
    campus: CampusSurvey, students_link: str
) -> None:
    client = english()
    walk = start(client, students_link)
    grid = campus.grid.pk
    # Two of the step's four rows rated, one of them "don't know"; a comment on row 1.
    data = {
        f"q{grid}_r0_c0": "2",
        f"q{grid}_r0_c1": "dk",
        f"q{grid}_r1_c0": "5",
        f"q{grid}_r0_comment": "Too crowded at noon.",
    }
    html = switch(client, walk, 1, data, "zh-hans")
    assert "食堂" in html  # the grid, now in Chinese
    assert "Canteen" not in html
    assert len(CHECKED.findall(html)) == 3
    assert "Too crowded at noon." in html
    stored = Answer.objects.filter(question=campus.grid)
    assert {(a.row_code, a.column_code, a.value, a.dont_know, a.text) for a in stored} == {
        ("canteen", "quality", 2, False, ""),
        ("canteen", "value", None, True, ""),
        ("library", "quality", 5, False, ""),
        ("canteen", "", None, False, "Too crowded at noon."),
    }


def test_switching_an_empty_step_shows_no_errors_and_stores_nothing(
    students_link: str,
) -> None:
    client = english()
    walk = start(client, students_link)
    html = switch(client, walk, 1, {}, "zh-hans")
    assert "请检查您的回答" not in html
    assert not Answer.objects.exists()


def test_switching_on_the_choice_step_keeps_single_and_multiple_choices(
    campus: CampusSurvey, open_link: str
) -> None:
    channels = ChoiceQuestionFactory(
        survey=campus.survey,
        kind=QuestionKind.MULTIPLE,
        code="channels",
        page=1,
        text={"zh-hans": "您从哪里了解到本调查？", "en": "Where did you hear of this survey?"},
        choices=[
            ("email", {"zh-hans": "电子邮件", "en": "E-mail"}),
            ("poster", {"zh-hans": "海报", "en": "Poster"}),
            ("friend", {"zh-hans": "朋友", "en": "A friend"}),
        ],
    )
    client = english()
    walk = start(client, open_link)
    # The group chosen, the side (required) left out, two channels ticked.
    data = {f"q{campus.group.pk}": "staff", f"q{channels.pk}": ["email", "friend"]}
    html = switch(client, walk, 1, data, "zh-hans")
    assert "您是哪一类人员？" in html
    assert len(CHECKED.findall(html)) == 3
    assert set(Answer.objects.values_list("question_id", "column_code")) == {
        (campus.group.pk, "staff"),
        (channels.pk, "email"),
        (channels.pk, "friend"),
    }
    assert Response.objects.get().respondent_group == "staff"


def test_switching_on_the_free_text_step_keeps_the_text(
    campus: CampusSurvey, students_link: str
) -> None:
    client = english()
    walk = start(client, students_link)
    html = switch(client, walk, 3, {f"q{campus.remarks.pk}": "Longer opening hours."}, "zh-hans")
    assert "还有什么想说的吗？" in html
    assert "Longer opening hours." in html
    assert Answer.objects.get(question=campus.remarks).text == "Longer opening hours."


def test_switching_back_and_forth_keeps_answers_stored_on_other_steps(
    campus: CampusSurvey, students_link: str
) -> None:
    client = english()
    walk = start(client, students_link)
    answer_all(client, walk, rating="3")
    before = Answer.objects.count()
    grid = campus.grid.pk
    # Step 2 (parking, clinic, daycare): one rating changed, the rest sent as shown.
    html = client.get(walk.page_url(2)).content.decode()
    shown = dict(re.findall(r'name="(q\d+_r\d+_c\d+)" value="(\d|dk)"[^>]*checked', html))
    shown[f"q{grid}_r0_c0"] = "1"
    switch(client, walk, 2, shown, "zh-hans")
    switch(client, walk, 2, shown, "en")
    assert Answer.objects.count() == before
    changed = Answer.objects.get(question=campus.grid, row_code="parking", column_code="quality")
    assert changed.value == 1


def test_the_response_takes_the_language_switched_to_and_so_does_the_thanks_page(
    students_link: str,
) -> None:
    client = english()
    walk = start(client, students_link)
    assert Response.objects.get().language == "en"
    switch(client, walk, 1, {}, "zh-hans")
    assert Response.objects.get().language == "zh-hans"
    # Resumed on another device, the reply goes on in the language switched to.
    laptop = english()
    resumed = laptop.get(f"/s/r/{walk.resume}/")
    assert resumed.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    answer_all(client, walk)
    took(walk, 600)
    thanks = client.post(walk.review_url, follow=True)
    assert thanks.redirect_chain[-1][0].endswith("/thanks/")
    assert '<html lang="zh-hans">' in thanks.content.decode()


def test_a_language_the_survey_does_not_offer_still_saves_and_keeps_the_language(
    campus: CampusSurvey, students_link: str
) -> None:
    client = english()
    walk = start(client, students_link)
    response = client.post(
        walk.page_url(1), {f"q{campus.grid.pk}_r0_c0": "4", "language": "xx-evil"}
    )
    assert response.status_code == 302
    assert response["Location"] == walk.page_url(1)
    assert Answer.objects.get().value == 4
    assert Response.objects.get().language == "en"
    assert '<html lang="en">' in client.get(walk.page_url(1)).content.decode()


def test_a_refused_value_is_shown_again_in_the_new_language_and_nothing_is_lost(
    campus: CampusSurvey, students_link: str
) -> None:
    client = english()
    walk = start(client, students_link)
    grid = campus.grid.pk
    too_long = "x" * (COMMENT_MAX_LENGTH + 1)
    data = {f"q{grid}_r0_c0": "4", f"q{grid}_r0_comment": too_long, "language": "zh-hans"}
    response = client.post(walk.page_url(1), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert too_long in html  # kept on the page, with its message
    assert str(COMMENT_MAX_LENGTH) in html
    assert len(CHECKED.findall(html)) == 1
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert not Answer.objects.exists()


def test_the_switch_on_a_questionnaire_step_is_part_of_its_form(students_link: str) -> None:
    client = english()
    walk = start(client, students_link)
    html = client.get(walk.page_url(1)).content.decode()
    assert '<form method="post" class="questionnaire" id="questionnaire"' in html
    buttons = re.findall(r'<button type="submit" form="questionnaire" name="language"', html)
    assert len(buttons) == 2
    assert "/i18n/setlang/" not in html
    # Elsewhere (the landing page) the site-wide switch stays.
    assert "/i18n/setlang/" in client.get(students_link).content.decode()
