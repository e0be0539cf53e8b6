"""The grid, written in Python (surveys/rating_html.py), is what Django's form renderer and
the template loops it replaced write, character for character: radio buttons checked,
refused, with errors, escaped; topics with their descriptions and comment boxes, empty,
filled in and refused. (`benchmarks.walk_html` compares whole pages of a walk before and
after a change.)"""

from __future__ import annotations

import pytest
from django import forms
from django.template import engines
from django.utils import translation

from surveys.forms import PageForm
from surveys.models import OptionRole, QuestionOption
from surveys.rating_html import input_tag, rating_options, textarea_html
from surveys.selectors import AnswerKey, StoredAnswer, questionnaire_load
from tests.surveys.conftest import COMMENT_MAX_LENGTH, CampusSurvey

pytestmark = pytest.mark.django_db

# The loop question_blocks.html drew a cell's levels with, through Django's own radio
# buttons, inside `<div class="scale">` … `</div>`: the reference for `scale_html`.
TEMPLATE_LOOP = """
                {% for radio in cell.field %}
                  {% if radio.data.value == "dk" %}
                    <label class="scale-option dont-know" for="{{ radio.id_for_label }}">{{ radio.tag }}<span class="level-name">{{ radio.choice_label }}</span></label>
                  {% else %}
                    <label class="scale-option level" for="{{ radio.id_for_label }}">{{ radio.tag }}<span class="level-number" aria-hidden="true">{{ radio.data.value }}</span><span class="level-name visually-hidden">{{ radio.choice_label }}</span></label>
                  {% endif %}
                {% endfor %}
              """  # noqa: E501 - the template's lines as they were


# question_blocks.html's loop over a grid's topics, as it was before `grid_rows_html`
# wrote them: the reference for `Block.rows_html`.
TEMPLATE_ROWS = """{% load i18n %}{% for row in block.grid_rows %}
        <fieldset class="topic">
          <legend><span class="topic-name">{{ row.label }}</span></legend>
          {% if row.description %}<p class="topic-description">{{ row.description }}</p>{% endif %}
          {% if row.comment %}
            {% comment %} Folded until wanted. {% endcomment %}
            <details class="comment"{% if row.comment.value or row.comment.errors %} open{% endif %}>
              <summary>{% translate "Comment" context "a topic's optional comment" %}<span class="visually-hidden"> {% translate "(optional)" %}</span></summary>
              <label for="{{ row.comment.id_for_label }}" class="visually-hidden">{{ row.comment.label }}</label>
              {{ row.comment }}
              {% for error in row.comment.errors %}<p class="field-error">{{ error }}</p>{% endfor %}
            </details>
          {% endif %}
          {% for cell in row.cells %}
            {% comment %} One row of levels. {% endcomment %}
            <fieldset class="rating{% if cell.field.errors %} has-error{% endif %}" id="{{ cell.field.auto_id }}_group">
              <legend>{{ cell.column_label }}<span class="visually-hidden"> — {{ row.label }}</span>{% if cell.field.errors %} <span class="field-error">{% translate "Choose a rating" %}</span>{% endif %}</legend>
              <div class="scale">
                {{ cell.scale_html }}
              </div>
            </fieldset>
          {% endfor %}
        </fieldset>
      {% endfor %}"""  # noqa: E501 - the template's lines as they were


def _grid_form(
    campus: CampusSurvey,
    data: dict[str, str] | None,
    language: str,
    answers: dict[AnswerKey, StoredAnswer] | None = None,
) -> PageForm:
    page = next(p for p in questionnaire_load(campus.survey).pages() if p.items[0].rows)
    form = PageForm(
        data, page=page, language=language, answers=answers or {}, require_complete=True
    )
    if data is not None:
        form.full_clean()
    return form


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    "data",
    [
        None,  # a fresh page
        {"action": "next"},  # every cell refused: aria-invalid on every button
        {"q{grid}_r0_c0": "2", "q{grid}_r1_c0": "dk", "q{grid}_r0_c1": "99"},  # mixed
    ],
)
def test_every_radio_is_written_as_django_writes_it(
    campus: CampusSurvey, data: dict[str, str] | None, language: str
) -> None:
    if data is not None:
        data = {name.format(grid=campus.grid.pk): value for name, value in data.items()}
    form = _grid_form(campus, data, language)
    cells = [cell for block in form.blocks() for row in block.grid_rows or [] for cell in row.cells]
    assert cells
    for cell in cells:
        django_radios = list(cell.field)
        options = cell.options
        assert [o.tag for o in options] == [r.tag() for r in django_radios]
        assert [o.id_for_label for o in options] == [r.id_for_label for r in django_radios]
        assert [o.choice_label for o in options] == [r.choice_label for r in django_radios]
        assert [o.value for o in options] == [str(r.data["value"]) for r in django_radios]
        chosen = "".join(r.choice_label for r in django_radios if r.data["selected"])
        assert cell.chosen_label == chosen
        drawn = f"\n{' ' * 16}{cell.scale_html}\n{' ' * 14}"  # as the template places it
        assert drawn == engines["django"].from_string(TEMPLATE_LOOP).render({"cell": cell})


def test_attributes_are_escaped_and_booleans_written_as_django_does() -> None:
    class Odd(forms.Form):
        pick = forms.ChoiceField(
            choices=[('"><b>', "<i>x</i>"), ("2", "two")],
            widget=forms.RadioSelect(attrs={"data-x": 'a"b&c', "hidden": True, "off": False}),
        )

    field = Odd(data={"pick": '"><b>'})["pick"]
    for option, radio in zip(rating_options(field), field, strict=True):
        assert option.tag == radio.tag()
        assert option.selected == radio.data["selected"]
    assert input_tag({"type": "text", "name": "n", "value": None, "attrs": {}}) == (
        '<input type="text" name="n">'
    )


def _stored(campus: CampusSurvey) -> dict[AnswerKey, StoredAnswer]:
    """Answers stored before, which a step shown again starts from."""
    qid = campus.grid.pk
    stored = [
        StoredAnswer(qid, "canteen", "quality", 4, False, ""),
        StoredAnswer(qid, "library", "value", None, True, ""),
        StoredAnswer(qid, "canteen", "", None, False, 'Queue <b>"long"</b> & slow'),
    ]
    return {(a.question_id, a.row_code, a.column_code): a for a in stored}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    ("data", "stored"),
    [
        (None, False),  # a fresh page
        (None, True),  # shown again: ratings checked, a comment open with its text
        ({"action": "next"}, False),  # every cell refused
        (
            {
                "q{grid}_r0_c0": "2",
                "q{grid}_r0_comment": "too long " * COMMENT_MAX_LENGTH,
                "q{grid}_r1_comment": "bell\x07 <i>&</i>",
                "q{grid}_r2_comment": "  ",
            },
            False,
        ),  # comments refused (too long, a control character) and one left blank
    ],
)
def test_every_topic_is_written_as_the_template_wrote_it(
    campus: CampusSurvey, data: dict[str, str] | None, stored: bool, language: str
) -> None:
    QuestionOption.objects.filter(question=campus.grid, role=OptionRole.ROW, code="library").update(
        description={"en": 'Books & <quiet> "rooms"', "zh-hans": "书与自习室 & <安静>"}
    )
    if data is not None:
        data = {name.format(grid=campus.grid.pk): value for name, value in data.items()}
    form = _grid_form(campus, data, language, _stored(campus) if stored else None)
    [block] = form.blocks()
    assert block.grid_rows
    if data is not None and len(data) > 1:  # the refused comments are among those drawn
        assert [bool(row.comment and row.comment.errors) for row in block.grid_rows[:3]] == [
            True,
            True,
            False,
        ]
    assert block.rows_html == engines["django"].from_string(TEMPLATE_ROWS).render({"block": block})
    for row in block.grid_rows:
        assert row.comment is not None
        assert textarea_html(row.comment) == str(row.comment)


# review.html's loop over a grid's topics, as it was before `review_rows_html` wrote them.
TEMPLATE_REVIEW_ROWS = """{% for row in block.grid_rows %}
          <tr><th scope="row">{{ row.label }}</th>{% for cell in row.cells %}<td>{% if cell.field.field.choices %}{{ cell.chosen_label }}{% else %}—{% endif %}</td>{% endfor %}</tr>
          {% if row.comment and row.comment.value %}<tr><td colspan="{{ row.cells|length|add:1 }}" class="comment-text">{{ row.comment.value }}</td></tr>{% endif %}
        {% endfor %}"""  # noqa: E501 - the template's lines as they were


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("stored", [False, True])
def test_every_reviewed_topic_is_written_as_the_template_wrote_it(
    campus: CampusSurvey, stored: bool, language: str
) -> None:
    form = _grid_form(campus, None, language, _stored(campus) if stored else None)
    [block] = form.blocks()
    assert block.grid_rows
    drawn = block.review_rows_html
    assert drawn == engines["django"].from_string(TEMPLATE_REVIEW_ROWS).render({"block": block})
    assert ("comment-text" in drawn) == stored


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ("Choose a rating", "Comment")), ("zh-hans", ("请选择", "补充意见"))],
)
def test_a_refused_page_speaks_the_respondents_language(
    campus: CampusSurvey, language: str, words: tuple[str, str]
) -> None:
    # The words come from the catalogue: a message the extraction misses stays English.
    with translation.override(language):
        form = _grid_form(campus, {"action": "next"}, language)
        [block] = form.blocks()
        html = block.rows_html
    for word in words:
        assert word in html
