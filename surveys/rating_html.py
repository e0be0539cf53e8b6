"""The rating grid's radio buttons drawn without the template engine.

A grid page holds 5 topics × 2 axes × 6 levels: 60 radio buttons, and the review page
reads every cell of the questionnaire. Drawn through Django's form renderer, each button
is four nested templates (radio_option → input_option → input → attrs) and was most of
a grid page's server time. Here Django still decides everything about a button (its
name, value, id, `checked`, `aria-invalid` on an error: `BoundField.subwidgets`); only
the writing is done in Python: each `<input>` character for character as Django's
`django/forms/widgets/input.html` and `attrs.html` write it, and the cell's row of
labelled levels as the template's loop wrote it, whitespace included (tests/surveys/
test_rating_html.py holds the two side by side, and `benchmarks.walk_html` compares
whole pages before and after a change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.forms.boundfield import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

DONT_KNOW = "dk"


def input_tag(data: dict[str, Any]) -> SafeString:
    """What `BoundWidget.tag()` returns for an `<input>` subwidget, from its `data`."""
    html = [
        f'<input type="{conditional_escape(data["type"])}" '
        f'name="{conditional_escape(data["name"])}"'
    ]
    value = data["value"]
    if value is not None:
        html.append(f' value="{conditional_escape(str(value))}"')
    for name, attr in data["attrs"].items():
        if attr is False:
            continue
        html.append(f" {conditional_escape(name)}")
        if attr is not True:
            html.append(f'="{conditional_escape(str(attr))}"')
    html.append(">")
    return mark_safe("".join(html))  # noqa: S308 - every part escaped above


@dataclass(frozen=True)
class RatingOption:
    """One level of a rating cell, as the grid template draws it."""

    value: str
    choice_label: str
    id_for_label: str
    selected: bool
    tag: SafeString

    @property
    def dont_know(self) -> bool:
        return self.value == DONT_KNOW


# One level of a cell as the grid template drew it in a loop (the loop is kept, as the
# reference, in tests/surveys/test_rating_html.py), its blank lines and indentation
# included, so that the page stays the same byte for byte.
_AROUND = ("\n" + " " * 18 + "\n" + " " * 20, "\n" + " " * 18 + "\n" + " " * 16)
_LEVEL = (
    '<label class="scale-option level" for="{id}">{tag}<span class="level-number" '
    'aria-hidden="true">{value}</span><span class="level-name visually-hidden">{label}'
    "</span></label>"
)
_DONT_KNOW = (
    '<label class="scale-option dont-know" for="{id}">{tag}<span class="level-name">'
    "{label}</span></label>"
)


def scale_html(options: list[RatingOption]) -> SafeString:
    """A cell's row of levels, "don't know" apart: the number shows, each level's full
    name is read out (see question_blocks.html)."""
    html = []
    for option in options:
        label = (_DONT_KNOW if option.dont_know else _LEVEL).format(
            id=conditional_escape(option.id_for_label),
            tag=option.tag,
            value=conditional_escape(option.value),
            label=conditional_escape(option.choice_label),
        )
        html.append(f"{_AROUND[0]}{label}{_AROUND[1]}")
    return mark_safe("".join(html))  # noqa: S308 - every part escaped above


def rating_options(field: BoundField) -> list[RatingOption]:
    """A rating cell's levels, each with its `<input>` already written."""
    options = []
    for radio in field.subwidgets:
        data = radio.data
        options.append(
            RatingOption(
                value=str(data["value"]),
                choice_label=data["label"],
                id_for_label=data["attrs"].get("id", ""),
                selected=bool(data["selected"]),
                tag=input_tag(data),
            )
        )
    return options
