"""Control characters (issue #16): refused or normalised where people type (the admin,
the reader feedback form, the assessment page), and, for text stored before the rule
(or past it), kept out of every file the site writes: the matrix (SVG, PNG, PDF), the
evidence pack, the score and response exports, the files frozen at confirmation."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import connection, models
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from materiality.models import AggregationRun, Assessment, Report, Topic, TopicScore
from materiality.reporting.evidence.html import evidence_html
from materiality.reporting.evidence.pdf import evidence_pdf
from materiality.reporting.matrix_files import MatrixView, render_matrix
from materiality.reporting.response_files import responses_csv, responses_xlsx
from materiality.reporting.score_files import scores_csv, scores_xlsx
from materiality.runs.confirmation import run_confirm, run_submit_for_confirmation
from surveys.models import Answer, Question, Response, Survey
from tests.factories import OpenReportFactory, UserFactory, add_mixed_replies

pytestmark = [pytest.mark.django_db, pytest.mark.scored_run(replies=add_mixed_replies)]

# C0 characters XML forbids; \x0b is the line break Word writes for Shift+Enter.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def store_raw(instance: models.Model, field: str, value: dict[str, str]) -> None:
    """Write a translated text as it was stored before the rule: past the model field."""
    table = connection.ops.quote_name(instance._meta.db_table)
    column = connection.ops.quote_name(instance._meta.get_field(field).column)
    placeholder = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = {placeholder} WHERE id = %s",  # noqa: S608
            [json.dumps(value), instance.pk],
        )


@pytest.fixture
def tainted_run(scored_run: AggregationRun) -> AggregationRun:
    """The scored run, its top topic named "Data\\x0bsecurity" and its title holding a
    bell and a form feed, as data stored before the input rule."""
    top = TopicScore.objects.filter(run=scored_run).order_by("rank").select_related("topic")[0]
    store_raw(top.topic, "name", {"en": "Data\x0bsecurity", "zh-hans": "数据\x0b安全"})
    store_raw(top.topic, "description", {"en": "Keeping\x0cdata\x1b safe"})
    survey = scored_run.assessment.survey
    store_raw(survey, "title", {"en": "Materiality\x07 2027\x0b", "zh-hans": "实质性\x0c评估"})
    assert "\x0b" in Topic.objects.values_list("name", flat=True).get(pk=top.topic_id)["en"]
    return AggregationRun.objects.select_related("assessment__survey").get(pk=scored_run.pk)


# --- The matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_stored_vertical_tab_in_a_topic_name_leaves_the_svg_matrix_whole(
    tainted_run: AggregationRun, language: str
) -> None:
    svg = render_matrix(tainted_run, MatrixView(language=language), "svg")
    assert not CONTROL.search(svg.decode())
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    texts = " ".join(root.itertext())
    assert ("Data security" if language == "en" else "数据 安全") in texts


@pytest.mark.parametrize("fmt", ["png", "png-print", "pdf"])
def test_a_stored_vertical_tab_leaves_the_png_and_pdf_matrix_whole(
    tainted_run: AggregationRun, fmt: str
) -> None:
    content = render_matrix(tainted_run, MatrixView(language="en", show_ci=True), fmt)
    if fmt == "pdf":
        assert "Data security" in "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(content)).pages
        )
    else:
        assert content.startswith(b"\x89PNG")


def test_the_matrix_page_answers_with_a_stored_vertical_tab(
    esg_user: Any, tainted_run: AggregationRun
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(esg_user)
    for fmt in ("svg", "png", "pdf"):
        url = reverse(
            "materiality:run-matrix", args=[tainted_run.assessment_id, tainted_run.pk, fmt]
        )
        assert client.get(url).status_code == 200, fmt


# --- The evidence pack ---------------------------------------------------------------------


def test_the_evidence_html_holds_no_control_characters(tainted_run: AggregationRun) -> None:
    html = evidence_html(tainted_run, "en")
    assert not CONTROL.search(html)
    assert "Data security" in html
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    ET.fromstring(svg)  # noqa: S314 - our own output


def test_the_evidence_pdf_holds_no_control_characters(tainted_run: AggregationRun) -> None:
    reader = PdfReader(io.BytesIO(evidence_pdf(tainted_run, "en")))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Materiality 2027" in text


# --- Exports --------------------------------------------------------------------------------


def test_the_scores_workbook_and_csv_open_with_a_stored_vertical_tab(
    tainted_run: AggregationRun,
) -> None:
    book = load_workbook(io.BytesIO(scores_xlsx(tainted_run, "en")))
    names = [row[2] for row in book["Overall"].iter_rows(min_row=3, values_only=True)]
    assert "Data\nsecurity" in names
    assert book.properties.title is not None
    assert not CONTROL.search(book.properties.title)
    content = scores_csv(tainted_run, "en").decode("utf-8-sig")
    assert not CONTROL.search(content)
    rows = list(csv.reader(io.StringIO(content)))
    assert "Data\nsecurity" in [row[2] for row in rows[2:]]


def test_the_responses_exports_open_with_stored_control_characters(
    tainted_run: AggregationRun,
) -> None:
    assessment = tainted_run.assessment
    comments = Answer.objects.filter(response__survey=assessment.survey).exclude(text="")
    assert comments.update(text="=1+1\x1b\x0bmore") > 0  # past the service, as before the rule
    content = b"".join(responses_csv(assessment, "en", include_comments=True)).decode()
    assert not CONTROL.search(content)
    book = load_workbook(io.BytesIO(responses_xlsx(assessment, "en", include_comments=True)))
    values = [str(v) for row in book.worksheets[0].iter_rows(values_only=True) for v in row]
    assert not any(CONTROL.search(value) for value in values)


# --- Confirmation ---------------------------------------------------------------------------


def test_confirming_a_run_with_a_stored_vertical_tab_freezes_every_matrix_file(
    tainted_run: AggregationRun, django_capture_on_commit_callbacks: Any
) -> None:
    submitter, confirmer = UserFactory(username="submitter"), UserFactory(username="confirmer")
    run_submit_for_confirmation(run=tainted_run, user=submitter)
    with django_capture_on_commit_callbacks(execute=True):
        run_confirm(run=tainted_run, user=confirmer)
    assert Assessment.objects.get(pk=tainted_run.assessment_id).published_run_id == tainted_run.pk
    for language in tainted_run.assessment.survey.languages:
        for suffix in ("svg", "png", "300dpi.png", "pdf"):
            path = f"runs/{tainted_run.pk}/matrix-run{tainted_run.pk}-{language}.{suffix}"
            assert default_storage.exists(path), path


# --- Input: the admin and the reader feedback form -------------------------------------------


def topic_form(topic: Topic, **names: str) -> dict[str, Any]:
    return {
        "dimension": topic.dimension,
        "name_zh-hans": names.get("zh", topic.name.get("zh-hans", "")),
        "name_en": names.get("en", topic.name.get("en", "")),
        "description_zh-hans": topic.description.get("zh-hans", ""),
        "description_en": topic.description.get("en", ""),
        "active": "on",
        "order": topic.order,
        "references-TOTAL_FORMS": 0,
        "references-INITIAL_FORMS": 0,
        "references-MIN_NUM_FORMS": 0,
        "references-MAX_NUM_FORMS": 1000,
    }


def test_a_topic_name_with_a_control_character_is_refused_in_the_admin(
    admin_client: Client,
) -> None:
    topic = Topic.objects.get(code="climate-change")
    topic.references.all().delete()
    url = reverse("admin:materiality_topic_change", args=[topic.pk])
    response = admin_client.post(url, topic_form(topic, en="Climate\x1b action"))
    assert response.status_code == 200
    assert "U+001B" in response.content.decode()  # named in the message, in any language
    topic.refresh_from_db()
    assert topic.name["en"] != "Climate\x1b action"


def test_a_topic_name_pasted_from_word_is_stored_on_one_line_from_the_admin(
    admin_client: Client,
) -> None:
    topic = Topic.objects.get(code="climate-change")
    topic.references.all().delete()
    url = reverse("admin:materiality_topic_change", args=[topic.pk])
    response = admin_client.post(url, topic_form(topic, en="Climate\x0baction\r\n"))
    assert response.status_code == 302, response.content.decode()[:2000]
    topic.refresh_from_db()
    assert topic.name["en"] == "Climate action"


def test_a_feedback_answer_with_a_control_character_is_refused_with_a_message() -> None:
    report: Report = OpenReportFactory()
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.9")
    form_url = reverse("feedback-form", args=[report.public_code])
    comments = Question.objects.get(survey=report.survey, code="comments")
    response = client.post(form_url, {f"q{comments.pk}": "Great report\x07\x07"})
    assert response.status_code == 400
    assert "invisible control characters (U+0007)" in response.content.decode()
    assert not Response.objects.filter(survey=report.survey).exists()
    assert Survey.objects.filter(pk=report.survey_id).exists()


def test_a_title_with_a_control_character_is_refused_on_the_assessment_page(
    esg_user: Any,
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(esg_user)
    response = client.post(
        reverse("materiality:assessment-new"),
        {"title_zh-hans": "评估", "title_en": "Assessment\x1b"},
    )
    assert response.status_code == 400
    assert "U+001B" in response.content.decode()  # named in the message, in any language
