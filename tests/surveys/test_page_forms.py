"""A questionnaire page's form fields are built once and shared (surveys/forms.py): a
page that shows a question otherwise (other choices, or in another order) gets fields of
its own. What is drawn of a field without an error is kept with it (rating_html.py,
`drawn_once`): every respondent still sees their own answers."""

from __future__ import annotations

import re
from dataclasses import replace

from surveys import rating_html
from surveys.forms import PageForm
from surveys.models import QuestionKind
from surveys.selectors import Page, questionnaire_load
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


CHECKED = re.compile(r'<input type="radio" name="(q\d+_r\d+_c\d+)" value="(\w+)"[^>]*\bchecked\b')


def _grid_page(campus: CampusSurvey) -> Page:
    return next(
        page
        for page in questionnaire_load(campus.survey).pages()
        if any(item.question.kind == QuestionKind.GRID for item in page.items)
    )


def _drawn(form: PageForm) -> str:
    return "".join(block.rows_html for block in form.blocks() if block.grid_rows)


def test_cells_drawn_once_show_every_respondent_their_own_levels(campus: CampusSurvey) -> None:
    page = _grid_page(campus)
    cells = sorted(
        re.findall(
            r'name="(q\d+_r\d+_c\d+)"', _drawn(PageForm(page=page, language="en", answers={}))
        )
    )
    assert cells
    for level in ("2", "5", "2"):  # the second "2" is drawn from what the first kept
        form = PageForm(dict.fromkeys(cells, level), page=page, language="en", answers={})
        assert dict(CHECKED.findall(_drawn(form))) == dict.fromkeys(cells, level)
    assert CHECKED.findall(_drawn(PageForm(page=page, language="en", answers={}))) == []


def test_a_value_sent_from_outside_is_shown_with_its_error_and_never_kept(
    campus: CampusSurvey,
) -> None:
    page = _grid_page(campus)
    blank = PageForm(page=page, language="en", answers={})
    cell = re.findall(r'name="(q\d+_r\d+_c\d+)"', _drawn(blank))[0]
    tampered = PageForm({cell: "99"}, page=page, language="en", answers={})
    assert not tampered.is_valid()
    html = _drawn(tampered)
    assert f'id="id_{cell}_group"' in html
    assert 'class="rating has-error"' in html
    kept = rating_html._DRAWN[blank.fields[cell]]
    assert not any("99" in key[-1] for key in kept)
