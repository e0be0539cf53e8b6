"""Text kept once per language code, in one JSON column.

Labels, topic names and descriptions are stored as ``{"zh-hans": "…", "en": "…"}`` so
that adding a language (Spanish, Indonesian, …) is a settings change, never a schema
change. Reading picks the requested language and falls back in a fixed, documented order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import activate, get_language
from django.utils.translation import gettext_lazy as _

from surveys.fields import PlainTextField
from surveys.plaintext import plain_text

Translations = Mapping[str, str]


def enabled_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def active_language() -> str:
    """The language of the request being served (the site default outside one)."""
    return get_language() or settings.LANGUAGE_CODE


def requested_language(request: HttpRequest, parameter: str = "lang") -> str:
    """A language asked for in the query string (`?lang=en`, as the chart language of the
    results page), if it is one the site offers; else the active language."""
    asked = request.GET.get(parameter, "")
    return asked if asked in enabled_languages() else active_language()


def fallback_chain(language: str | None) -> list[str]:
    """Languages to try, in order: the requested one, its generic form (``zh`` for
    ``zh-hans``), the site default, then every other enabled language."""
    chain: list[str] = []
    if language:
        language = language.lower()
        chain.append(language)
        base = language.split("-")[0]
        if base != language:
            chain.append(base)
    chain.append(settings.LANGUAGE_CODE)
    chain.extend(enabled_languages())
    return list(dict.fromkeys(chain))


def pick(translations: Translations | None, language: str | None = None) -> str:
    """The text for `language` (default: the active one), falling back per `fallback_chain`
    and finally to any non-empty text; "" when there is none at all.

    Every translated text is read here, so it comes out under the control-character rule
    (`surveys.plaintext`): a text stored before the rule cannot break a page or a file."""
    if not translations:
        return ""
    language = language or get_language()
    if language:
        # The usual case, first in the chain (the review page reads some 200 texts).
        text = translations.get(language.lower())
        if text:
            return plain_text(text, multiline=True)
    for code in fallback_chain(language):
        text = translations.get(code)
        if text:
            return plain_text(text, multiline=True)
    return plain_text(next((text for text in translations.values() if text), ""), multiline=True)


def validate_translations(value: Any) -> None:
    if not isinstance(value, dict):
        raise ValidationError(_("Enter the text as a mapping of language code to text."))
    for code, text in value.items():
        if not isinstance(code, str) or not isinstance(text, str):
            raise ValidationError(_("Every language code and text must be a string."))


class TranslatedTextWidget(forms.MultiWidget):
    """One input per enabled language, side by side, each labelled with its language."""

    template_name = "includes/translated_text_widget.html"

    class Media:
        css = {"all": ["css/translated-text.css"]}  # for the admin; the site has materia.css

    def __init__(self, *, multiline: bool = False, attrs: dict[str, Any] | None = None) -> None:
        self.languages = list(settings.LANGUAGES)
        widget: type[forms.Widget] = forms.Textarea if multiline else forms.TextInput
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            code: widget(attrs={"lang": code, "rows": 3} if multiline else {"lang": code})
            for code, _name in self.languages
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[str]:
        value = value or {}
        return [value.get(code, "") for code, _name in self.languages]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        for subwidget, (_code, language_name) in zip(
            context["widget"]["subwidgets"], self.languages, strict=True
        ):
            subwidget["language_name"] = language_name
        return context


class TranslatedTextFormField(forms.MultiValueField):
    """Collects one text per enabled language; the site's default language is required
    when the field is required, the others may fall back to it."""

    def __init__(
        self, *, max_length: int | None = None, multiline: bool = False, **kwargs: Any
    ) -> None:
        self.languages = enabled_languages()
        fields = [
            PlainTextField(required=False, max_length=max_length, multiline=multiline)
            for _code in self.languages
        ]
        kwargs.setdefault("widget", TranslatedTextWidget(multiline=multiline))
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list: Sequence[str]) -> dict[str, str]:
        if not data_list:
            return {}
        return {code: text for code, text in zip(self.languages, data_list, strict=True) if text}

    def clean(self, value: Any) -> dict[str, str]:
        result: dict[str, str] = super().clean(value)
        if self.required and not result.get(settings.LANGUAGE_CODE):
            language_name = dict(settings.LANGUAGES)[settings.LANGUAGE_CODE]
            raise ValidationError(
                _("Enter the text in %(language)s, the site's default language."),
                code="required",
                params={"language": language_name},
            )
        return result


class TranslatedTextField(models.JSONField):
    """A model field holding text per language code (see module docstring)."""

    def __init__(
        self, *args: Any, multiline: bool = False, text_max_length: int | None = None, **kwargs: Any
    ) -> None:
        self.multiline = multiline
        self.text_max_length = text_max_length
        kwargs.setdefault("default", dict)
        kwargs.setdefault("validators", [validate_translations])
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value: Any) -> Any:
        # Every write goes under the control-character rule, whoever writes (a service,
        # the demo, a shell): forms refuse such characters with a message first.
        if isinstance(value, dict):
            value = {
                code: plain_text(text, multiline=self.multiline) if isinstance(text, str) else text
                for code, text in value.items()
            }
        return super().get_prep_value(value)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.multiline:
            kwargs["multiline"] = True
        if self.text_max_length is not None:
            kwargs["text_max_length"] = self.text_max_length
        kwargs.pop("validators", None)
        if kwargs.get("default") is dict:
            kwargs.pop("default")
        return name, path, args, kwargs

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field:
        # JSONField.formfield would force a JSON textarea; translations get one input per
        # language instead. Only the generic options a ModelForm may pass are honoured.
        options: dict[str, Any] = {
            "required": not self.blank,
            "label": capfirst(self.verbose_name),
            "help_text": self.help_text,
        }
        options.update({k: v for k, v in kwargs.items() if k in _FORM_OPTIONS})
        return TranslatedTextFormField(
            max_length=self.text_max_length, multiline=self.multiline, **options
        )


_FORM_OPTIONS = frozenset({"required", "label", "help_text", "disabled", "initial"})


def survey_language(request: HttpRequest, survey: Any) -> str:
    """The language to show a survey in: the active one if the survey offers it, else the
    survey's first language (which is then activated for the rest of the request)."""
    current = active_language()
    offered = list(survey.languages or enabled_languages())
    if current in offered:
        return current
    activate(offered[0])
    request.LANGUAGE_CODE = offered[0]
    return offered[0]
