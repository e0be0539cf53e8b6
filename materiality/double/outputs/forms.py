"""The forms of the outputs page: the two long texts, written in every language."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from materiality.double.models.outputs import TEXT_MAX_LENGTH
from surveys.translations import TranslatedTextFormField


class E1ExplanationForm(forms.Form):
    text = TranslatedTextFormField(
        label=_("Why climate change is not material"),
        help_text=_(
            "ESRS 2 §57: a detailed explanation of the conclusion, with a forward-looking "
            "analysis of the conditions that could make it material."
        ),
        required=False,
        multiline=True,
        max_length=TEXT_MAX_LENGTH,
    )


class Article5Form(forms.Form):
    text = TranslatedTextFormField(
        label=_("How the assessment was made (Article 5)"),
        help_text=_(
            "The process and criteria of the double materiality assessment, in the "
            "company's words. Prefilled with a draft from the assessment's facts."
        ),
        required=False,
        multiline=True,
        max_length=TEXT_MAX_LENGTH,
    )
