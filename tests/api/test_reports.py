"""Reports and reader feedback through the API: the ESG team's side by role, and the
public form under the page's checks."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from materiality.access_tokens import api_token_create
from materiality.models import Report
from surveys.models import Response, ResponseStatus, SurveyStatus
from surveys.services import survey_close
from tests.factories import OpenReportFactory, ReportFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def report(db: None) -> Any:
    return OpenReportFactory()


def user_for(role: str, esg_user: Any, decider_user: Any, outsider_user: Any) -> Any:
    return {
        "anonymous": None,
        "outsider": outsider_user,
        "esg": esg_user,
        "decider": decider_user,
        "admin": UserFactory(is_superuser=True, is_staff=True),
    }[role]


def call(client: Client, user: Any, method: str, path: str, body: Any = None, **extra: Any) -> Any:
    headers = extra
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {api_token_create(user=user, name='t').secret}"
    if body is None:
        return getattr(client, method)(path, **headers)
    return getattr(client, method)(
        path, json.dumps(body), content_type="application/json", **headers
    )


def reader_answers(form: dict[str, Any]) -> list[dict[str, Any]]:
    overall = next(q for q in form["questions"] if q["code"] == "overall")
    comments = next(q for q in form["questions"] if q["code"] == "comments")
    return [
        {"question": overall["id"], "value": "good"},
        {"question": comments["id"], "value": "More on water, please."},
    ]


NEW_REPORT = {"title": {"zh-hans": "2027 年 ESG 报告", "en": "2027 ESG report"}, "year": 2027}

# Endpoint → the roles allowed (reading: both roles; writing: the ESG team).
ENDPOINTS = [
    ("get", "/api/reports/", None, 200, {"esg", "decider", "admin"}),
    ("post", "/api/reports/", NEW_REPORT, 201, {"esg", "admin"}),
    ("get", "/api/reports/{id}/", None, 200, {"esg", "decider", "admin"}),
    ("patch", "/api/reports/{id}/", {"year": 2025}, 200, {"esg", "admin"}),
    ("post", "/api/reports/{id}/open/", None, 200, {"esg", "admin"}),
    ("post", "/api/reports/{id}/close/", None, 200, {"esg", "admin"}),
    ("get", "/api/reports/{id}/feedback/summary/", None, 200, {"esg", "decider", "admin"}),
    ("get", "/api/reports/{id}/feedback/export/", None, 200, {"esg", "decider", "admin"}),
]


@pytest.mark.parametrize("role", ["anonymous", "outsider", "esg", "decider", "admin"])
@pytest.mark.parametrize(("method", "path", "body", "ok", "allowed"), ENDPOINTS)
def test_each_team_endpoint_is_open_to_its_roles_only(
    role: str,
    method: str,
    path: str,
    body: Any,
    ok: int,
    allowed: set[str],
    client: Client,
    report: Report,
    esg_user: Any,
    decider_user: Any,
    outsider_user: Any,
) -> None:
    user = user_for(role, esg_user, decider_user, outsider_user)
    response = call(client, user, method, path.format(id=report.pk), body)
    if role == "anonymous":
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
    elif role in allowed:
        assert response.status_code == ok, response.content
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("role", ["anonymous", "outsider", "esg", "decider", "admin"])
def test_the_public_form_needs_no_sign_in(
    role: str,
    client: Client,
    report: Report,
    esg_user: Any,
    decider_user: Any,
    outsider_user: Any,
) -> None:
    user = user_for(role, esg_user, decider_user, outsider_user)
    if user is not None:
        client.force_login(user)
    form = client.get(f"/api/feedback/{report.public_code}/")
    assert form.status_code == 200
    sent = client.post(
        f"/api/feedback/{report.public_code}/",
        json.dumps({"answers": reader_answers(form.json())}),
        content_type="application/json",
    )
    assert sent.status_code == 201, sent.content
    assert (
        Response.objects.filter(survey=report.survey, status=ResponseStatus.SUBMITTED).count() == 1
    )


# --- The team's side ----------------------------------------------------------------------


def test_adding_a_report_makes_its_draft_feedback_form(client: Client, esg_user: Any) -> None:
    created = call(client, esg_user, "post", "/api/reports/", {**NEW_REPORT, "languages": ["en"]})
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["languages"], body["responses"]) == ("draft", ["en"], 0)
    assert body["link"].endswith(f"/f/{body['public_code']}/")
    report = Report.objects.get(pk=body["id"])
    assert report.created_by == esg_user
    assert report.survey.questions.count() == 6


def test_a_bad_year_is_named(client: Client, esg_user: Any) -> None:
    refused = call(client, esg_user, "post", "/api/reports/", {**NEW_REPORT, "year": 1700})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "year"


def test_editing_a_title_changes_the_form_title(
    client: Client, esg_user: Any, report: Report
) -> None:
    title = {"zh-hans": "新标题", "en": "New title"}
    changed = call(client, esg_user, "patch", f"/api/reports/{report.pk}/", {"title": title})
    assert changed.status_code == 200
    assert changed.json()["title"] == title
    report.refresh_from_db()
    assert report.title == report.survey.title == title


def test_closing_and_opening_the_form(client: Client, esg_user: Any, report: Report) -> None:
    closed = call(client, esg_user, "post", f"/api/reports/{report.pk}/close/")
    assert closed.json()["status"] == SurveyStatus.CLOSED
    assert client.get(f"/api/feedback/{report.public_code}/").status_code == 409
    opened = call(client, esg_user, "post", f"/api/reports/{report.pk}/open/")
    assert opened.json()["status"] == SurveyStatus.OPEN


def test_the_summary_counts_readers_with_names(
    client: Client, decider_user: Any, report: Report
) -> None:
    form = client.get(f"/api/feedback/{report.public_code}/").json()
    for _ in range(2):
        client.post(
            f"/api/feedback/{report.public_code}/",
            json.dumps({"answers": reader_answers(form)}),
            content_type="application/json",
        )
    summary = call(
        client, decider_user, "get", f"/api/reports/{report.pk}/feedback/summary/"
    ).json()
    assert summary["responses"] == 2
    overall = next(q for q in summary["questions"] if q["code"] == "overall")
    assert overall["text"]["en"] == "How would you rate this ESG report overall?"
    good = overall["choices"].index({"code": "good", "label": {"zh-hans": "好", "en": "Good"}})
    assert (overall["counts"][good], overall["mean"]) == (2, 5)
    grid = next(q for q in summary["questions"] if q["code"] == "responsibility")
    assert grid["rows"][0]["label"]["en"] == "Economic responsibility"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_is_a_file_download(
    fmt: str, client: Client, esg_user: Any, report: Report
) -> None:
    form = client.get(f"/api/feedback/{report.public_code}/").json()
    client.post(
        f"/api/feedback/{report.public_code}/",
        json.dumps({"answers": reader_answers(form)}),
        content_type="application/json",
    )
    file = call(client, esg_user, "get", f"/api/reports/{report.pk}/feedback/export/?format={fmt}")
    assert file.status_code == 200
    assert file["Content-Disposition"] == f'attachment; filename="feedback-2026.{fmt}"'
    if fmt == "csv":
        assert file["Content-Type"].startswith("text/csv")
        assert "More on water, please." in file.content.decode("utf-8-sig")
    else:
        sheet = load_workbook(io.BytesIO(file.content)).active
        assert "More on water, please." in [c.value for row in sheet.iter_rows() for c in row]


def test_an_unknown_export_format_is_refused_as_problem_details(
    client: Client, esg_user: Any, report: Report
) -> None:
    refused = call(client, esg_user, "get", f"/api/reports/{report.pk}/feedback/export/?format=pdf")
    assert refused.status_code == 404
    assert refused["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("rows", [2, 6])
def test_the_report_list_takes_a_fixed_number_of_queries(
    rows: int, client: Client, esg_user: Any, django_assert_num_queries: Any
) -> None:
    ReportFactory.create_batch(rows)
    client.force_login(esg_user)
    # Session, user, permissions (4); the count and the page, answers counted in it.
    with django_assert_num_queries(6):
        body = client.get("/api/reports/").json()
    assert body["count"] == rows


# --- The public form ----------------------------------------------------------------------


def test_a_blank_form_is_refused(client: Client, report: Report) -> None:
    refused = client.post(
        f"/api/feedback/{report.public_code}/",
        json.dumps({"answers": []}),
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "empty"
    assert not Response.objects.exists()


def test_an_address_without_consent_is_refused(client: Client, report: Report) -> None:
    form = client.get(f"/api/feedback/{report.public_code}/").json()
    refused = client.post(
        f"/api/feedback/{report.public_code}/",
        json.dumps({"answers": reader_answers(form), "contact_email": "a@example.com"}),
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "contact_consent"


def test_a_closed_form_answers_409_in_the_readers_language(client: Client, report: Report) -> None:
    form = client.get(f"/api/feedback/{report.public_code}/").json()
    survey_close(survey=report.survey)
    refused = client.post(
        f"/api/feedback/{report.public_code}/",
        json.dumps({"answers": reader_answers(form)}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "survey_closed"
    assert "已关闭" in refused.json()["detail"]
    assert client.get("/api/feedback/no-such-code/").status_code == 404


def test_the_feedback_rate_is_limited(
    client: Client, report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = {"now": 5_000.0}
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: clock["now"])
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"feedback": "2/minute"})
    path = f"/api/feedback/{report.public_code}/"
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]
    clock["now"] += 60
    assert client.get(path).status_code == 200
