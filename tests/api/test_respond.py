"""Answering through the API with an invitation's token or a group link: the same rules,
checks and one-response constraint as the questionnaire form; idempotent retries;
throttling; problem details in the caller's language."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from config.logs import TokenMaskFilter
from materiality.models import AggregationRun, Assessment, IdempotentRequest, RunTrigger
from surveys.models import Answer, Invitation, InvitationKind, Response, ResponseStatus, Survey
from surveys.services import invitation_revoke, survey_close
from tests.conftest import link_path
from tests.factories import UserFactory
from tests.respondents import respond
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    """A caller asking for English (the site's default language is Chinese)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def url(token: str) -> str:
    return f"/api/respond/{token}/"


def personal(assessment: Assessment, group: str = "employees") -> Any:
    return InvitationFactory(
        survey=assessment.survey,
        kind=InvitationKind.PERSONAL,
        email="li.wei@example.com",
        respondent_group=group,
        respondent_internal=True,
    )


def open_link(assessment: Assessment) -> Any:
    """A link anyone may use: the respondent chooses their group."""
    return InvitationFactory(
        survey=assessment.survey,
        kind=InvitationKind.OPEN,
        respondent_group="",
        respondent_internal=None,
    )


def customers_link(assessment: Assessment) -> Any:
    """A group link for the customers: it says their group and side."""
    return InvitationFactory(
        survey=assessment.survey, respondent_group="customers", respondent_internal=False
    )


def full_answers(questionnaire: dict[str, Any], rating: Any = 4) -> list[dict[str, Any]]:
    """An answer to every question the link asks: `rating` (a value, or a function of
    the row and column) for every grid cell, the first choice of single choices."""
    answers: list[dict[str, Any]] = []
    for question in questionnaire["questions"]:
        if question["kind"] == "grid":
            for row in question["rows"]:
                for column in question["columns"]:
                    value = rating(row["code"], column["code"]) if callable(rating) else rating
                    answers.append(
                        {
                            "question": question["id"],
                            "row": row["code"],
                            "column": column["code"],
                            "value": value,
                        }
                    )
        elif question["kind"] == "single":
            answers.append({"question": question["id"], "value": question["choices"][0]["code"]})
    return answers


def post(client: Client, token: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(url(token), json.dumps(body), content_type="application/json", **headers)


def varied(row: str, column: str) -> int:
    return 1 + (len(row) + len(column)) % 5


# --- Who may call -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "outsider", "esg", "decider", "admin", "bad_token"])
def test_anyone_with_the_link_reads_and_submits_whoever_is_signed_in(
    who: str,
    client: Client,
    open_assessment: Assessment,
    esg_user: Any,
    decider_user: Any,
    outsider_user: Any,
) -> None:
    users = {
        "outsider": outsider_user,
        "esg": esg_user,
        "decider": decider_user,
        "admin": UserFactory(is_superuser=True, is_staff=True),
    }
    if who in users:
        client.force_login(users[who])
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": "Bearer mat_x"} if who == "bad_token" else {}
    invitation = personal(open_assessment)
    read = client.get(url(invitation.token), **headers)
    assert read.status_code == 200, read.content
    created = post(client, invitation.token, {"answers": full_answers(read.json())}, **headers)
    assert created.status_code == 201, created.content
    # The link is the credential: no account is linked to the reply.
    assert Response.objects.get().status == ResponseStatus.SUBMITTED


def test_the_questionnaire_shows_topics_axes_and_scale_with_their_names(
    client: Client, open_assessment: Assessment
) -> None:
    body = client.get(url(personal(open_assessment).token)).json()
    assert body["title"]["en"]
    assert body["languages"] == ["zh-hans", "en"]
    assert (body["personal"], body["submitted"]) == (True, False)
    # The personal link says the group: the questions about the respondent are not asked.
    assert body["group"] == {"fixed": True, "code": "employees", "internal": True, "question": None}
    grid = next(q for q in body["questions"] if q["kind"] == "grid")
    assert grid["required"] is True
    assert grid["allow_dont_know"] is True
    assert len(grid["rows"]) == 17
    assert {
        "code": "corporate-governance",
        "label": {"zh-hans": "企业管治", "en": "Corporate governance"},
    }.items() <= grid["rows"][0].items()
    assert [c["code"] for c in grid["columns"]] == ["company", "stakeholder"]
    assert [level["value"] for level in grid["scale"]] == [1, 2, 3, 4, 5]
    assert all(q["purpose"] == "" for q in body["questions"])


def test_an_open_link_asks_the_group(client: Client, open_assessment: Assessment) -> None:
    body = client.get(url(open_link(open_assessment).token)).json()
    assert body["group"]["fixed"] is False
    group_question = next(q for q in body["questions"] if q["id"] == body["group"]["question"])
    assert group_question["purpose"] == "respondent_group"
    assert "customers" in [c["code"] for c in group_question["choices"]]


# --- Submitting as the form does ------------------------------------------------------


def test_a_reply_through_the_api_is_stored_and_scored_like_one_through_the_form(
    client: Client, open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    browser = personal(open_assessment)
    # The company axis (the first column) rated 4, the stakeholder axis 2.
    walk_rating = lambda name: "4" if name.endswith("_c0") else "2"  # noqa: E731
    with django_capture_on_commit_callbacks(execute=True):
        respond(Client(HTTP_ACCEPT_LANGUAGE="en"), link_path(browser), walk_rating, seconds=600)
    by_form = Response.objects.get()

    api = personal(open_assessment, group="employees")
    questionnaire = client.get(url(api.token)).json()
    rating = lambda _row, column: 4 if column == "company" else 2  # noqa: E731
    with django_capture_on_commit_callbacks(execute=True):
        created = post(
            client,
            api.token,
            {"answers": full_answers(questionnaire, rating), "seconds": 600, "language": "en"},
        )
    assert created.status_code == 201, created.content
    by_api = Response.objects.get(pk=created.json()["response"])
    assert created.json()["status"] == "submitted"

    def cells(response: Response) -> set[tuple[Any, ...]]:
        return set(
            Answer.objects.filter(response=response).values_list(
                "question_id", "row_code", "column_code", "value", "dont_know"
            )
        )

    assert cells(by_api) == cells(by_form)
    for field in (
        "status",
        "respondent_group",
        "respondent_internal",
        "straight_lined",
        "duration_seconds",
        "language",
    ):
        assert getattr(by_api, field) == getattr(by_form, field), field
    assert Invitation.objects.get(pk=api.pk).responded_at is not None
    # The submit hook asked for scores, as the form's submit does.
    assert AggregationRun.objects.filter(
        assessment=open_assessment, trigger=RunTrigger.RESPONSE
    ).exists()


def test_the_same_rating_everywhere_is_flagged_as_by_the_form(
    client: Client, open_assessment: Assessment
) -> None:
    invitation = personal(open_assessment)
    answers = full_answers(client.get(url(invitation.token)).json(), rating=3)
    assert post(client, invitation.token, {"answers": answers}).status_code == 201
    response = Response.objects.get()
    assert response.straight_lined is True
    assert response.duration_seconds == 0  # no time given: measured, as the form does


def test_missing_answers_are_named_each_and_nothing_is_stored(
    client: Client, open_assessment: Assessment
) -> None:
    invitation = personal(open_assessment)
    answers = full_answers(client.get(url(invitation.token)).json())
    refused = post(client, invitation.token, {"answers": answers[2:]})
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
    errors = refused.json()["errors"]
    assert [e["code"] for e in errors] == ["unrated", "unrated"]
    assert errors[0]["field"] == f"answers.{answers[0]['question']}.corporate-governance.company"
    assert "Corporate governance" in errors[0]["message"]
    assert not Response.objects.exists()  # not even a reply begun


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"value": 9}, "answers.{question}.corporate-governance.company", "9"),
        ({"value": True}, "answers.0.value", "whole number"),
        ({"row": "no-such-topic"}, "answers.0.row", "no-such-topic"),
        ({"question": 999999}, "answers.0.question", "Not a question"),
    ],
)
def test_a_value_off_the_scale_or_an_unknown_row_is_refused(
    change: dict[str, Any], field: str, words: str, client: Client, open_assessment: Assessment
) -> None:
    invitation = personal(open_assessment)
    answers = full_answers(client.get(url(invitation.token)).json())
    question = answers[0]["question"]
    answers[0] = {**answers[0], **change}
    refused = post(client, invitation.token, {"answers": answers})
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["field"] == field.format(question=question)
    assert words in error["message"]
    assert not Response.objects.exists()


def test_a_personal_invitation_takes_one_response(
    client: Client, open_assessment: Assessment
) -> None:
    invitation = personal(open_assessment)
    questionnaire = client.get(url(invitation.token)).json()
    assert (
        post(client, invitation.token, {"answers": full_answers(questionnaire)}).status_code == 201
    )
    again = post(client, invitation.token, {"answers": full_answers(questionnaire, 2)})
    assert again.status_code == 409
    assert again.json()["code"] == "already_submitted"
    assert client.get(url(invitation.token)).json()["submitted"] is True
    assert Response.objects.count() == 1
    assert set(Answer.objects.values_list("value", flat=True)) == {4}


def test_a_closed_survey_or_a_revoked_link_is_refused(
    client: Client, open_assessment: Assessment
) -> None:
    invitation = personal(open_assessment)
    answers = full_answers(client.get(url(invitation.token)).json())
    survey_close(survey=open_assessment.survey)
    closed = post(client, invitation.token, {"answers": answers})
    assert (closed.status_code, closed.json()["code"]) == (409, "survey_closed")
    assert client.get(url(invitation.token)).status_code == 409

    other = personal(open_assessment)
    invitation_revoke(invitation=other)
    revoked = post(client, other.token, {"answers": answers})
    assert (revoked.status_code, revoked.json()["code"]) == (404, "link_revoked")
    assert client.get(url("x" * 32)).status_code == 404
    assert not Response.objects.exists()


def test_a_group_link_fixes_the_group_and_refuses_another(
    client: Client, open_assessment: Assessment
) -> None:
    link = customers_link(open_assessment)
    answers = full_answers(client.get(url(link.token)).json())
    wrong = post(client, link.token, {"group": "employees", "answers": answers})
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "group"
    for _ in range(2):  # a group link takes a new reply each time
        assert (
            post(client, link.token, {"group": "customers", "answers": answers}).status_code == 201
        )
    assert list(Response.objects.values_list("respondent_group", "respondent_internal")) == [
        ("customers", False),
        ("customers", False),
    ]


def test_an_open_link_takes_the_group_from_the_body(
    client: Client, open_assessment: Assessment
) -> None:
    link = open_link(open_assessment)
    questionnaire = client.get(url(link.token)).json()
    side = next(q for q in questionnaire["questions"] if q["purpose"] == "respondent_side")
    answers = [
        a
        for a in full_answers(questionnaire)
        if a["question"] not in (questionnaire["group"]["question"], side["id"])
    ]
    missing = post(client, link.token, {"answers": answers})
    assert missing.status_code == 400
    fields = {e["field"] for e in missing.json()["errors"]}
    assert fields == {f"answers.{questionnaire['group']['question']}", f"answers.{side['id']}"}
    answers.append({"question": side["id"], "value": "external"})
    created = post(client, link.token, {"group": "shareholders-investors", "answers": answers})
    assert created.status_code == 201, created.content
    response = Response.objects.get()
    assert (response.respondent_group, response.respondent_internal) == (
        "shareholders-investors",
        False,
    )


def test_a_group_link_limit_per_address_answers_429_with_retry_after(
    client: Client, open_assessment: Assessment
) -> None:
    Survey.objects.filter(pk=open_assessment.survey_id).update(
        group_link_limit_per_address=1, group_link_limit_per_device=0
    )
    link = customers_link(open_assessment)
    answers = full_answers(client.get(url(link.token)).json())
    assert post(client, link.token, {"answers": answers}).status_code == 201
    limited = post(client, link.token, {"answers": answers})
    assert limited.status_code == 429
    assert limited.json()["code"] == "too_many_responses"
    assert 0 < int(limited["Retry-After"]) <= 24 * 3600
    assert Response.objects.count() == 1


# --- Idempotent retries -------------------------------------------------------------------


def test_a_retry_with_the_same_key_replays_the_first_answer(
    client: Client, open_assessment: Assessment
) -> None:
    link = customers_link(open_assessment)
    body = {"answers": full_answers(client.get(url(link.token)).json())}
    first = post(client, link.token, body, HTTP_IDEMPOTENCY_KEY="7d0b9c1e-retry")
    second = post(client, link.token, body, HTTP_IDEMPOTENCY_KEY="7d0b9c1e-retry")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Response.objects.count() == 1  # a group link would otherwise take two
    # The key is kept as a digest, never in the clear.
    assert "7d0b9c1e" not in str(list(IdempotentRequest.objects.values()))
    # Another key is another submission.
    assert post(client, link.token, body, HTTP_IDEMPOTENCY_KEY="other").status_code == 201
    assert Response.objects.count() == 2


def test_a_replay_on_a_personal_invitation_is_not_a_conflict(
    client: Client, open_assessment: Assessment
) -> None:
    invitation = personal(open_assessment)
    body = {"answers": full_answers(client.get(url(invitation.token)).json())}
    first = post(client, invitation.token, body, HTTP_IDEMPOTENCY_KEY="k1")
    assert post(client, invitation.token, body, HTTP_IDEMPOTENCY_KEY="k1").json() == first.json()
    assert post(client, invitation.token, body).status_code == 409  # no key: a second submit


def test_the_same_key_with_another_body_is_refused(
    client: Client, open_assessment: Assessment
) -> None:
    link = customers_link(open_assessment)
    questionnaire = client.get(url(link.token)).json()
    assert (
        post(
            client, link.token, {"answers": full_answers(questionnaire)}, HTTP_IDEMPOTENCY_KEY="k"
        ).status_code
        == 201
    )
    other = post(
        client, link.token, {"answers": full_answers(questionnaire, 2)}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert "another request body" in other.json()["detail"]
    assert Response.objects.count() == 1


def test_a_refused_request_keeps_nothing_under_its_key(
    client: Client, open_assessment: Assessment
) -> None:
    invitation = personal(open_assessment)
    answers = full_answers(client.get(url(invitation.token)).json())
    assert (
        post(
            client, invitation.token, {"answers": answers[1:]}, HTTP_IDEMPOTENCY_KEY="k"
        ).status_code
        == 400
    )
    assert not IdempotentRequest.objects.exists()
    fixed = post(client, invitation.token, {"answers": answers}, HTTP_IDEMPOTENCY_KEY="k")
    assert fixed.status_code == 201


def test_a_key_that_is_not_printable_ascii_is_refused(
    client: Client, open_assessment: Assessment
) -> None:
    invitation = personal(open_assessment)
    refused = post(client, invitation.token, {"answers": []}, HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "Idempotency-Key"


# --- Throttling, language, logs -----------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_request_rate_is_limited_with_retry_after(
    client: Client, open_assessment: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(SimpleRateThrottle, "timer", clock)
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"respond": "3/minute"})
    token = personal(open_assessment).token
    assert [client.get(url(token)).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(url(token))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    clock.now += 61
    assert client.get(url(token)).status_code == 200


def test_problems_come_in_the_callers_language(client: Client, open_assessment: Assessment) -> None:
    invitation = personal(open_assessment)
    answers = full_answers(client.get(url(invitation.token)).json())
    refused = post(
        client, invitation.token, {"answers": answers[1:]}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert refused.status_code == 400
    assert "企业管治" in refused.json()["errors"][0]["message"]
    gone = client.get(url("x" * 32), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "无法识别此链接" in gone.json()["detail"]


def test_a_token_in_the_api_path_is_masked_in_logs(open_assessment: Assessment) -> None:
    token = personal(open_assessment).token
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (url(token),), None
    )
    TokenMaskFilter().filter(record)
    assert token not in record.getMessage()
    assert record.getMessage() == f"Not Found: /api/respond/{token[:6]}***/"


def test_the_schema_documents_the_public_operations(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/respond/{token}/"]["post"]
    assert {"201", "400", "404", "409", "415", "429"} <= set(operation["responses"])
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
    assert operation.get("security") in ([], [{}], None)
