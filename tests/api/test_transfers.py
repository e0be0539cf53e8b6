"""Exports (start, progress, download) and imports of replies (start, progress)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client

from materiality.importing.context import ReplySheet, import_context
from materiality.importing.suggesting import reply_mapping_suggest
from materiality.models import AggregationRun, Assessment, ExportJob
from materiality.reporting.score_files import scores_csv
from surveys.models import Response
from tests.api.test_runs import ROLES, as_role, check_statuses
from tests.materiality.test_import_replies_command import BAD_ROWS
from tests.materiality.test_reply_import import csv_bytes, replies_table

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client: Client) -> None:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def upload(table: list[list[str]], name: str = "replies.csv") -> io.BytesIO:
    file = io.BytesIO(csv_bytes(table))
    file.name = name
    return file


@pytest.mark.parametrize("role", ROLES)
def test_who_may_export_and_import(
    role: str,
    request: pytest.FixtureRequest,
    scored_run: AggregationRun,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client, pk = as_role(role, request), scored_run.assessment_id
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            f"/api/assessments/{pk}/exports/", {"kind": "scores-csv"}, "application/json"
        )
    assert started.status_code == SIGNED.get(role, 202)
    job = ExportJob.objects.filter(assessment_id=pk).first() or _export(scored_run)
    check_statuses(
        client,
        role,
        [("get", f"/api/exports/{job.pk}/", {}), ("get", f"/api/exports/{job.pk}/download/", {})],
    )
    imported = client.post(
        f"/api/assessments/{pk}/imports/", {"file": upload(replies_table(scored_run.assessment, 3))}
    )
    assert imported.status_code == SIGNED.get(role, {"decider": 403}.get(role, 202))
    if imported.status_code == 202:
        check_statuses(client, role, [("get", imported["Location"], {})])
    else:
        other = as_role("esg", request).post(
            f"/api/assessments/{pk}/imports/",
            {"file": upload(replies_table(scored_run.assessment, 3))},
        )
        check_statuses(client, role, [("get", other["Location"], {"decider": 403})])


SIGNED = {"anonymous": 401, "outsider": 403}


def _export(run: AggregationRun) -> ExportJob:
    from materiality.reporting.jobs import ExportKind, export_request

    return export_request(
        assessment=run.assessment, kind=ExportKind.SCORES_CSV, language="en", run=run, user=None
    )


# --- Exports --------------------------------------------------------------------------


def test_an_export_goes_from_request_to_download(
    client: Client,
    esg_user: Any,
    scored_run: AggregationRun,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(esg_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/assessments/{scored_run.assessment_id}/exports/",
            {"kind": "scores-csv", "language": "en"},
            "application/json",
        )
        assert response.status_code == 202
        started = response.json()
        assert (started["status"], started["kind_display"]) == ("pending", "Scores, ranked (CSV)")
        # Not built yet: the file is a 409, with the progress.
        waiting = client.get(f"/api/exports/{started['id']}/download/")
        assert waiting.status_code == 409
        assert waiting.json()["code"] == "export_not_ready"
    job = client.get(response["Location"]).json()
    assert (job["status"], job["progress"], job["run"]) == ("done", 100, scored_run.pk)
    assert job["name"] == "Scores, ranked (CSV, English)"
    download = client.get(job["download"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{job["filename"]}"'
    assert download.getvalue() == scores_csv(scored_run, "en")


def test_a_bad_export_request_names_the_field(
    client: Client, esg_user: Any, scored_run: AggregationRun
) -> None:
    client.force_login(esg_user)
    url = f"/api/assessments/{scored_run.assessment_id}/exports/"
    for body, field in (
        ({"kind": "scores-pdf"}, "kind"),
        ({"kind": "scores-csv", "language": "fr"}, "language"),
        ({"kind": "scores-csv", "run": 999999}, "run"),
    ):
        response = client.post(url, body, "application/json")
        assert response.status_code == 400, body
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not ExportJob.objects.exists()


def test_an_export_of_scores_needs_a_scored_run(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    client.force_login(esg_user)
    url = f"/api/assessments/{open_assessment.pk}/exports/"
    response = client.post(url, {"kind": "matrix-png"}, "application/json")
    assert response.status_code == 409
    assert response.json()["detail"] == "No scores have been computed yet."
    # The responses belong to the assessment: no run needed.
    assert client.post(url, {"kind": "responses-csv"}, "application/json").status_code == 202


# --- Imports --------------------------------------------------------------------------


def test_a_small_csv_is_imported_and_its_progress_read(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    table = replies_table(open_assessment, 5)
    sheet = ReplySheet.from_table(table)
    mapping = reply_mapping_suggest(sheet, import_context(open_assessment)).as_dict()
    client.force_login(esg_user)
    response = client.post(
        f"/api/assessments/{open_assessment.pk}/imports/",
        {"file": upload(table, "five.csv"), "mapping": json.dumps(mapping)},
    )
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "done"
    progress = client.get(response["Location"]).json()
    assert (progress["state"], progress["stored"], progress["percent"]) == ("done", 5, 100)
    assert progress["file_name"] == "five.csv"
    assert progress["run"] == AggregationRun.objects.get(assessment=open_assessment).pk
    assert Response.objects.filter(source_reference__isnull=False).count() == 5

    # The same rows again: refused, as the import page refuses them, and nothing stored.
    again = client.post(
        f"/api/assessments/{open_assessment.pk}/imports/", {"file": upload(table, "copy.csv")}
    )
    assert again.status_code == 400
    [error] = again.json()["errors"]
    assert error["field"] == "file"
    assert "already imported into this assessment" in error["message"]
    assert Response.objects.count() == 5


def test_rows_that_need_fixing_are_listed_and_nothing_is_stored(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    client.force_login(esg_user)
    response = client.post(
        f"/api/assessments/{open_assessment.pk}/imports/", {"file": upload(BAD_ROWS)}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0] == {
        "field": "file",
        "code": "invalid",
        "message": "Nothing was imported: some rows need fixing.",
    }
    assert {e["field"] for e in errors[1:]} == {"rows"}
    assert any(e["message"].startswith("Row 3") for e in errors[1:])
    assert not Response.objects.exists()


def test_a_mapping_that_is_not_one_is_a_400_on_mapping(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    client.force_login(esg_user)
    url = f"/api/assessments/{open_assessment.pk}/imports/"
    table = replies_table(open_assessment, 2)
    nested = "[" * 100_000 + "]" * 100_000  # past Python's recursion limit
    for mapping in ("{not json", json.dumps({"group_column": 99, "cells": []}), nested):
        response = client.post(url, {"file": upload(table), "mapping": mapping})
        assert response.status_code == 400
        assert {e["field"] for e in response.json()["errors"]} == {"mapping"}
    assert not Response.objects.exists()


def test_replies_cannot_be_imported_into_a_draft(
    client: Client, esg_user: Any, assessment: Assessment
) -> None:
    client.force_login(esg_user)
    response = client.post(
        f"/api/assessments/{assessment.pk}/imports/", {"file": upload(replies_table(assessment, 2))}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "assessment_draft"


def test_an_unknown_import_is_a_404(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    assert client.get("/api/imports/00000000-0000-0000-0000-000000000001/").status_code == 404
