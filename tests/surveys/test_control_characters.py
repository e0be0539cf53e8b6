"""Control characters in typed text (issue #16): line breaks pasted from Word read as
line breaks (spaces in names and titles), other invisible characters refused with a
message, and text stored by any other path kept under the same rule."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from surveys.models import Answer, Survey
from surveys.plaintext import plain_text, refused_characters
from surveys.translations import TranslatedTextFormField, pick
from tests.conftest import link_path
from tests.respondents import start
from tests.surveys.conftest import CampusSurvey
from tests.surveys.factories import InvitationFactory

# --- The rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "single_line", "multiline"),
    [
        ("Data\x0bsecurity", "Data security", "Data\nsecurity"),  # Word's Shift+Enter
        ("Page\x0cbreak", "Page break", "Page\nbreak"),
        ("one\r\ntwo\rthree", "one two three", "one\ntwo\nthree"),
        ("a\u2028b\u2029c\x85d", "a b c d", "a\nb\nc\nd"),
        ("tab\there", "tab here", "tab\there"),
        ("bell\x07 esc\x1b nul\x00 del\x7f c1\x9b", "bell esc nul del c1", "bell esc nul del c1"),
        ("lone \ud800surrogate\uffff", "lone surrogate", "lone surrogate"),
        ("风险管理 · ≥ 3 €", "风险管理 · ≥ 3 €", "风险管理 · ≥ 3 €"),
    ],
)
def test_the_rule_reads_breaks_as_breaks_and_removes_the_rest(
    typed: str, single_line: str, multiline: str
) -> None:
    assert plain_text(typed) == single_line
    assert plain_text(typed, multiline=True) == multiline


def test_the_rule_names_the_characters_a_form_refuses() -> None:
    assert refused_characters("a\x07b\x1bc\x07\x0b\n\t") == ["U+0007", "U+001B"]
    assert refused_characters("Data\x0bsecurity\u2028") == []


# --- Translated texts (titles, names, descriptions, axis labels) ----------------------------


def test_a_vertical_tab_in_a_translated_title_becomes_a_space() -> None:
    field = TranslatedTextFormField(max_length=200)
    cleaned = field.clean(["数据\x0b安全", "Data\x0bsecurity\r\n"])
    assert cleaned == {"zh-hans": "数据 安全", "en": "Data security"}


def test_a_line_break_in_a_translated_description_stays_a_line_break() -> None:
    field = TranslatedTextFormField(multiline=True, required=False)
    assert field.clean(["", "First\x0bsecond\r\nthird"]) == {"en": "First\nsecond\nthird"}


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "invisible control characters (U+001B, U+0007)"), ("zh-hans", "U+001B, U+0007")],
)
def test_other_control_characters_in_a_translated_title_are_refused_with_a_message(
    language: str, message: str
) -> None:
    field = TranslatedTextFormField(max_length=200)
    with translation.override(language):
        with pytest.raises(ValidationError) as refused:
            field.clean(["标题", "Title\x1b[0m\x07"])
        # Read while the language is active: the message is translated lazily.
        assert message in " ".join(refused.value.messages)


@pytest.mark.django_db
def test_a_text_saved_past_the_forms_is_stored_under_the_rule(campus: CampusSurvey) -> None:
    Survey.objects.filter(pk=campus.survey.pk).update(
        title={"en": "Campus\x0bservices\x07", "zh-hans": "校园\x0c服务"},
        intro={"en": "Line\x0bbreak"},
    )
    stored = Survey.objects.get(pk=campus.survey.pk)
    assert stored.title == {"en": "Campus services", "zh-hans": "校园 服务"}
    assert stored.intro == {"en": "Line\nbreak"}


def test_a_text_stored_before_the_rule_is_read_under_it() -> None:
    assert pick({"en": "Data\x0bsecurity\x07"}, "en") == "Data\nsecurity"


# --- The respondent's comments ------------------------------------------------------------


@pytest.fixture
def students_link(survey: Survey) -> str:
    return link_path(
        InvitationFactory(survey=survey, respondent_group="students", respondent_internal=False)
    )


def first_page(campus: CampusSurvey) -> dict[str, str]:
    grid = campus.grid.pk
    return {f"q{grid}_r{r}_c{c}": "3" for r in range(4) for c in range(2)}


def test_a_comment_with_an_escape_character_is_refused_with_a_message(
    campus: CampusSurvey, students_link: str
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    walk = start(client, students_link)
    data = {**first_page(campus), f"q{campus.grid.pk}_r0_comment": "Too loud\x1b[31m!"}
    response = client.post(walk.page_url(1), {**data, "action": "next"})
    assert response.status_code == 400
    assert "invisible control characters (U+001B)" in response.content.decode()
    assert not Answer.objects.exists()


def test_a_comment_pasted_from_word_keeps_its_line_breaks(
    campus: CampusSurvey, students_link: str
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    walk = start(client, students_link)
    data = {**first_page(campus), f"q{campus.grid.pk}_r0_comment": "Too loud\x0bat night\r\n"}
    assert client.post(walk.page_url(1), {**data, "action": "next"}).status_code == 302
    assert Answer.objects.get(row_code="canteen", column_code="").text == "Too loud\nat night"
