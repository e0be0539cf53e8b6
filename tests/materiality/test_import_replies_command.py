"""`manage.py import_replies`: a scripted import with the checks, the words and the
result of the import pages, and the mapping file the pages download."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from materiality.importing.context import ReplySheet, import_context
from materiality.importing.mapping import ReplyMapping
from materiality.importing.suggesting import reply_mapping_suggest
from materiality.models import (
    AggregationRun,
    Assessment,
    AuditAction,
    AuditEntry,
    ImportedFile,
    RunStatus,
    RunTrigger,
)
from surveys.models import Answer, Response
from tests.factories import AssessmentFactory
from tests.materiality.test_reply_import import (
    TWELVE,
    csv_bytes,
    field_for,
    imported,
    logged_in,
    quality_table,
    replies_table,
    submit,
    upload_and_map,
)

pytestmark = pytest.mark.django_db


def run(*args: Any, language: str | None = "en") -> list[str]:
    """The command's output, line by line (CommandError goes through)."""
    out = io.StringIO()
    options = [] if language is None else ["--language", language]
    call_command("import_replies", *map(str, args), *options, stdout=out)
    return out.getvalue().splitlines()


def write(path: Path, table: list[list[str]]) -> Path:
    path.write_bytes(csv_bytes(table))
    return path


def nothing_stored() -> bool:
    return not (
        Response.objects.exists()
        or ImportedFile.objects.exists()
        or AggregationRun.objects.exists()
        or AuditEntry.objects.filter(action=AuditAction.REPLIES_IMPORTED).exists()
    )


def test_a_dry_run_prints_what_it_found_and_stores_nothing(
    open_assessment: Assessment, tmp_path: Path
) -> None:
    path = write(tmp_path / "twelve.csv", quality_table(open_assessment, TWELVE, straight=2))
    output = run(open_assessment.pk, path, "--dry-run")

    assert output == [
        "“twelve.csv”: 12 rows, 37 columns.",
        "Mapping: suggested from the headers, as on the import page.",
        "Replies ready to import: 12.",
        "Quality rules, as set for this assessment",
        "  Straight-lining (the same rating for every topic): 2 of the file's 12 replies "
        "would be left out of the scores.",
        "  Too fast: 1 of the file's 12 replies took under 116 seconds (33% of the median, "
        "350 seconds, over 12 replies with a time, stored and in this file) and would be "
        "left out of the scores.",
        "Dry run: nothing was stored.",
    ]
    assert nothing_stored()


def test_an_import_stores_the_replies_records_the_file_and_requests_a_run(
    open_assessment: Assessment, tmp_path: Path
) -> None:
    path = write(tmp_path / "twelve.csv", quality_table(open_assessment, TWELVE, straight=2))
    output = run(open_assessment.pk, path)

    run_ = AggregationRun.objects.get()
    assert output[-1] == f"Imported 12 replies from “twelve.csv”; scores run {run_.pk} requested."
    assert (run_.status, run_.trigger) == (RunStatus.PENDING, RunTrigger.COMMAND)
    assert [r.source_reference for r in imported()] == [f"Q{n}" for n in range(1, 13)]
    assert [r.straight_lined for r in imported()].count(True) == 2
    record = ImportedFile.objects.get()
    assert (record.file_name, record.rows, record.imported_by) == ("twelve.csv", 12, None)
    entry = AuditEntry.objects.get(action=AuditAction.REPLIES_IMPORTED)
    assert (entry.run, entry.actor, entry.note) == (
        run_,
        None,
        "Imported 12 replies from “twelve.csv”.",
    )

    with pytest.raises(CommandError, match=r"already imported into this assessment on .*"):
        run(open_assessment.pk, path)
    assert len(imported()) == 12


def test_references_imported_before_are_listed_and_the_rest_is_imported(
    open_assessment: Assessment, tmp_path: Path
) -> None:
    table = replies_table(open_assessment, 5)
    run(open_assessment.pk, write(tmp_path / "march.csv", table[:4]))
    output = run(open_assessment.pk, write(tmp_path / "april.csv", table))

    assert "Replies ready to import: 2." in output
    start = output.index("Already imported into this assessment, not stored again: 3.")
    assert output[start + 1 : start + 4] == [
        "  Row 2 (reference “R00001”)",
        "  Row 3 (reference “R00002”)",
        "  Row 4 (reference “R00003”)",
    ]
    assert len(imported()) == 5


BAD_ROWS = [
    ["ID", "Group", "Risk management - company"],
    ["a", "Customers", "3"],
    ["b", "Aliens", "3"],
    ["c", "Media", "lots"],
]


def test_rows_with_errors_are_listed_and_nothing_is_stored(
    open_assessment: Assessment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "bad.csv", BAD_ROWS)
    for dry_run in ([], ["--dry-run"]):
        out = io.StringIO()
        with pytest.raises(CommandError, match=r"Nothing was imported: some rows need fixing\."):
            call_command(
                "import_replies", open_assessment.pk, path, *dry_run, language="en", stdout=out
            )
        lines = out.getvalue().splitlines()
        assert lines[2:6] == [
            "Replies ready to import: 1.",
            "Rows with errors: 2.",
            "  Row 3, column B · Group, value “Aliens”: “Aliens” is not a stakeholder group "
            "of this assessment: map it to a group or fix the file.",
            "  Row 4, column C · Risk management - company, value “lots”: Not a number, a label "
            "of the scale or “don't know”.",
        ]
    assert nothing_stored()


def test_a_mapping_file_can_skip_the_rows_with_errors(
    open_assessment: Assessment, tmp_path: Path
) -> None:
    path = write(tmp_path / "bad.csv", BAD_ROWS)
    sheet = ReplySheet.from_table(BAD_ROWS)
    suggested = reply_mapping_suggest(sheet, import_context(open_assessment))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({**suggested.as_dict(), "skip_errors": True}))

    output = run(open_assessment.pk, path, "--mapping", mapping)
    assert output[1] == f"Mapping: {mapping}."
    assert output[3] == "Rows with errors, skipped as the mapping asks: 2."
    assert [r.source_reference for r in imported()] == ["a"]


def bad_mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no such assessment", "There is no assessment 999999."),
        ("draft", "Replies can be imported once the questionnaire is fixed"),
        ("no such file", "Cannot read .*missing.csv: No such file or directory"),
        ("not a spreadsheet", r"replies.pdf: Upload a .csv or .xlsx file."),
        ("not JSON", "mapping.json is not a mapping file: Expecting value"),
        ("a column not in the file", r"Column 7 \(group_column\) is not in the file: its "),
        ("an unknown topic", "“deforestation” is not a topic of this assessment."),
        ("no group column", r"does not fit this file; give one with --mapping"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_stored(
    case: str, message: str, open_assessment: Assessment, tmp_path: Path
) -> None:
    assessment, path = open_assessment.pk, write(tmp_path / "r.csv", BAD_ROWS[:2])
    extra: list[Any] = []
    good = reply_mapping_suggest(ReplySheet.from_table(BAD_ROWS), import_context(open_assessment))
    if case == "no such assessment":
        assessment = 999999
    elif case == "draft":
        assessment = AssessmentFactory().pk
    elif case == "no such file":
        path = tmp_path / "missing.csv"
    elif case == "not a spreadsheet":
        path = tmp_path / "replies.pdf"
        path.write_bytes(b"%PDF-1.4")
    elif case == "not JSON":
        extra = ["--mapping", bad_mapping(tmp_path, "group: B")]
    elif case == "a column not in the file":
        data = {**good.as_dict(), "group_column": 7}
        extra = ["--mapping", bad_mapping(tmp_path, json.dumps(data))]
    elif case == "an unknown topic":
        data = good.as_dict()
        data["cells"][0]["topic"] = "deforestation"
        extra = ["--mapping", bad_mapping(tmp_path, json.dumps(data))]
    elif case == "no group column":
        path = write(tmp_path / "r.csv", [["Q1", "Risk management - company"], ["x", "3"]])
    with pytest.raises(CommandError, match=message):
        run(assessment, path, *extra)
    assert nothing_stored()


def test_messages_are_in_the_sites_language_unless_another_is_asked(
    open_assessment: Assessment, tmp_path: Path, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    path = tmp_path / "replies.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(CommandError, match=r"请上传 \.csv 或 \.xlsx 文件。"):
        run(open_assessment.pk, path, language=None)
    with pytest.raises(CommandError, match=r"Upload a \.csv or \.xlsx file\."):
        run(open_assessment.pk, path, language="en")


def test_the_mapping_downloaded_from_the_page_gives_the_command_the_pages_result(
    esg_user: Any, open_assessment: Assessment, tmp_path: Path
) -> None:
    table = [
        ["ID", "Group", "Risk management - company", "Risk management - stakeholders"],
        ["1", "Clients", "4", "x"],
        ["2", "Test", "5", "5"],
        ["3", "Customers", "4", "3"],
    ]
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "r.csv", csv_bytes(table))
    choices = {
        field_for(html, "Rows with group “Clients”"): "customers",
        field_for(html, "Rows with group “Test”"): "leave-out",
        field_for(html, "Value “x”"): "dont-know",
        field_for(html, "Value “4”"): "2",
    }
    checked = submit(client, url, html, action="check", **choices).content.decode()
    assert "All 2 rows are valid." in checked
    assert "Download these choices as a mapping file (JSON)" in checked

    download = submit(client, url, html, action="mapping", **choices)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/json; charset=utf-8"
    assert download["Content-Disposition"] == 'attachment; filename="r.mapping.json"'
    data = json.loads(download.content)
    assert json.loads(json.dumps(ReplyMapping.from_dict(data).as_dict())) == data
    mapping = tmp_path / "r.mapping.json"
    mapping.write_bytes(download.content)
    assert not Response.objects.exists()  # downloading stores nothing

    path = write(tmp_path / "r.csv", table)
    output = run(open_assessment.pk, path, "--mapping", mapping)
    assert output[2:5] == [
        "Replies ready to import: 2.",
        "Left out by the mapping: 1.",
        "  Row 3 (group “Test”)",
    ]
    values = sorted(
        Answer.objects.filter(question__code="importance").values_list(
            "response__source_reference", "column_code", "value", "dont_know"
        )
    )
    assert values == [  # as the page imports it (test_reply_import.py)
        ("1", "company", 2, False),
        ("1", "stakeholder", None, True),
        ("3", "company", 2, False),
        ("3", "stakeholder", 3, False),
    ]
    assert [(r.source_reference, r.respondent_group) for r in imported()] == [
        ("1", "customers"),
        ("3", "customers"),
    ]


def test_the_worked_example_of_the_operations_guide_imports_as_it_says(
    open_assessment: Assessment,
) -> None:
    """docs/operations.md, "Importing replies from another survey tool": a 问卷星 export
    whose replies 3 and 9 are straight-lined and reply 5 took 47 seconds. Here without
    the demo's replies, the median is the file's own: 389 seconds, the limit 129."""
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "wjx-replies.csv"
    output = run(open_assessment.pk, example, "--dry-run")
    assert output[:3] == [
        "“wjx-replies.csv”: 12 rows, 43 columns.",
        "Mapping: suggested from the headers, as on the import page.",
        "Replies ready to import: 12.",
    ]
    assert output[4:6] == [
        "  Straight-lining (the same rating for every topic): 2 of the file's 12 replies "
        "would be left out of the scores.",
        "  Too fast: 1 of the file's 12 replies took under 129 seconds (33% of the median, "
        "389 seconds, over 12 replies with a time, stored and in this file) and would be "
        "left out of the scores.",
    ]
    run(open_assessment.pk, example)
    stored = {r.source_reference: r for r in imported()}
    assert sorted(ref for ref, r in stored.items() if r.straight_lined) == ["3", "9"]
    assert (stored["5"].duration_seconds, stored["1"].respondent_group) == (47, "customers")
