"""Exports from the results page: built as a job with progress, then downloaded."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from materiality.models import AggregationRun, AuditEntry, ExportJob
from tests.factories import ExportJobFactory

pytestmark = pytest.mark.django_db


def request_export(client: Client, run: AggregationRun, kind: str, language: str = "en") -> Any:
    url = reverse("materiality:export-new", args=[run.assessment_id])
    return client.post(url, {"kind": kind, "run": run.pk, "language": language})


@pytest.mark.parametrize(
    ("kind", "starts_with"),
    [
        ("evidence-pdf", b"%PDF"),
        ("evidence-html", b"<!doctype html>"),
        ("scores-xlsx", b"PK"),
        ("scores-csv", "\ufeff".encode()),
        ("responses-csv", "\ufeff".encode()),
        ("matrix-pdf", b"%PDF"),
    ],
)
def test_an_export_is_built_then_downloaded(
    decider_user: Any,
    scored_run: AggregationRun,
    kind: str,
    starts_with: bytes,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(decider_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = request_export(client, scored_run, kind, "zh-hans")
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == "done"
    assert job.progress == 100
    page = client.get(response["Location"]).content.decode()
    assert "Download" in page
    download = client.get(
        reverse("materiality:export-download", args=[scored_run.assessment_id, job.pk])
    )
    assert download.status_code == 200
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(starts_with)
    assert AuditEntry.objects.filter(action="exported", assessment=scored_run.assessment).exists()


def test_the_progress_page_reports_as_json(esg_user: Any, scored_run: AggregationRun) -> None:
    client = Client()
    client.force_login(esg_user)
    job = ExportJobFactory(run=scored_run)
    url = reverse("materiality:export", args=[scored_run.assessment_id, job.pk])
    assert client.get(url, HTTP_ACCEPT="application/json").json() == {
        "status": "pending",
        "progress": 0,
        "error": "",
    }
    html = client.get(url).content.decode()
    assert 'http-equiv="refresh"' in html


def test_an_unknown_kind_or_foreign_run_is_refused(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    client = Client()
    client.force_login(esg_user)
    assert request_export(client, scored_run, "everything").status_code == 404
    url = reverse("materiality:export-new", args=[scored_run.assessment_id])
    assert client.post(url, {"kind": "scores-csv", "run": 999999}).status_code == 404
    assert not ExportJob.objects.exists()


def test_outsiders_cannot_export_or_download(
    outsider_user: Any, scored_run: AggregationRun
) -> None:
    job = ExportJobFactory(run=scored_run, status="done")
    client = Client()
    client.force_login(outsider_user)
    assert request_export(client, scored_run, "scores-csv").status_code == 403
    download = reverse("materiality:export-download", args=[scored_run.assessment_id, job.pk])
    assert client.get(download).status_code == 403
    assert Client().get(download).status_code == 302


@pytest.mark.parametrize(
    ("page_language", "name", "trail_name"),
    [
        ("en", "Methodology and evidence pack (PDF, Chinese)", "Scores, ranked (CSV, English)"),
        ("zh-hans", "方法与依据文件（PDF，中文）", "得分排名（CSV，英文）"),
    ],
)
def test_an_export_is_named_not_coded_on_its_page_and_in_the_trail(
    esg_user: Any, scored_run: AggregationRun, page_language: str, name: str, trail_name: str
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=page_language)
    client.force_login(esg_user)
    request_export(client, scored_run, "scores-csv", "en")
    response = request_export(client, scored_run, "evidence-pdf", "zh-hans")
    page = client.get(response["Location"]).content.decode()
    assert f"<h1>{page_h1(page_language)}{name}</h1>" in page
    trail = client.get(reverse("materiality:results", args=[scored_run.assessment_id]))
    html = trail.content.decode()
    assert name in html
    assert trail_name in html
    for code in ("evidence-pdf", "scores-csv", "(zh-hans)", "(en)"):
        assert code not in page
        assert code not in audit_section(html), code


def page_h1(language: str) -> str:
    """The heading's label with the language's own colon."""
    return "导出：" if language == "zh-hans" else "Export: "


def audit_section(html: str) -> str:
    return html[html.index('id="audit-title"') :]


def test_an_export_recorded_before_the_codes_were_kept_is_named_too(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    # Entries are never changed: an old one keeps its note as written.
    AuditEntry.objects.create(
        assessment=scored_run.assessment, action="exported", note="evidence-pdf (zh-hans)"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(esg_user)
    html = client.get(reverse("materiality:results", args=[scored_run.assessment_id])).content
    trail = audit_section(html.decode())
    assert "Methodology and evidence pack (PDF, Chinese)" in trail
    assert "evidence-pdf" not in trail
