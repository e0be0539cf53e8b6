from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from surveys.translations import TranslatedTextFormField, fallback_chain, pick

TEXT = {"zh-hans": "风险管理", "en": "Risk management"}


def test_it_picks_the_requested_language() -> None:
    assert pick(TEXT, "en") == "Risk management"
    assert pick(TEXT, "zh-hans") == "风险管理"


def test_it_follows_the_active_language_when_none_is_given() -> None:
    with translation.override("zh-hans"):
        assert pick(TEXT) == "风险管理"
    with translation.override("en"):
        assert pick(TEXT) == "Risk management"


def test_a_missing_language_falls_back_to_the_site_default(settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    assert pick(TEXT, "es") == "风险管理"
    settings.LANGUAGE_CODE = "en"
    assert pick(TEXT, "es") == "Risk management"


def test_a_regional_variant_falls_back_to_its_generic_language() -> None:
    assert pick({"es": "Gestión de riesgos", "en": "Risk management"}, "es-mx") == (
        "Gestión de riesgos"
    )


def test_an_empty_text_counts_as_missing() -> None:
    assert pick({"en": "", "zh-hans": "风险管理"}, "en") == "风险管理"


def test_no_text_at_all_gives_an_empty_string() -> None:
    assert pick({}, "en") == ""
    assert pick(None, "en") == ""


def test_text_in_a_language_no_longer_enabled_is_still_shown_rather_than_nothing() -> None:
    assert pick({"fr": "Gestion des risques"}, "en") == "Gestion des risques"


def test_fallback_chain_order(settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    assert fallback_chain("en-gb") == ["en-gb", "en", "zh-hans"]


def test_the_form_field_has_one_input_per_language_and_requires_the_default(
    settings: Any,
) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    field = TranslatedTextFormField(max_length=10)
    assert field.clean(["风险管理", "Risk"]) == {"zh-hans": "风险管理", "en": "Risk"}
    assert field.clean(["风险管理", ""]) == {"zh-hans": "风险管理"}
    with translation.override("en"):
        with pytest.raises(ValidationError, match="default language"):
            field.clean(["", "Risk"])
        with pytest.raises(ValidationError, match="at most 10"):
            field.clean(["风险管理", "Risk management is long"])
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="不超过 10"):
        field.clean(["风险管理", "Risk management is long"])


def test_the_widget_labels_each_input_with_its_language() -> None:
    html = TranslatedTextFormField().widget.render("name", TEXT, attrs={"id": "id_name"})
    assert 'lang="zh-hans"' in html
    assert 'lang="en"' in html
    assert "简体中文" in html
    assert "English" in html
    assert 'value="风险管理"' in html
    assert 'for="id_name_0"' in html
