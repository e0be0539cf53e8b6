"""Serializer fields the API shares."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from surveys.plaintext import plain_text

# Text that survives cleaning: at least one visible character (plain_text removes
# control characters and lone surrogates; whitespace alone is stripped away).
VISIBLE_TEXT = "[^\\s\\x00-\\x1f\\x7f-\\x9f\\ud800-\\udfff\\ufffe\\uffff]"


def _translations_schema(
    max_length: int | None = None, *, request: bool = False, required: bool = False
) -> dict[str, Any]:
    text: dict[str, Any] = {"type": "string"}
    if request:
        # What a request may send, exactly, so that generated valid bodies are valid.
        text.update({"pattern": VISIBLE_TEXT, "maxLength": max_length})
    schema: dict[str, Any] = {
        "type": "object",
        "description": "The text in each language, keyed by language code.",
        "properties": {code: dict(text) for code, _name in settings.LANGUAGES},
        "additionalProperties": False,
        "example": {
            "zh-hans": "数据安全与客户隐私保护",
            "en": "Data security and customer privacy",
        },
    }
    if request and required:
        schema["minProperties"] = 1
    return schema


class TranslatedTextField(serializers.Field):
    """A text kept once per language, ``{"zh-hans": "…", "en": "…"}`` (surveys.translations).
    Writing checks the language codes and the length, and cleans control characters."""

    def __init__(self, *, max_length: int = 500, multiline: bool = False, **kwargs: Any) -> None:
        self.max_length = max_length
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, str]:
        return dict(value or {})

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                _("Enter an object keyed by language code."), code="not_a_mapping"
            )
        codes = {code for code, _name in settings.LANGUAGES}
        cleaned: dict[str, str] = {}
        for code, text in data.items():
            if code not in codes:
                raise serializers.ValidationError(
                    _("Unknown language code: %(code)s.") % {"code": code}, code="unknown_language"
                )
            if not isinstance(text, str):
                raise serializers.ValidationError(
                    _("The text for %(code)s must be a string.") % {"code": code}, code="not_text"
                )
            text = plain_text(text, multiline=self.multiline).strip()
            if len(text) > self.max_length:
                raise serializers.ValidationError(
                    _("The text for %(code)s is longer than %(max)d characters.")
                    % {"code": code, "max": self.max_length},
                    code="max_length",
                )
            if text:
                cleaned[code] = text
        if self.required and not cleaned:
            raise serializers.ValidationError(
                _("Give the text in at least one language."), code="required"
            )
        return cleaned


class TranslatedTextFieldSchema(OpenApiSerializerFieldExtension):
    """The field's schema: an object keyed by language code, with the field's own limits."""

    target_class = TranslatedTextField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field: TranslatedTextField = self.target
        return _translations_schema(
            field.max_length, request=direction == "request", required=field.required
        )


class StrictCharField(serializers.CharField):
    """A text field that takes only JSON strings: DRF's own turns 1099511627776 into
    "1099511627776" without a word."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError(
                _("Enter text, not a number or a list."), code="invalid"
            )
        return str(super().to_internal_value(data))
