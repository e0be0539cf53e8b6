"""Importing replies collected with another tool: upload, column and value mapping,
checking every row, all-or-nothing storing, large files in Celery with progress, and the
scores that follow."""

from __future__ import annotations

import csv
import html
import io
import math
import random
import re
import uuid
from dataclasses import replace
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import pandas as pd
import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from materiality.importing import jobs, replies, storing, uploads
from materiality.importing.checking import CellRating, ReplyRow
from materiality.importing.context import ReplySheet, import_context
from materiality.importing.duplicates import sheet_digest
from materiality.importing.jobs import ImportState, import_progress, reply_import_execute
from materiality.importing.mapping import ScaleMapping, ScaleMode
from materiality.importing.quality import quality_lines, quality_preview
from materiality.importing.reading import RatingReader, parse_duration
from materiality.importing.recognition import value_key
from materiality.importing.suggesting import reply_mapping_suggest
from materiality.importing.tables import read_table
from materiality.importing.uploads import import_job_create, import_job_load
from materiality.models import (
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    Assessment,
    AuditAction,
    AuditEntry,
    ImportedFile,
    RunStatus,
    RunTrigger,
    Topic,
    TopicScore,
)
from materiality.runs.execution import aggregation_execute
from materiality.runs.options import run_options
from materiality.tasks import import_replies
from surveys import bulk
from surveys.models import Answer, Response, ResponseSource, ResponseStatus
from surveys.tallies import Durations
from tests.factories import AssessmentFactory
from tests.queries import bulk_inserts

pytestmark = pytest.mark.django_db

SEVEN_TO_FIVE = {1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4, 7: 5}  # by hand: 1 + (v - 1) × 4/6, rounded
GROUP_NAMES = ["Customers", "员工", "media", "股东/投资者", "Suppliers and partners"]
GROUP_CODES = {
    "Customers": "customers",
    "员工": "employees",
    "media": "media",
    "股东/投资者": "shareholders-investors",
    "Suppliers and partners": "suppliers-partners",
}


# --- Files ----------------------------------------------------------------------------


def topics_of(assessment: Assessment) -> list[Topic]:
    return list(
        Topic.objects.filter(assessmenttopic__assessment=assessment).order_by(
            "assessmenttopic__order"
        )
    )


def rating_headers(assessment: Assessment) -> list[tuple[str, str, str]]:
    """(header, topic code, axis) for every topic × axis, as survey services export them:
    half the topics named in English, half in Chinese."""
    headers = []
    for position, topic in enumerate(topics_of(assessment)):
        english, chinese = topic.name["en"], topic.name["zh-hans"]
        if position % 2 == 0:
            headers.append((f"{english} - importance to the company", topic.code, COMPANY_AXIS))
            headers.append(
                (f"{english} - importance to stakeholders", topic.code, STAKEHOLDER_AXIS)
            )
        else:
            headers.append((f"{chinese}（对公司的重要性）", topic.code, COMPANY_AXIS))
            headers.append((f"{chinese}（对利益相关方的重要性）", topic.code, STAKEHOLDER_AXIS))
    return headers


def replies_table(
    assessment: Assessment, count: int, *, seed: int = 1, reference: bool = True
) -> list[list[str]]:
    """A header row and `count` replies on a 1–7 scale, some "N/A", with durations."""
    rng = random.Random(seed)
    headers = [header for header, _topic, _axis in rating_headers(assessment)]
    first = (["Respondent ID"] if reference else []) + ["Stakeholder group"]
    table = [[*first, *headers, "Duration (seconds)"]]
    for number in range(1, count + 1):
        ratings = ["N/A" if rng.random() < 0.05 else str(rng.randint(1, 7)) for _ in headers]
        ids = [f"R{number:05d}"] if reference else []
        table.append([*ids, rng.choice(GROUP_NAMES), *ratings, str(rng.randint(200, 900))])
    return table


def csv_bytes(table: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(table)
    return out.getvalue().encode(encoding)


def xlsx_bytes(table: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- A browser without JavaScript -----------------------------------------------------


def logged_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


class FormValues(HTMLParser):
    """What a browser submits from a page's forms as they are shown: the selected option
    of every select, checked radios and boxes, every other input's value."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        name = found.get("name") or ""
        if tag == "select":
            self._select = name
        elif tag == "option" and self._select is not None:
            if self._select not in self.values or "selected" in found:
                self.values[self._select] = found.get("value") or ""
        elif tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = found.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in found:
                    self.values[name] = found.get("value") or "on"
            elif kind != "submit":
                self.values[name] = found.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_values(html: str) -> dict[str, str]:
    parser = FormValues()
    parser.feed(html)
    return parser.values


def field_for(html: str, label: str) -> str:
    """The name of the field labelled `label` (the value tables' fields are named by a
    digest of the value)."""
    match = re.search(rf'<label[^>]*for="id_([^"]+)"[^>]*>{re.escape(label)}</label>', html)
    assert match, label
    return match.group(1)


def import_url(assessment: Assessment) -> str:
    return reverse("materiality:replies-import", args=[assessment.pk])


def upload(client: Client, assessment: Assessment, name: str, content: bytes) -> Any:
    file = io.BytesIO(content)
    file.name = name
    return client.post(import_url(assessment), {"file": file})


def upload_and_map(
    client: Client, assessment: Assessment, name: str, content: bytes
) -> tuple[str, str]:
    """Upload a file; the mapping page's URL and HTML."""
    response = upload(client, assessment, name, content)
    assert response.status_code == 302, response.content.decode()[:2000]
    url = response["Location"]
    page = client.get(url)
    assert page.status_code == 200
    return url, page.content.decode()


def submit(client: Client, url: str, html: str, action: str = "import", **changes: str) -> Any:
    data = {**form_values(html), **changes, "action": action}
    return client.post(url, data)


def import_file(client: Client, assessment: Assessment, name: str, content: bytes) -> Any:
    """Upload, accept the suggested mapping, import."""
    url, html = upload_and_map(client, assessment, name, content)
    return submit(client, url, html)


def imported() -> list[Response]:
    return list(Response.objects.filter(source=ResponseSource.IMPORT).order_by("pk"))


# --- From upload to stored responses --------------------------------------------------


def test_a_csv_file_is_imported_from_upload_to_stored_responses(
    esg_user: Any, open_assessment: Assessment
) -> None:
    table = replies_table(open_assessment, 12)
    client = logged_in(esg_user)
    response = import_file(client, open_assessment, "replies.csv", csv_bytes(table))

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "12 replies imported from “replies.csv” by esg-member." in page
    assert 'value="100"' in page
    assert 'http-equiv="refresh"' not in page
    responses = imported()
    assert [r.source_reference for r in responses] == [row[0] for row in table[1:]]
    first, row = responses[0], table[1]
    assert first.status == ResponseStatus.SUBMITTED
    assert first.submitted_at is not None
    assert first.respondent_fixed is True
    assert first.respondent_group == GROUP_CODES[row[1]]
    assert first.respondent_internal is (row[1] == "员工")
    assert first.duration_seconds == int(row[-1])
    grid = {
        (a.row_code, a.column_code): a
        for a in Answer.objects.filter(response=first, question__code="importance")
    }
    assert len(grid) == 34
    for (_header, topic, axis), value in zip(
        rating_headers(open_assessment), row[2:-1], strict=True
    ):
        answer = grid[(topic, axis)]
        if value == "N/A":
            assert (answer.value, answer.dont_know) == (None, True)
        else:
            assert (answer.value, answer.dont_know) == (SEVEN_TO_FIVE[int(value)], False)
    about = dict(
        Answer.objects.filter(response=first)
        .exclude(question__code="importance")
        .values_list("question__code", "column_code")
    )
    assert about == {
        "respondent-group": first.respondent_group,
        "respondent-side": "internal" if first.respondent_internal else "external",
    }
    assert not default_storage.listdir("imports")[1]  # the upload is gone


def test_an_xlsx_file_without_references_is_imported_with_file_and_row_references(
    esg_user: Any, open_assessment: Assessment
) -> None:
    table: list[list[Any]] = replies_table(open_assessment, 3, reference=False)
    # Spreadsheet cells hold numbers, not text.
    table[1:] = [[row[0], *(int(v) if v.isdigit() else v for v in row[1:])] for row in table[1:]]
    response = import_file(
        logged_in(esg_user), open_assessment, "Survey export.xlsx", xlsx_bytes(table)
    )
    assert response.status_code == 302
    assert [r.source_reference for r in imported()] == [
        "Survey export.xlsx:2",
        "Survey export.xlsx:3",
        "Survey export.xlsx:4",
    ]
    assert Answer.objects.filter(question__code="importance", value__isnull=False).exists()


def test_a_gb18030_csv_with_chinese_headers_and_semicolons_is_imported(
    esg_user: Any, open_assessment: Assessment
) -> None:
    topics = topics_of(open_assessment)[:3]
    header = ["答卷编号", "利益相关方群体", "所用时间"]
    for topic in topics:
        header += [
            f"{topic.name['zh-hans']}（对公司的重要性）",
            f"{topic.name['zh-hans']}（对利益相关方的重要性）",
        ]
    table = [
        header,
        ["A-1", "客户", "125秒", "5", "4", "非常重要", "不知道", "3", "2"],
        ["A-2", "员工", "2:05", "1", "2", "3", "4", "5", "一般"],
    ]
    content = csv_bytes(table, encoding="gb18030", delimiter=";")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    response = import_file(logged_in(esg_user), open_assessment, "问卷星导出.csv", content)

    assert response.status_code == 302
    first, second = imported()
    assert (first.source_reference, first.respondent_group, first.duration_seconds) == (
        "A-1",
        "customers",
        125,
    )
    assert (second.respondent_group, second.respondent_internal) == ("employees", True)
    values = {
        (a.row_code, a.column_code): (a.value, a.dont_know)
        for a in Answer.objects.filter(response=first, question__code="importance")
    }
    code = topics[1].code
    assert values[(code, COMPANY_AXIS)] == (5, False)  # 非常重要
    assert values[(code, STAKEHOLDER_AXIS)] == (None, True)  # 不知道


# --- Suggestions and scales -----------------------------------------------------------


def sheet(table: list[list[str]]) -> ReplySheet:
    return ReplySheet.from_table(table)


def test_headers_in_english_and_chinese_are_matched_to_topics_and_axes(
    open_assessment: Assessment,
) -> None:
    table = [
        [
            "序号",
            "Respondent ID",
            "您属于哪一类利益相关方？",
            "Risk management - importance to the company",
            "风险管理（对利益相关方的重要性）",
            "企业管治-对公司的重要性",
            "Business ethics & anti-corruption: importance to you",
            "Employee health and safety – importance to the company's stakeholders",
            "Q17",
            "所用时间",
        ],
        ["1", "x1", "客户", "5", "4", "3", "2", "1", "9", "100秒"],
    ]
    suggestion = reply_mapping_suggest(sheet(table), import_context(open_assessment))

    cells = {(cell.topic, cell.axis): cell.column for cell in suggestion.cells}
    assert cells == {
        ("risk-management", COMPANY_AXIS): 3,
        ("risk-management", STAKEHOLDER_AXIS): 4,
        ("corporate-governance", COMPANY_AXIS): 5,
        ("business-ethics", STAKEHOLDER_AXIS): 6,
        # Column H names both axes: the user decides.
    }
    assert suggestion.group_column == 2
    assert suggestion.reference_column == 1
    assert suggestion.duration_column == 9
    assert suggestion.side_column is None
    assert suggestion.scale.mode == ScaleMode.SAME


def test_the_group_column_is_found_by_its_values_when_its_header_says_nothing(
    open_assessment: Assessment,
) -> None:
    table = [["Q1", "Q2", "Q3"], ["yes", "Customers", "内部"], ["no", "媒体", "外部"]]
    suggestion = reply_mapping_suggest(sheet(table), import_context(open_assessment))
    assert suggestion.group_column == 1
    assert suggestion.side_column == 2


def test_the_scale_is_suggested_from_the_numbers_in_the_file(open_assessment: Assessment) -> None:
    context = import_context(open_assessment)
    header = ["Group", "Risk management - company"]
    for values, expected in (
        (["1", "5", "3"], (ScaleMode.SAME, 1, 5)),
        # One above the scale, and nothing else beyond it: a survey tool's option numbers,
        # the sixth option "don't know".
        (["1", "6", "3"], (ScaleMode.OPTION_NUMBER, 1, 5)),
        (["1", "7", "3"], (ScaleMode.LINEAR, 1, 7)),
        (["0", "10", "3"], (ScaleMode.LINEAR, 0, 10)),
    ):
        table = [header, *(["customers", value] for value in values)]
        scale = reply_mapping_suggest(sheet(table), context).scale
        assert (scale.mode, scale.source_min, scale.source_max) == expected


@pytest.mark.usefixtures("in_english")
def test_a_seven_point_and_an_eleven_point_scale_are_mapped_linearly_onto_five_levels(
    open_assessment: Assessment,
) -> None:
    context = import_context(open_assessment)
    seven = RatingReader(context, ScaleMapping(ScaleMode.LINEAR, 1, 7))
    assert {v: seven.read(str(v)).value for v in range(1, 8)} == SEVEN_TO_FIVE  # type: ignore[union-attr]
    eleven = RatingReader(context, ScaleMapping(ScaleMode.LINEAR, 0, 10))
    assert [eleven.read(str(v)).value for v in range(11)] == [  # type: ignore[union-attr]
        1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5,
    ]  # fmt: skip
    assert seven.read("8") == "Outside the file's scale 1–7."
    same = RatingReader(context, ScaleMapping(ScaleMode.SAME, 1, 5))
    assert same.read("7") == "Outside the scale 1–5."
    assert str(same.read("6")).startswith("Outside the scale 1–5. If the file numbers the options")
    assert same.read("3.5") == "Not a whole level of the scale 1–5."
    assert same.read("4.0").value == 4  # type: ignore[union-attr]
    assert same.read("5 - very important").value == 5  # type: ignore[union-attr]


@pytest.mark.usefixtures("in_english")
def test_labels_become_levels_and_dont_know_words_become_dont_know(
    open_assessment: Assessment,
) -> None:
    reader = RatingReader(import_context(open_assessment), ScaleMapping(ScaleMode.SAME, 1, 5))
    for text, level in (("Very important", 5), ("非常重要", 5), ("Not important", 1), ("一般", 3)):
        rating = reader.read(value_key(text))
        assert not isinstance(rating, str)
        assert (rating.value, rating.dont_know) == (level, False), text
    for text in ("N/A", "n/a", "不知道", "Don't know", "Don\u2019t Know", "DK"):
        rating = reader.read(value_key(text))
        assert not isinstance(rating, str)
        assert (rating.value, rating.dont_know) == (None, True), text
    # An empty cell is no answer at all, not "don't know".
    for text in ("", "-3", "(跳过)"):
        rating = reader.read(value_key(text))
        assert not isinstance(rating, str)
        assert (rating.value, rating.dont_know, rating.skipped) == (None, False, True), text
    assert reader.read(value_key("maybe")) == (
        "Not a number, a label of the scale or “don't know”."
    )


def test_durations_are_read_in_the_formats_survey_services_use() -> None:
    for text, seconds in (
        ("95", 95),
        ("95 s", 95),
        ("95秒", 95),
        ("1:35", 95),
        ("00:01:35", 95),
        ("1分35秒", 95),
        ("", None),
    ):
        assert parse_duration(text) == seconds, text
    with pytest.raises(ValueError, match="soon"):
        parse_duration("soon")


# --- Explicit value mappings ----------------------------------------------------------


def test_the_user_can_correct_how_values_and_groups_are_read(
    esg_user: Any, open_assessment: Assessment
) -> None:
    table = [
        ["ID", "Group", "Risk management - company", "Risk management - stakeholders"],
        ["1", "Clients", "4", "x"],
        ["2", "Test", "5", "5"],
        ["3", "Customers", "4", "3"],
    ]
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "r.csv", csv_bytes(table))
    assert "Not a group of this assessment (an error)" in html
    choices = {
        field_for(html, "Rows with group “Clients”"): "customers",
        field_for(html, "Rows with group “Test”"): "leave-out",
        field_for(html, "Value “x”"): "dont-know",
        field_for(html, "Value “4”"): "2",
    }
    checked = submit(client, url, html, action="check", **choices)
    assert checked.status_code == 200
    assert "All 2 rows are valid." in checked.content.decode()
    assert not Response.objects.exists()  # checking stores nothing

    response = submit(client, url, html, **choices)
    assert response.status_code == 302
    assert [(r.source_reference, r.respondent_group) for r in imported()] == [
        ("1", "customers"),
        ("3", "customers"),
    ]
    values = sorted(
        Answer.objects.filter(question__code="importance").values_list(
            "response__source_reference", "column_code", "value", "dont_know"
        )
    )
    assert values == [
        ("1", COMPANY_AXIS, 2, False),
        ("1", STAKEHOLDER_AXIS, None, True),
        ("3", COMPANY_AXIS, 2, False),
        ("3", STAKEHOLDER_AXIS, 3, False),
    ]
    page = client.get(response["Location"]).content.decode()
    assert "Rows left out by your choice" in page
    assert "Row 3 (group “Test”)" in page


# --- Checking every row ---------------------------------------------------------------


def test_every_kind_of_bad_row_is_reported_with_its_row_number_and_nothing_is_stored(
    esg_user: Any, open_assessment: Assessment
) -> None:
    table = [
        [
            "ID",
            "Group",
            "Side",
            "Duration",
            "Risk management - company",
            "风险管理（对您的重要性）",
        ],
        ["ok-1", "Customers", "external", "60", "3", "4"],
        ["ok-2", "Aliens", "external", "60", "3", "4"],
        ["ok-3", "Customers", "external", "60", "9", "4"],
        ["ok-4", "Customers", "external", "60", "lots", "4"],
        ["ok-1", "Customers", "external", "60", "3", "4"],
        ["ok-6", "Customers", "external", "60", "N/A", ""],
        ["ok-7", "Customers", "sideways", "60", "3", "4"],
        ["ok-8", "Customers", "external", "soon", "3", "4"],
        ["ok-9", "", "external", "60", "3", "4"],
        ["x" * 201, "Customers", "external", "60", "3", "4"],
    ]
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "bad.csv", csv_bytes(table))
    response = submit(client, url, html, scale_mode="same")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing can be imported yet: some rows need fixing" in page
    rows = re.findall(
        r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page
    )
    report = {(int(line), message) for line, _column, _value, message in rows}
    expected = {
        (3, "“Aliens” is not a stakeholder group of this assessment: map it to a group or "
            "fix the file."),
        (4, "Outside the scale 1–5."),
        (5, "Not a number, a label of the scale or “don&#x27;t know”."),
        (6, "Same reference as row 2."),
        (7, "The row has no rating: every topic is empty or “don&#x27;t know”."),
        (8, "“sideways” is neither internal nor external."),
        (9, "“soon” is not a duration in seconds."),
        (10, "The stakeholder group is missing."),
        (11, "The reference is longer than 200 characters."),
    }  # fmt: skip
    assert report == expected
    columns = {int(line): column for line, column, _value, _message in rows}
    assert columns[4] == "E · Risk management - company"
    assert columns[7] == "—"  # the row as a whole
    assert not Response.objects.exists()
    assert not Answer.objects.exists()
    assert client.get(url).status_code == 200  # the file is kept: fix the mapping, retry


def test_rows_with_errors_are_skipped_only_when_asked_and_are_listed(
    esg_user: Any, open_assessment: Assessment
) -> None:
    table = [
        ["ID", "Group", "Risk management - company"],
        ["a", "Customers", "3"],
        ["b", "Aliens", "3"],
        ["c", "Media", "4"],
    ]
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "r.csv", csv_bytes(table))
    assert submit(client, url, html).status_code == 400

    response = submit(client, url, html, skip_errors="on")
    assert response.status_code == 302
    assert [r.source_reference for r in imported()] == ["a", "c"]
    page = client.get(response["Location"]).content.decode()
    assert "1 row with errors was skipped, as you chose" in page
    assert "“Aliens” is not a stakeholder group of this assessment" in page
    entry = AuditEntry.objects.get(assessment=open_assessment, action=AuditAction.REPLIES_IMPORTED)
    assert entry.actor == esg_user
    assert entry.note == "Imported 2 replies from “r.csv”. Rows skipped for errors: 3."


def test_a_mapping_that_uses_a_column_twice_or_no_rating_is_refused(
    esg_user: Any, open_assessment: Assessment
) -> None:
    table = [["Group", "Risk management - company"], ["Customers", "3"]]
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "r.csv", csv_bytes(table))
    twice = submit(client, url, html, **{"cell__climate-change__company": "1"})
    assert twice.status_code == 400
    assert "This column is already used for" in twice.content.decode()
    none = submit(client, url, html, **{"cell__risk-management__company": ""})
    assert none.status_code == 400
    assert "Choose the column of at least one topic rating." in none.content.decode()
    assert not Response.objects.exists()


def test_straight_lined_imported_replies_are_flagged(
    esg_user: Any, open_assessment: Assessment
) -> None:
    table = replies_table(open_assessment, 2)
    table[1][2:-1] = ["6"] * 34  # the same rating everywhere
    import_file(logged_in(esg_user), open_assessment, "r.csv", csv_bytes(table))
    assert [r.straight_lined for r in imported()] == [True, False]


# --- Replies and files imported before ------------------------------------------------


def already_listed(page: str) -> list[tuple[int, str]]:
    """The rows a page lists as already imported: (row, reference)."""
    return [
        (int(line), reference)
        for line, reference in re.findall(r"<li>Row (\d+) \(reference “([^”]*)”\)</li>", page)
    ]


def test_references_imported_before_are_reported_and_skipped_and_the_rest_is_stored(
    esg_user: Any, open_assessment: Assessment
) -> None:
    client = logged_in(esg_user)
    table = replies_table(open_assessment, 5)
    first = import_file(client, open_assessment, "march.csv", csv_bytes(table[:4]))
    assert first.status_code == 302
    # April's export holds March's three replies again, and two new ones.
    url, html = upload_and_map(client, open_assessment, "april.csv", csv_bytes(table))
    checked = submit(client, url, html, action="check").content.decode()

    assert "All 2 rows are valid." in checked
    assert "3 rows were already imported into this assessment and will not be stored again." in (
        " ".join(checked.split())
    )
    assert already_listed(checked) == [(2, "R00001"), (3, "R00002"), (4, "R00003")]
    assert "Problems, row by row" not in checked  # not errors

    response = submit(client, url, html)
    assert response.status_code == 302
    assert [r.source_reference for r in imported()] == [f"R0000{n}" for n in range(1, 6)]
    page = client.get(response["Location"]).content.decode()
    assert "2 replies imported from “april.csv”" in page
    assert "3 rows were already imported into this assessment and were not stored again" in page
    assert already_listed(page) == [(2, "R00001"), (3, "R00002"), (4, "R00003")]
    entry = AuditEntry.objects.filter(action=AuditAction.REPLIES_IMPORTED).last()
    assert entry is not None
    assert entry.note == (
        "Imported 2 replies from “april.csv”. Rows already imported before: 2, 3, 4."
    )


def test_a_file_whose_every_reply_was_imported_is_not_imported_again(
    esg_user: Any, open_assessment: Assessment
) -> None:
    client = logged_in(esg_user)
    table = replies_table(open_assessment, 3)
    assert import_file(client, open_assessment, "a.csv", csv_bytes(table)).status_code == 302
    table[2][-1] = "999"  # another file (a corrected duration), the same references
    url, html = upload_and_map(client, open_assessment, "b.csv", csv_bytes(table))
    response = submit(client, url, html)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing to import: every reply in the file was already imported." in page
    assert len(already_listed(page)) == 3
    assert len(imported()) == 3


def test_the_same_file_is_refused_at_upload_saying_when_and_by_whom(
    esg_user: Any, open_assessment: Assessment
) -> None:
    client = logged_in(esg_user)
    table = replies_table(open_assessment, 2, reference=False)
    assert import_file(client, open_assessment, "replies.csv", csv_bytes(table)).status_code == 302
    record = ImportedFile.objects.get()
    assert (record.file_name, record.rows, record.imported_by) == ("replies.csv", 2, esg_user)

    # The same rows under another name, and saved as a workbook (numbers as numbers).
    as_numbers: list[list[Any]] = [
        table[0],
        *([int(v) if v.isdigit() else v for v in row] for row in table[1:]),
    ]
    for name, content in (
        ("replies.csv", csv_bytes(table)),
        ("copy of replies.csv", csv_bytes(table, delimiter=";")),
        ("replies.xlsx", xlsx_bytes(as_numbers)),
    ):
        response = upload(client, open_assessment, name, content)
        assert response.status_code == 400, name
        when = timezone.localtime(record.created_at).strftime("%Y-%m-%d %H:%M")
        assert (
            f"This file was already imported into this assessment on {when} by esg-member "
            "(“replies.csv”, 2 replies)."
        ) in response.content.decode(), name
    assert len(imported()) == 2
    assert len(default_storage.listdir("imports")[1]) == 0  # nothing kept for mapping


def test_the_same_file_imported_meanwhile_is_refused_when_storing(
    esg_user: Any, open_assessment: Assessment
) -> None:
    """Two people upload the same file, one as CSV and one saved as a workbook; the
    second to press "import" is refused."""
    table = replies_table(open_assessment, 3)
    as_numbers: list[list[Any]] = [
        table[0],
        *([int(v) if v.isdigit() else v for v in row] for row in table[1:]),
    ]
    first, second = logged_in(esg_user), logged_in(esg_user)
    url, html = upload_and_map(first, open_assessment, "replies.csv", csv_bytes(table))
    saved = import_file(second, open_assessment, "replies.xlsx", xlsx_bytes(as_numbers))
    assert saved.status_code == 302

    response = submit(first, url, html)
    assert response.status_code == 400
    assert "This file was already imported into this assessment on" in response.content.decode()
    assert len(imported()) == 3
    assert ImportedFile.objects.count() == 1


@pytest.mark.parametrize("window", ["after the check", "after the lookup under the lock"])
def test_a_file_recorded_between_the_check_and_the_store_is_refused(
    window: str, esg_user: Any, open_assessment: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A race: another import records the same rows once this one has looked for them.
    The lookup under the survey's lock catches it, or else the unique constraint."""
    content = csv_bytes(replies_table(open_assessment, 3))
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "replies.csv", content)
    digest = sheet_digest(ReplySheet.from_table(read_table("replies.csv", content)))
    other = ImportedFile.objects.create(
        assessment=open_assessment, digest=digest, file_name="same.xlsx", rows=3
    )
    monkeypatch.setattr(replies, "imported_file_find", lambda **kwargs: None)
    lookups: list[str] = []
    if window == "after the lookup under the lock":
        found = storing.imported_file_find

        def late(**kwargs: Any) -> ImportedFile | None:
            lookups.append(kwargs["digest"])
            return None if len(lookups) == 1 else found(**kwargs)

        monkeypatch.setattr(storing, "imported_file_find", late)

    response = submit(client, url, html)
    if lookups:  # missed under the lock; found after the constraint refused the record
        assert lookups == [digest, digest]
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was imported" in page
    assert "This file was already imported into this assessment on" in page
    assert "(“same.xlsx”, 3 replies)" in page
    assert not Response.objects.exists()
    assert list(ImportedFile.objects.all()) == [other]
    assert not AuditEntry.objects.filter(action=AuditAction.REPLIES_IMPORTED).exists()


@pytest.mark.usefixtures("in_english")
def test_references_imported_between_the_check_and_the_store_are_left_out(
    open_assessment: Assessment,
) -> None:
    context = import_context(open_assessment)
    table = replies_table(open_assessment, 3)

    def checked(rows: list[list[str]], name: str) -> replies.FileCheck:
        sheet = ReplySheet.from_table(rows)
        return replies.reply_file_check(
            assessment=open_assessment,
            sheet=sheet,
            context=context,
            mapping=reply_mapping_suggest(sheet, context),
            file_name=name,
        )

    whole, one = checked(table, "a.csv"), checked([table[0], table[2]], "b.csv")
    replies.reply_file_store(assessment=open_assessment, context=context, checked=one)
    result = replies.reply_file_store(assessment=open_assessment, context=context, checked=whole)

    assert result.stored == 2
    assert [(row.line, row.value) for row in result.already_imported] == [(3, "R00002")]
    assert sorted(r.source_reference for r in imported()) == ["R00001", "R00002", "R00003"]
    # Checked against the same (old) context, a file of R00001 alone has nothing left.
    alone = checked(table[:2], "c.csv")
    with pytest.raises(replies.ImportRefused, match="every reply in the file was imported"):
        replies.reply_file_store(assessment=open_assessment, context=context, checked=alone)
    assert ImportedFile.objects.count() == 2


def test_a_sheet_digest_ignores_how_the_rows_were_saved_but_not_what_they_say() -> None:
    table = [
        ["序号", "提交答卷时间", "所用时间", "Group", "Score"],
        ["1", "2021/5/1 9:05:37", "125秒", "Customers", "4"],
        ["2", "2021/5/2 10:00:00", "90秒", "员工", "3.5"],
    ]
    workbook: list[list[Any]] = [
        ["序号", "提交答卷时间", "所用时间", "Group", "Score", ""],
        [1, datetime(2021, 5, 1, 9, 5, 37), "125秒", " Customers ", 4.0, ""],
        [2, datetime(2021, 5, 2, 10, 0), "90秒", "员工", 3.5, None],
        ["", "", "", "", "", ""],
    ]
    digest = sheet_digest(ReplySheet.from_table(table))
    saved = read_table("replies.xlsx", xlsx_bytes(workbook))
    assert sheet_digest(ReplySheet.from_table(saved)) == digest
    changed = [row[:] for row in table]
    changed[2][4] = "3"
    assert sheet_digest(ReplySheet.from_table(changed)) != digest
    assert sheet_digest(ReplySheet.from_table([table[0], table[2], table[1]])) != digest


# --- Quality rules, counted before storing --------------------------------------------


def quality_table(
    assessment: Assessment, durations: list[int], *, straight: int = 0, first: int = 1
) -> list[list[str]]:
    """Replies on the 1–5 scale over every topic and axis, taking `durations` seconds;
    the first `straight` give the same rating everywhere."""
    headers = [header for header, _topic, _axis in rating_headers(assessment)]
    table = [["ID", "Stakeholder group", *headers, "Duration (seconds)"]]
    for number, seconds in enumerate(durations, start=first):
        if number < first + straight:
            ratings = ["4"] * len(headers)
        else:
            ratings = [str(1 + (number + i) % 5) for i in range(len(headers))]
        table.append([f"Q{number}", "Customers", *ratings, str(seconds)])
    return table


def quality_report(page: str) -> list[str]:
    section = page.split('id="import-quality-title"')[1].split("</section>")[0]
    return [
        " ".join(html.unescape(item).split()) for item in re.findall(r"<li>(.*?)</li>", section)
    ]


# 12 replies: sorted, 60, 300, 310, …, 400 seconds; the median (the 7th) is 350 seconds,
# the limit a third of it, 116 seconds: the reply of 60 seconds is too fast. Replies 1
# and 2 rate every cell 4: straight-lined.
TWELVE = [300, 310, 320, 330, 340, 350, 360, 370, 380, 390, 400, 60]


def test_the_check_counts_what_the_quality_rules_would_leave_out(
    esg_user: Any, open_assessment: Assessment
) -> None:
    client = logged_in(esg_user)
    table = quality_table(open_assessment, TWELVE, straight=2)
    url, html = upload_and_map(client, open_assessment, "twelve.csv", csv_bytes(table))
    page = submit(client, url, html, action="check").content.decode()

    assert quality_report(page) == [
        "Straight-lining (the same rating for every topic): 2 of the file's 12 replies "
        "would be left out of the scores.",
        "Too fast: 1 of the file's 12 replies took under 116 seconds (33% of the median, "
        "350 seconds, over 12 replies with a time, stored and in this file) and would be "
        "left out of the scores.",
    ]
    settings_url = reverse("materiality:method-settings", args=[open_assessment.pk])
    assert f'<a href="{settings_url}">Change the method settings</a>' in page
    assert not Response.objects.exists()

    # Once they are stored, the next file's median counts them: 40, 60, 100, 300, …: the
    # 8th of 15 is 340 seconds, the limit 113: the replies of 100 and 40 seconds.
    assert submit(client, url, html).status_code == 302
    assert [r.straight_lined for r in imported()].count(True) == 2
    more = quality_table(open_assessment, [100, 500, 40], first=13)
    url, html = upload_and_map(client, open_assessment, "three.csv", csv_bytes(more))
    page = submit(client, url, html, action="check").content.decode()
    assert quality_report(page)[1] == (
        "Too fast: 2 of the file's 3 replies took under 113 seconds (33% of the median, "
        "340 seconds, over 15 replies with a time, stored and in this file) and would be "
        "left out of the scores."
    )


def test_the_check_says_when_the_method_settings_keep_every_reply(
    esg_user: Any, open_assessment: Assessment
) -> None:
    open_assessment.scoring = {"exclude_straight_lined": False, "exclude_too_fast": False}
    open_assessment.save(update_fields=["scoring"])
    client = logged_in(esg_user)
    table = quality_table(open_assessment, TWELVE, straight=2)
    url, html = upload_and_map(client, open_assessment, "twelve.csv", csv_bytes(table))
    page = submit(client, url, html, action="check").content.decode()
    assert quality_report(page) == [
        "Straight-lining (the same rating for every topic): 2 of the file's 12 replies; the "
        "method settings keep them in the scores.",
        "Too fast: the method settings keep every reply, however quick.",
    ]


def file_row(line: int, duration: int | None, *, straight: bool = False) -> ReplyRow:
    ratings = tuple(
        CellRating(f"topic-{i // 2}", "company", 4 if straight else 1 + i % 5, False)
        for i in range(34)
    )
    return ReplyRow(
        line=line,
        reference=f"r{line}",
        group="customers",
        internal=False,
        duration=duration,
        ratings=ratings,
    )


@pytest.mark.usefixtures("in_english")
def test_the_quality_counts_follow_the_runs_rules(open_assessment: Assessment) -> None:
    # Stored: 4 replies of 100 s, 2 straight-lined of 200 s, 5 without a time. The file:
    # 30 s straight-lined, 30 s, 90 s, no time, 600 s. Times, sorted: 30, 30, 90, 100,
    # 100, 100, 100, 200, 200, 600: the median (the 6th of 10) is 100 s, the limit 33 s.
    stored = Durations(counts={(100, False): 4, (200, True): 2, (None, False): 5})
    rows = [
        file_row(2, 30, straight=True),
        file_row(3, 30),
        file_row(4, 90),
        file_row(5, None),
        file_row(6, 600),
    ]
    # The share of the median alone (the floor per grid cell is tested below).
    options = replace(run_options(open_assessment), too_fast_seconds_per_cell=0)
    preview = quality_preview(rows, grid_cells=34, stored=stored, options=options)
    assert (preview.straight_lined, preview.too_fast, preview.excluded) == (1, 1, 2)
    assert (preview.median_seconds, preview.too_fast_seconds, preview.timed) == (100, 33, 10)
    assert preview.untimed == 1
    assert quality_lines(preview)[-1] == (
        "Replies of the file without a time, which cannot be judged too fast: 1."
    )

    # Straight-lined replies kept: the straight-lined one of 30 s is too fast as well.
    kept = replace(options, exclude_straight_lined=False)
    preview = quality_preview(rows, grid_cells=34, stored=stored, options=kept)
    assert (preview.straight_lined, preview.too_fast, preview.excluded) == (1, 2, 2)

    # A survey that asks for more rated cells than the grid has flags nobody.
    demanding = replace(options, straight_line_min_cells=35)
    preview = quality_preview(rows, grid_cells=34, stored=stored, options=demanding)
    assert (preview.straight_lined, preview.too_fast) == (0, 2)

    # One reply with a time fewer than the rule needs: no limit, nobody too fast.
    strict = replace(options, too_fast_min_responses=11)
    preview = quality_preview(rows, grid_cells=34, stored=stored, options=strict)
    assert (preview.too_fast_seconds, preview.too_fast) == (None, 0)
    assert quality_lines(preview)[1] == (
        "Too fast: no limit yet: it takes 11 replies with a time, and there are 10 "
        "(stored and in this file); none would be left out."
    )

    # The floor per grid cell, whatever the median: 34 cells at 1 s make 34 s.
    floored = replace(options, too_fast_seconds_per_cell=1.0)
    preview = quality_preview(rows, grid_cells=34, stored=stored, options=floored)
    assert (preview.too_fast_seconds, preview.too_fast) == (34, 1)
    assert quality_lines(preview)[1] == (
        "Too fast: 1 of the file's 5 replies took under 34 seconds (the floor per grid "
        "cell, whatever the median) and would be left out of the scores."
    )


# --- Files that cannot be imported ----------------------------------------------------


def test_a_file_of_another_kind_is_refused_clearly(
    esg_user: Any, open_assessment: Assessment
) -> None:
    response = upload(logged_in(esg_user), open_assessment, "replies.pdf", b"%PDF-1.4")
    assert response.status_code == 400
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    assert not default_storage.exists("imports")


def test_a_draft_assessment_takes_no_imported_replies(
    esg_user: Any, assessment: Assessment
) -> None:
    client = logged_in(esg_user)
    assert "Open the survey first" in client.get(import_url(assessment)).content.decode()
    response = upload(client, assessment, "r.csv", csv_bytes(replies_table(assessment, 1)))
    assert response.status_code == 400
    assert not default_storage.exists("imports")


def test_cancelling_deletes_the_uploaded_file(esg_user: Any, open_assessment: Assessment) -> None:
    client = logged_in(esg_user)
    url, _html = upload_and_map(
        client, open_assessment, "r.csv", csv_bytes(replies_table(open_assessment, 1))
    )
    assert len(default_storage.listdir("imports")[1]) == 2  # the file and its description
    response = client.post(f"{url}cancel/")
    assert response.status_code == 302
    assert default_storage.listdir("imports")[1] == []
    assert client.get(url).status_code == 404


def test_forgotten_uploads_are_deleted_after_a_day(open_assessment: Assessment) -> None:
    job = import_job_create(
        assessment=open_assessment, user=None, file_name="r.csv", content=b"a\n1\n", language="en"
    )
    later = uploads.timezone.now() + uploads.IMPORT_LIFETIME * 2
    assert uploads.import_jobs_purge(later) == 2
    assert import_job_load(job.id) is None


# --- Who may import -------------------------------------------------------------------


def import_pages(client: Client, assessment: Assessment) -> dict[str, tuple[str, str]]:
    """Every import URL, with a pending import to point at (method, url)."""
    job = import_job_create(
        assessment=assessment,
        user=None,
        file_name="r.csv",
        content=csv_bytes(replies_table(assessment, 1)),
        language="en",
    )
    jobs.progress_save(
        job.id,
        jobs.ImportProgress(
            state=ImportState.FAILED, file_name="r.csv", assessment_id=assessment.pk
        ),
    )
    mapping = reverse("materiality:replies-import-map", args=[assessment.pk, uuid.UUID(job.id)])
    return {
        "upload form": ("get", import_url(assessment)),
        "upload": ("post", import_url(assessment)),
        "mapping": ("get", mapping),
        "check": ("post", mapping),
        "progress": ("get", f"{mapping}progress/"),
        "cancel": ("post", f"{mapping}cancel/"),
    }


def test_the_esg_team_can_use_every_import_page(esg_user: Any, open_assessment: Assessment) -> None:
    client = logged_in(esg_user)
    for name, (method, url) in import_pages(client, open_assessment).items():
        status = getattr(client, method)(url).status_code
        # A POST without its form data is answered with the form and its errors.
        assert status in (200, 302, 400), name


@pytest.mark.parametrize("role", ["decider_user", "outsider_user"])
def test_the_decision_group_and_outsiders_are_refused_every_import_page(
    role: str, request: pytest.FixtureRequest, open_assessment: Assessment
) -> None:
    client = logged_in(request.getfixturevalue(role))
    for name, (method, url) in import_pages(client, open_assessment).items():
        assert getattr(client, method)(url).status_code == 403, name
    assert default_storage.listdir("imports")[1]  # the pending import is untouched


def test_anonymous_visitors_are_sent_to_log_in(open_assessment: Assessment) -> None:
    client = Client()
    for name, (method, url) in import_pages(client, open_assessment).items():
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


def test_an_import_is_only_reachable_through_its_own_assessment(
    esg_user: Any, open_assessment: Assessment
) -> None:
    other = AssessmentFactory()
    client = logged_in(esg_user)
    pages = import_pages(client, open_assessment)
    _method, url = pages["mapping"]
    assert client.get(url.replace(f"/{open_assessment.pk}/", f"/{other.pk}/")).status_code == 404


# --- Speed and scale ------------------------------------------------------------------


# Whatever the number of rows: session, user and permissions (4); the assessment, its
# topics, groups, questions and earlier references (5); the import's own read of the
# assessment and of the user who asked (2); the import's transaction (2) and inside it the
# lock and the references again (2, in a savepoint: 2); the file imported before, looked
# up by the check and again under the lock (2), and its record (1); the aggregation
# request (stale-run sweep, savepoint, insert, release: 4); the audit entry (1). The
# replies counted as they are stored (surveys.tallies): the counts' lock (created in a
# savepoint: 4) and its batch (1), then the grids' ids, one INSERT … SELECT for the
# ratings and one for the durations, and the tally (4). On PostgreSQL, the answers'
# foreign keys checked as each COPY ends, then deferred again (2), and whether the role
# may bulk-load them (1); if so the questions' lock, an answer id and the proof after the
# last COPY (3), and two SET LOCAL around each COPY (per batch, as the inserts).
FIXED_QUERIES = 30 + 9 + 2 + 1 + 3


@pytest.mark.parametrize("rows", [20, 200])
def test_importing_takes_no_query_per_row(
    rows: int, esg_user: Any, open_assessment: Assessment, django_assert_max_num_queries: Any
) -> None:
    client = logged_in(esg_user)
    url, html = upload_and_map(
        client, open_assessment, "r.csv", csv_bytes(replies_table(open_assessment, rows))
    )
    answers = rows * (34 + 2)
    inserts = bulk_inserts(Response, rows, storing.STORE_BATCH_ROWS) + bulk_inserts(
        Answer, answers, bulk.ANSWER_ROWS_PER_INSERT
    )
    switches = 2 * bulk_inserts(Response, rows, storing.STORE_BATCH_ROWS)
    with (
        CaptureQueriesContext(connection) as queries,
        django_assert_max_num_queries(FIXED_QUERIES + inserts + switches),
    ):
        assert submit(client, url, html).status_code == 302
    per_batch = ("INSERT", "SET LOCAL session_replication_role")
    others = [q for q in queries.captured_queries if not q["sql"].startswith(per_batch)]
    assert len(others) <= FIXED_QUERIES
    assert Answer.objects.count() == answers


# Session, user and permissions (4); the assessment with its survey.
IMPORT_PAGE = 4 + 1
# Besides, to read the file against the assessment: its topics, groups and questions, and
# the references imported before (4). The file's rows are in storage, the result in the
# cache: neither costs a query per row.
MAPPING_QUERIES = IMPORT_PAGE + 4
# A check besides looks for an earlier import of the file (1), and counts what the quality
# rules would leave out: the assessment's group weights for its options, and the stored
# replies by completion time (2).
CHECK_QUERIES = IMPORT_PAGE + 4 + 3
PROGRESS_QUERIES = IMPORT_PAGE


@pytest.mark.parametrize("rows", [3, 10])
def test_the_import_pages_take_no_query_per_row(
    rows: int, esg_user: Any, open_assessment: Assessment, django_assert_num_queries: Any
) -> None:
    """Mapping, checking and the result of a file with `rows` good and `rows` bad rows."""
    table = replies_table(open_assessment, 2 * rows)
    for row in table[1 + rows :]:
        row[1] = "Aliens"
    client = logged_in(esg_user)
    url = upload(client, open_assessment, "r.csv", csv_bytes(table))["Location"]
    with django_assert_num_queries(MAPPING_QUERIES):
        html = client.get(url).content.decode()
    with django_assert_num_queries(CHECK_QUERIES):
        checked = submit(client, url, html, action="check").content.decode()
    assert checked.count("“Aliens” is not a stakeholder group of this assessment") == rows
    imported_url = submit(client, url, html, skip_errors="on")["Location"]
    with django_assert_num_queries(PROGRESS_QUERIES):
        page = client.get(imported_url).content.decode()
    assert f"{rows} replies imported from “r.csv”" in page
    assert page.count("“Aliens” is not a stakeholder group of this assessment") == rows


def test_a_large_file_is_imported_by_a_celery_task_with_progress(
    esg_user: Any,
    open_assessment: Assessment,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = jobs.ASYNC_THRESHOLD + 1
    seen: list[tuple[str, int]] = []
    save = jobs.progress_save

    def spy(import_id: str, progress: jobs.ImportProgress) -> None:
        seen.append((progress.state, progress.percent))
        save(import_id, progress)

    monkeypatch.setattr(jobs, "progress_save", spy)
    client = logged_in(esg_user)
    url, html = upload_and_map(
        client, open_assessment, "big.csv", csv_bytes(replies_table(open_assessment, rows))
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = submit(client, url, html)
    assert response.status_code == 302
    progress_url = response["Location"]
    queued = client.get(progress_url).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in queued
    assert "Waiting for a worker" in queued
    assert not Response.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()  # sends the task; in tests Celery runs it in-process

    assert len(imported()) == rows
    done = client.get(progress_url).content.decode()
    assert 'http-equiv="refresh"' not in done
    assert 'value="100"' in done
    assert f"{rows} replies imported from “big.csv”" in done
    states = [state for state, _percent in seen]
    assert states[0] == ImportState.QUEUED
    assert states[-1] == ImportState.DONE
    running = [percent for state, percent in seen if state == ImportState.RUNNING]
    assert running == sorted(running)  # one update per batch, only ever forwards
    assert len(running) >= math.ceil(rows / storing.STORE_BATCH_ROWS)
    assert seen[-1] == (ImportState.DONE, 100)
    assert import_progress(url.rstrip("/").split("/")[-1].replace("-", "")) is not None


def test_a_task_delivered_twice_stores_the_replies_once(
    esg_user: Any, open_assessment: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "ASYNC_THRESHOLD", 2)
    client = logged_in(esg_user)
    url, html = upload_and_map(
        client, open_assessment, "r.csv", csv_bytes(replies_table(open_assessment, 5))
    )
    submit(client, url, html)  # queued: the task is sent after commit
    import_id = url.rstrip("/").split("/")[-1].replace("-", "")
    assert import_replies.delay(import_id).get() == ImportState.DONE
    assert import_replies.delay(import_id).get() == ImportState.DONE
    assert reply_import_execute(import_id) is not None
    assert len(imported()) == 5


# --- Scores ---------------------------------------------------------------------------


def test_an_import_requests_scores_that_match_an_independent_computation(
    esg_user: Any, open_assessment: Assessment
) -> None:
    table = replies_table(open_assessment, 40, seed=7)
    response = import_file(logged_in(esg_user), open_assessment, "r.csv", csv_bytes(table))
    assert response.status_code == 302
    run = AggregationRun.objects.get(status=RunStatus.PENDING)
    assert (run.trigger, run.requested_by) == (RunTrigger.MANUAL, esg_user)
    # The audit trail records the import with the run it asked for.
    entry = AuditEntry.objects.get(assessment=open_assessment, run=run)
    assert (entry.action, entry.actor_name) == (AuditAction.REPLIES_IMPORTED, "esg-member")
    assert entry.note == "Imported 40 replies from “r.csv”."

    finished = aggregation_execute(run.pk)
    assert finished is not None
    assert finished.status == RunStatus.SUCCEEDED
    assert finished.responses_total == 40

    frame = pd.DataFrame(table[1:], columns=table[0])
    where = {header: (topic, axis) for header, topic, axis in rating_headers(open_assessment)}
    long = frame.melt(id_vars=["Respondent ID"], value_vars=list(where), var_name="header")
    long = long[long["value"] != "N/A"]
    long["level"] = long["value"].astype(int).map(SEVEN_TO_FIVE)
    long["topic"] = long["header"].map(lambda header: where[header][0])
    long["axis"] = long["header"].map(lambda header: where[header][1])
    expected = long.groupby(["topic", "axis"])["level"].agg(["mean", "count"])
    scores = TopicScore.objects.filter(run=run).select_related("topic")
    assert scores.count() == 17
    for score in scores:
        for axis in (COMPANY_AXIS, STAKEHOLDER_AXIS):
            mean, count = expected.loc[(score.topic.code, axis)]
            stats = getattr(score, axis)
            assert stats["n"] == count
            assert stats["mean"] == pytest.approx(mean)


def test_imported_replies_carry_their_source_and_references(
    esg_user: Any, open_assessment: Assessment
) -> None:
    table = replies_table(open_assessment, 4)
    import_file(logged_in(esg_user), open_assessment, "r.csv", csv_bytes(table))
    stored = Response.objects.filter(survey=open_assessment.survey)
    assert set(stored.values_list("source", flat=True)) == {"import"}
    assert list(stored.order_by("pk").values_list("source_reference", flat=True)) == [
        "R00001",
        "R00002",
        "R00003",
        "R00004",
    ]
