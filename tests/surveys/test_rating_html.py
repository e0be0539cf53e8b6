"""The grid's radio buttons, written in Python (surveys/rating_html.py), are what Django's
form renderer writes, character for character: checked, refused, with errors, escaped.
(`benchmarks.walk_html` compares whole pages of a walk before and after a change.)"""

from __future__ import annotations

import pytest
from django import forms
from django.template import engines

from surveys.forms import PageForm
from surveys.rating_html import input_tag, rating_options
from surveys.selectors import questionnaire_load
from tests.surveys.conftest import CampusSurvey

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


def _grid_form(campus: CampusSurvey, data: dict[str, str] | None, language: str) -> PageForm:
    page = next(p for p in questionnaire_load(campus.survey).pages() if p.items[0].rows)
    form = PageForm(data, page=page, language=language, answers={}, require_complete=True)
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
