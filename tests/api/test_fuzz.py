"""Schemathesis against the live OpenAPI description, as every kind of caller.

Every operation the schema lists (new ones included, as they appear) is called with
generated requests, valid and invalid, reads and writes, on the test database: no answer
may be a 5xx, and every answer must be one the schema documents, in its status, media
type, headers and body.

Bounded and repeatable: a fixed number of examples per operation, generated from a fixed
seed (`derandomize`), no example database, so a run takes minutes on a small machine and
a failure is the same failure the next time.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from materiality.access_tokens import api_token_create
from materiality.models import ApiToken

pytestmark = pytest.mark.django_db

# Examples per operation and caller. Enough to meet each operation's edge cases (empty,
# huge and malformed values, every documented status) while the whole file stays within
# a few minutes on two cores; raise it locally with API_FUZZ_EXAMPLES to look harder.
settings.register_profile(
    "api-fuzz",
    max_examples=int(os.environ.get("API_FUZZ_EXAMPLES", "4")),
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
FUZZ = settings.get_profile("api-fuzz")


class Caller:
    """Who calls: a Bearer token of a user, kept working even when the fuzzer revokes it
    through DELETE /api/tokens/{id}/ (it may guess its own token's id)."""

    def __init__(self, user: Any) -> None:
        self.token: ApiToken | None = None
        self.secret = ""
        if user is not None:
            issued = api_token_create(user=user, name="schemathesis")
            self.token, self.secret = issued.token, issued.secret

    def headers(self) -> dict[str, str]:
        if self.token is None:
            return {}
        ApiToken.objects.filter(pk=self.token.pk).update(revoked_at=None)
        return {"Authorization": f"Bearer {self.secret}"}


@pytest.fixture(autouse=True)
def _quiet_request_log() -> Iterator[None]:
    # Every refused example logs a warning; a failure's report should show the failure.
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """The site is called through its real WSGI handler, which closes the database
    connection at the end of each request, as a server should; here that connection
    holds the test's transaction (PostgreSQL), so it must stay open, as Django's own
    test client keeps it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def users(outsider_user: Any, esg_user: Any, decider_user: Any, admin_user: Any) -> dict[str, Any]:
    return {
        "outsider": outsider_user,
        "esg": esg_user,
        "decider": decider_user,
        "admin": admin_user,
    }


def _openapi_description() -> dict[str, Any]:
    """The description /api/schema/ serves, made by the same generator (at collection, so
    that every operation is a test of its own, and a new operation a new test)."""
    with translation.override("en"):
        generated = SchemaGenerator().get_schema(request=None, public=True)
        return json.loads(OpenApiJsonRenderer().render(generated))


DESCRIPTION = _openapi_description()
# The coverage phase (every boundary value of every parameter, hundreds of requests per
# operation) would take far longer than the suite can spend; the fuzzing phase, bounded
# by max_examples, meets the same edge cases over successive runs of the seed.
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
)
schema = schemathesis.openapi.from_dict(DESCRIPTION, config=CONFIG)
# Every check but "valid data is accepted": a request the schema allows may still be
# refused for what no schema states (a topic code that does not exist, an end date
# before the start, an answer to a question of another survey). Such a refusal must be a
# documented 4xx with a problem body, which the other checks hold it to.
NOT_CHECKED = [positive_data_acceptance]
schema.app = WSGIHandler()  # called in-process, on the test database


@pytest.mark.parametrize("role", ["esg", "decider", "admin"])
@schema.parametrize()
@settings(FUZZ)
def test_every_operation_answers_as_documented(
    case: Case, role: str, users: dict[str, Any]
) -> None:
    case.call_and_validate(headers=Caller(users[role]).headers(), excluded_checks=NOT_CHECKED)


# Callers refused at the door (401, or 403 without a role): a few examples per operation
# show that, and that public operations answer them properly.
@pytest.mark.parametrize("role", ["anonymous", "outsider"])
@schema.parametrize()
@settings(FUZZ, max_examples=max(1, FUZZ.max_examples // 3))
def test_every_operation_answers_callers_without_a_role_as_documented(
    case: Case, role: str, users: dict[str, Any]
) -> None:
    case.call_and_validate(headers=Caller(users.get(role)).headers(), excluded_checks=NOT_CHECKED)


def test_the_fuzzed_description_is_the_one_the_site_serves(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    served = client.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert served["paths"] == DESCRIPTION["paths"]
    assert served["components"] == DESCRIPTION["components"]
