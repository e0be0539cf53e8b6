"""The rating grid drawn without the template engine: its topics, their comment boxes
and their radio buttons.

A grid page holds 5 topics × 2 axes × 6 levels: 60 radio buttons, and the review page
reads every cell of the questionnaire. Drawn through Django's form renderer, each button
is four nested templates (radio_option → input_option → input → attrs) and was most of
a grid page's server time. Here each button is decided as Django's `RadioSelect` decides
it (its name, value, id, `checked`, `aria-invalid` on an error: `rating_options`, from
the widget's and the field's own attributes) and written in Python: each `<input>`
character for character as Django's `django/forms/widgets/input.html` and `attrs.html`
write it, and the cell's row of labelled levels as the template's loop wrote it,
whitespace included.

The topics around them (`grid_rows_html`: each topic's name, description, folded
comment box and rating cells) and the review page's rows (`review_rows_html`) followed,
written in Python the same way for the same reason: the template engine's loops over a
page's 5 topics and 10 cells, each a dozen variable look-ups and conditions, were most
of what was left of a grid page's time. tests/surveys/test_rating_html.py holds the
Python next to Django's widgets and the template loops it replaced, and
`benchmarks.walk_html` compares whole pages before and after a change.
"""

from __future__ import annotations

import html as html_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from django.forms import Field
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, pgettext

DONT_KNOW = "dk"


# What was drawn of a field, by what else the drawing depends on (`drawn_once`). Weak keys:
# a field built for one request (a draft survey's) takes its drawings with it.
_DRAWN: WeakKeyDictionary[Field, dict[tuple[Any, ...], str]] = WeakKeyDictionary()


def drawn_once(field: BoundField, detail: tuple[Any, ...], draw: Callable[[], str]) -> str:
    """`draw()` of `field`, kept with the form field for every later form showing it
    under the same name and id, `required` rule and `detail` (a chosen level, the
    language). The fields of a survey past the draft state are built once per process
    and shared (surveys/forms.py, `_page_fields`), so a step that many respondents see
    writes each cell's buttons once per level instead of once per view. For drawings
    that depend on nothing else: never one with an error or with a respondent's text."""
    key = (field.html_name, field.auto_id, field.form.use_required_attribute, *detail)
    kept = _DRAWN.setdefault(field.field, {})
    html = kept.get(key)
    if html is None:
        html = kept[key] = draw()
    return html


def _escape(value: Any) -> str:
    """`conditional_escape`, the same text, without the check for lazy strings that
    wraps Django's `escape` (a grid page writes some 500 escaped values)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html_module.escape(str(value))


def _attrs_html(attrs: dict[str, Any]) -> str:
    """A widget's attributes as `django/forms/widgets/attrs.html` writes them."""
    html = []
    for name, attr in attrs.items():
        if attr is False:
            continue
        html.append(f" {_escape(name)}")
        if attr is not True:
            html.append(f'="{_escape(str(attr))}"')
    return "".join(html)


def input_tag(data: dict[str, Any]) -> SafeString:
    """What `BoundWidget.tag()` returns for an `<input>` subwidget, from its `data`."""
    html = [f'<input type="{_escape(data["type"])}" name="{_escape(data["name"])}"']
    value = data["value"]
    if value is not None:
        html.append(f' value="{_escape(str(value))}"')
    html.append(_attrs_html(data["attrs"]))
    html.append(">")
    return mark_safe("".join(html))  # noqa: S308 - every part escaped above


def textarea_html(field: BoundField) -> SafeString:
    """What `str(field)` returns for a `Textarea` field: the attributes and value Django
    gives the widget (`BoundField.as_widget`), written as `textarea.html` writes them."""
    widget = field.field.widget
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    data = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    value = _escape(data["value"]) if data["value"] else ""
    html = (
        f'<textarea name="{_escape(data["name"])}"{_attrs_html(data["attrs"])}>\n{value}</textarea>'
    )
    return mark_safe(html)  # noqa: S308 - every part escaped above


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
            id=_escape(option.id_for_label),
            tag=option.tag,
            value=_escape(option.value),
            label=_escape(option.choice_label),
        )
        html.append(f"{_AROUND[0]}{label}{_AROUND[1]}")
    return mark_safe("".join(html))  # noqa: S308 - every part escaped above


def rating_options(field: BoundField) -> list[RatingOption]:
    """A rating cell's levels, each with its `<input>` already written.

    What `BoundField.subwidgets` gives a `RadioSelect` (`ChoiceWidget.optgroups` and
    `create_option`), decided the same way: the widget's attributes and the field's
    (`id`, `aria-invalid` on an error), `checked` on the first level equal to the field's
    value, the id numbered per level. Without the dictionaries Django builds for the
    template of each button, which were most of a rating cell's time."""
    widget = field.field.widget
    choices: list[tuple[Any, Any]] = list(getattr(widget, "choices", []))
    if any(isinstance(label, list | tuple) for _value, label in choices):
        return _subwidget_options(field)  # groups of levels: not a rating scale
    id_ = widget.attrs.get("id") or field.auto_id
    attrs = widget.build_attrs(widget.attrs, field.build_widget_attrs({"id": id_} if id_ else {}))
    values = widget.format_value(field.value())
    input_type = getattr(widget, "input_type", "radio")
    name = field.html_name
    options = []
    has_selected = False
    for index, (choice, label) in enumerate(choices):
        value = "" if choice is None else choice
        selected = not has_selected and str(value) in values
        has_selected |= selected
        option_attrs = dict(attrs)
        if selected:
            option_attrs.update(getattr(widget, "checked_attribute", {"checked": True}))
        if "id" in option_attrs:
            option_attrs["id"] = widget.id_for_label(option_attrs["id"], str(index))
        data = {"type": input_type, "name": name, "value": value, "attrs": option_attrs}
        options.append(
            RatingOption(
                value=str(value),
                choice_label=label,
                id_for_label=option_attrs.get("id", ""),
                selected=selected,
                tag=input_tag(data),
            )
        )
    return options


def _subwidget_options(field: BoundField) -> list[RatingOption]:
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


class GridCellParts(Protocol):
    """What `grid_rows_html` reads of a cell (surveys/forms.py: `GridCell`)."""

    column_label: str
    field: BoundField

    @property
    def scale_html(self) -> str: ...


class GridRowParts(Protocol):
    """What `grid_rows_html` reads of a topic (surveys/forms.py: `GridRow`)."""

    label: str
    description: str
    comment: BoundField | None

    @property
    def cells(self) -> Sequence[GridCellParts]: ...


class ReviewCellParts(Protocol):
    """What `review_rows_html` reads of a cell (surveys/forms.py: `GridCell`)."""

    field: BoundField

    @property
    def chosen_label(self) -> str: ...


class ReviewRowParts(Protocol):
    """What `review_rows_html` reads of a topic (surveys/forms.py: `GridRow`)."""

    label: str
    comment: BoundField | None

    @property
    def cells(self) -> Sequence[ReviewCellParts]: ...


def grid_rows_html(rows: Sequence[GridRowParts]) -> SafeString:
    """A grid block's topics, each a fieldset of its name, description, folded comment box
    and rating cells, whitespace included as question_blocks.html's loop wrote them
    (that loop is kept, as the reference, in tests/surveys/test_rating_html.py)."""
    html = []
    for row in rows:
        label = _escape(row.label)
        html.append(
            '\n        <fieldset class="topic">'
            f'\n          <legend><span class="topic-name">{label}</span></legend>\n          '
        )
        if row.description:
            description = _escape(row.description)
            html.append(f'<p class="topic-description">{description}</p>')
        html.append("\n          ")
        if row.comment is not None:
            html.append(_comment_html(row.comment))
        html.append("\n          ")
        for cell in row.cells:
            errors = cell.field.errors
            error = ""
            if errors:
                # Outside the f-string: makemessages cannot see a call inside one.
                message = _escape(gettext("Choose a rating"))
                error = f' <span class="field-error">{message}</span>'
            html.append(
                "\n            \n            "
                f'<fieldset class="rating{" has-error" if errors else ""}" '
                f'id="{_escape(cell.field.auto_id)}_group">'
                f"\n              <legend>{_escape(cell.column_label)}"
                f'<span class="visually-hidden"> — {label}</span>{error}</legend>'
                '\n              <div class="scale">'
                f"\n                {cell.scale_html}"
                "\n              </div>"
                "\n            </fieldset>"
                "\n          "
            )
        html.append("\n        </fieldset>\n      ")
    return mark_safe("".join(html))  # noqa: S308 - every part escaped above


def _comment_html(comment: BoundField) -> str:
    """A topic's comment box, folded until wanted; open when it holds text or an error."""
    if comment.value() or comment.errors:
        return _draw_comment(comment)
    return drawn_once(comment, (get_language(),), lambda: _draw_comment(comment))


def _draw_comment(comment: BoundField) -> str:
    errors = comment.errors
    opened = " open" if comment.value() or errors else ""
    summary = _escape(pgettext("a topic's optional comment", "Comment"))
    optional = _escape(gettext("(optional)"))
    messages = "".join(f'<p class="field-error">{_escape(e)}</p>' for e in errors)
    return (
        "\n            \n            "
        f'<details class="comment"{opened}>'
        f'\n              <summary>{summary}<span class="visually-hidden"> {optional}</span>'
        "</summary>"
        f'\n              <label for="{_escape(comment.id_for_label)}" '
        f'class="visually-hidden">{_escape(comment.label)}</label>'
        f"\n              {textarea_html(comment)}"
        f"\n              {messages}"
        "\n            </details>"
        "\n          "
    )


def _has_levels(field: BoundField) -> bool:
    return bool(getattr(field.field, "choices", None))


def review_rows_html(rows: Sequence[ReviewRowParts]) -> SafeString:
    """A grid block's rows on the review page: each topic's chosen level per axis ("—"
    for a cell without levels), then its comment when it has one, whitespace included
    as review.html's loop wrote them (kept, as the reference, in
    tests/surveys/test_rating_html.py)."""
    html = []
    for row in rows:
        cells = "".join(
            f"<td>{_escape(cell.chosen_label) if _has_levels(cell.field) else '—'}</td>"
            for cell in row.cells
        )
        html.append(
            f'\n          <tr><th scope="row">{_escape(row.label)}</th>{cells}</tr>\n          '
        )
        comment = row.comment.value() if row.comment is not None else None
        if comment:
            html.append(
                f'<tr><td colspan="{len(row.cells) + 1}" class="comment-text">'
                f"{_escape(comment)}</td></tr>"
            )
        html.append("\n        ")
    return mark_safe("".join(html))  # noqa: S308 - every part escaped above
