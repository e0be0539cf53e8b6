"""A questionnaire page's form fields are built once and shared (surveys/forms.py): a
page that shows a question otherwise (other choices, or in another order) gets fields of
its own."""

from __future__ import annotations

from dataclasses import replace

from surveys.forms import PageForm
from surveys.selectors import questionnaire_load
from tests.surveys.conftest import CampusSurvey


def test_a_page_showing_a_questions_choices_in_another_order_gets_its_own_fields(
    campus: CampusSurvey,
) -> None:
    page = questionnaire_load(campus.survey).pages()[0]
    reordered = replace(
        page,
        items=tuple(replace(item, choices=tuple(reversed(item.choices))) for item in page.items),
    )
    name = f"q{campus.group.pk}"
    shown = PageForm(page=page, language="en", answers={}).fields[name]
    shown_reversed = PageForm(page=reordered, language="en", answers={}).fields[name]
    codes = [code for code, _label in shown.choices]  # type: ignore[attr-defined]
    assert [code for code, _ in shown_reversed.choices] == codes[::-1]  # type: ignore[attr-defined]
    # The same page again shares the fields built first.
    assert PageForm(page=page, language="en", answers={}).fields[name] is shown
