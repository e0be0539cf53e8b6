"""Reply files larger than a web request reads (#16 item 3): the pages read their first
rows only, a worker reads, checks and stores them whole under limits.BACKGROUND, the
progress page follows it stage by stage, and the guards against hostile files hold
under the worker's limits too."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse

from materiality.importing import jobs
from materiality.importing.jobs import ImportProgress, ImportStage, ImportState
from materiality.importing.tables import (
    SpreadsheetError,
    limits,
    read_table,
    read_table_start,
)
from materiality.models import Assessment
from tests.materiality.test_reply_import import (
    imported,
    logged_in,
    replies_table,
    submit,
    upload_and_map,
    xlsx_bytes,
)
from tests.materiality.test_spreadsheet_limits import MB, inline_row, invitee_rows, workbook

# The readers' refusals are read in English.
pytestmark = pytest.mark.usefixtures("in_english")


def test_a_file_of_more_rows_than_a_request_reads_is_read_whole_only_in_the_background() -> None:
    content = workbook(invitee_rows(limits.MAX_ROWS + 50))  # 10,050 rows: the old limit

    start = read_table_start("people.xlsx", content)
    assert not start.complete
    assert len(start.rows) == limits.MAX_ROWS + 1  # the header and the first 10,000 rows
    with pytest.raises(SpreadsheetError, match=r"At most 10000 rows per file\."):
        read_table("people.xlsx", content)  # a request's whole read: refused as before

    with limits.reading_under(limits.BACKGROUND):
        rows = read_table("people.xlsx", content)
    assert len(rows) == limits.MAX_ROWS + 51
    assert rows[-1] == [f"p{limits.MAX_ROWS + 51}@example.com", "employees"]


def test_a_small_file_is_read_whole_by_the_request() -> None:
    start = read_table_start("people.xlsx", workbook(invitee_rows(3)))
    assert start.complete
    assert len(start.rows) == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (  # a zip bomb: 5 MB of one row packed into a few KB
            workbook(b'<row><c t="inlineStr"><is><t>5</t></is></c><c><v>5</v></c></row>' * 80_000),
            "packed more tightly than a spreadsheet can be",
        ),
        (  # finding 3: 2,000,000 shared strings in about 100 KB
            workbook(invitee_rows(3), strings=b"<si><t>x</t></si>" * 2_000_000),
            "packed more tightly than a spreadsheet can be",
        ),
        (  # finding 3: a sheet declaring A1:XFD10001, with a value far right
            workbook(
                invitee_rows(1) + inline_row(3, ("A3", "b@example.com"), ("XFD3", "x")),
                dimension="A1:XFD10001",
            ),
            "at most 256 columns are read",
        ),
    ],
)
def test_the_guards_refuse_hostile_files_under_the_workers_limits_too(
    content: bytes, message: str
) -> None:
    assert len(content) < 1 * MB
    for read in (
        lambda: read_table_start("replies.xlsx", content),
        lambda: read_table("replies.xlsx", content),
    ):
        with (
            limits.reading_under(limits.BACKGROUND),
            pytest.raises(SpreadsheetError, match=message),
        ):
            read()


def test_a_large_reply_file_is_accepted_and_imported_whole_by_the_worker_stage_by_stage(
    esg_user: Any,
    open_assessment: Assessment,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A request reads 30 rows here, so that 70 are "more than the request limit".
    monkeypatch.setattr(limits, "MAX_ROWS", 30)
    rows = 70
    seen: list[tuple[str, str, int]] = []
    save = jobs.progress_save

    def spy(import_id: str, progress: ImportProgress) -> None:
        seen.append((progress.state, progress.stage, progress.percent))
        save(import_id, progress)

    monkeypatch.setattr(jobs, "progress_save", spy)
    client = logged_in(esg_user)
    content = xlsx_bytes(replies_table(open_assessment, rows))
    url, html = upload_and_map(client, open_assessment, "big.xlsx", content)
    assert "it shows and checks the first 30 rows" in html
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = submit(client, url, html)
    assert response.status_code == 302
    assert not imported()
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()  # sends the task; in tests Celery runs it in-process

    assert len(imported()) == rows  # every row, not the 30 the pages read
    stages = [stage for _state, stage, _percent in seen if stage]
    assert [stage for index, stage in enumerate(stages) if stage not in stages[:index]] == [
        ImportStage.READING,
        ImportStage.CHECKING,
        ImportStage.STORING,
    ]
    percents = [percent for _state, _stage, percent in seen]
    assert percents == sorted(percents)  # only ever forwards
    assert seen[-1][0] == ImportState.DONE
    assert seen[-1][2] == 100
    done = client.get(response["Location"]).content.decode()
    assert f"{rows} replies imported from “big.xlsx”" in done


@pytest.mark.parametrize(
    ("stage", "done", "percent", "label"),
    [
        (ImportStage.READING, 0.5, 12, "Reading the file (12%)."),
        (ImportStage.CHECKING, 0.5, 30, "Checking every row (30%)."),
        (ImportStage.STORING, 0.5, 67, "replies stored (67%)."),
    ],
)
def test_the_progress_page_names_the_stage_and_its_share(
    esg_user: Any,
    open_assessment: Assessment,
    stage: ImportStage,
    done: float,
    percent: int,
    label: str,
) -> None:
    import_id = "0" * 32
    progress = ImportProgress(
        state=ImportState.RUNNING,
        file_name="big.xlsx",
        user_name="esg-member",
        total=1000 if stage == ImportStage.STORING else 0,
        stored=500 if stage == ImportStage.STORING else 0,
        assessment_id=open_assessment.pk,
        stage=stage,
        stage_done=done,
    )
    assert progress.percent == percent
    jobs.progress_save(import_id, progress)
    url = reverse(
        "materiality:replies-import-progress",
        kwargs={"pk": open_assessment.pk, "import_id": uuid.UUID(int=0)},
    )
    page = logged_in(esg_user).get(url)
    assert page.status_code == 200
    assert label in page.content.decode()
    assert f'value="{percent}"' in page.content.decode()
