"""The OpenAPI description holds what an integrator relies on: it validates with no
warning (`manage.py spectacular --validate --fail-on-warn`, as in CI), every operation
documents a successful answer with its body, every operation behind a sign-in documents
401 and 403, and every translated text is an object keyed by language code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

METHODS = ("get", "put", "post", "delete", "patch")
LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture(scope="module")
def description() -> dict[str, Any]:
    with translation.override("en"):
        generated = SchemaGenerator().get_schema(request=None, public=True)
        return json.loads(OpenApiJsonRenderer().render(generated))


def operations(description: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in description["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def test_the_schema_validates_without_a_single_warning(capsys: pytest.CaptureFixture[str]) -> None:
    GENERATOR_STATS.reset()  # warnings of an earlier generation in this process are not ours
    output = StringIO()
    try:
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=output)
    except Exception as error:
        warnings = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
        pytest.fail(f"{error}:\n" + "\n".join(warnings or [capsys.readouterr().err]))
    assert output.getvalue().startswith("openapi: 3")


def test_every_operation_documents_a_successful_answer(description: dict[str, Any]) -> None:
    missing = []
    for name, operation in operations(description):
        successes = {
            status: answer
            for status, answer in operation["responses"].items()
            if status.startswith("2")
        }
        # A body with a schema, or a deliberate "204 No Content".
        typed = any(
            status == "204" or any("schema" in m for m in answer.get("content", {}).values())
            for status, answer in successes.items()
        )
        if not typed:
            missing.append(name)
    assert not missing, "no 2xx answer with a schema:\n" + "\n".join(missing)


def _is_public(operation: dict[str, Any]) -> bool:
    # drf-spectacular lists no scheme, or an empty one, where no sign-in is needed.
    security = operation.get("security")
    return not security or {} in security


def test_every_operation_behind_a_sign_in_documents_401_and_403(
    description: dict[str, Any],
) -> None:
    missing = [
        f"{name}: {sorted({'401', '403'} - operation['responses'].keys())}"
        for name, operation in operations(description)
        if not _is_public(operation) and not {"401", "403"} <= operation["responses"].keys()
    ]
    assert not missing, "undocumented refusals:\n" + "\n".join(missing)


def _properties(description: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for component, schema in description["components"]["schemas"].items():
        for name, prop in schema.get("properties", {}).items():
            yield f"{component}.{name}", prop


def test_translated_texts_are_objects_keyed_by_language_code(
    description: dict[str, Any],
) -> None:
    translated = {
        where: prop
        for where, prop in _properties(description)
        if set(prop.get("properties", {})) & set(LANGUAGES)
    }
    # The vocabulary's texts at least; every other translated field the same way.
    assert {"Topic.name", "Topic.description", "StakeholderGroup.name"} <= translated.keys()
    wrong = [
        where
        for where, prop in translated.items()
        if prop.get("type") != "object"
        or list(prop["properties"]) != LANGUAGES
        or any(value.get("type") != "string" for value in prop["properties"].values())
        or prop.get("additionalProperties") is not False
    ]
    assert not wrong, "translated fields not keyed by language code: " + ", ".join(wrong)


def test_every_field_has_a_type(description: dict[str, Any]) -> None:
    # An untyped field is what a translated text (or any JSON column) becomes when its
    # serializer forgets to say what it holds.
    typed_by = {"type", "$ref", "allOf", "oneOf", "anyOf", "enum"}
    untyped = [where for where, prop in _properties(description) if not typed_by & prop.keys()]
    assert not untyped, "fields without a type: " + ", ".join(untyped)
