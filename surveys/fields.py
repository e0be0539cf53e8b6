"""The form field of every text a person types: the respondent's answers and comments,
the reader feedback form, and each language of a translated text (titles, names,
descriptions, axis labels), in the site and in the admin.

It applies the control-character rule of `surveys.plaintext`: line breaks pasted from
other programs are normalised (to spaces in single-line text), and any other invisible
control character is refused with a message, since nobody could see what to remove.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from surveys.plaintext import plain_text, refused_characters

CONTROL_CHARACTERS_MESSAGE = _(
    "The text contains invisible control characters (%(characters)s), perhaps pasted from "
    "another program. Delete them, or type the text again."
)


class PlainTextField(forms.CharField):
    """Text with line breaks counted once (browsers send CRLF, and a comment that fits
    the page's maxlength must not be refused for its line breaks), a vertical tab or a
    Unicode line separator read as a line break (as a space when not *multiline*), and
    other control characters refused."""

    default_error_messages = {"control_characters": CONTROL_CHARACTERS_MESSAGE}

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text: str = super().to_python(value) or ""
        if refused_characters(text):
            return text  # kept as typed: validate() refuses it
        text = plain_text(text, multiline=self.multiline)
        return text.strip() if self.strip else text

    def validate(self, value: Any) -> None:
        super().validate(value)
        refused = refused_characters(value or "")
        if refused:
            raise ValidationError(
                self.error_messages["control_characters"],
                code="control_characters",
                params={"characters": ", ".join(refused)},
            )
