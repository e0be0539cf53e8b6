"""Exports: scores and responses as CSV/XLSX, the means by hand, background builds."""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import pandas as pd
import pytest
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from materiality.demo.shape import DEMO_REPLIES_PER_GROUP
from materiality.models import AXES, AggregationRun, Assessment, RunStatus, RunTrigger, TopicScore
from materiality.questionnaire import IMPORTANCE_QUESTION
from materiality.reporting.jobs import ExportKind, build_export
from materiality.reporting.response_files import (
    DONT_KNOW,
    means_from_responses_csv,
    responses_csv,
    responses_xlsx,
)
from materiality.reporting.score_files import scores_csv, scores_xlsx
from surveys.models import Answer, Response, ResponseStatus
from tests.factories import (
    AggregationRunFactory,
    add_mixed_replies,
    add_reply,
    random_ratings,
    topic_codes,
)

# Scored over hand-written replies whose mix (straight-lined, too fast, in progress, an
# employee answering as external) these tests check in the files.
pytestmark = [pytest.mark.django_db, pytest.mark.scored_run(replies=add_mixed_replies)]


def read_csv(content: bytes) -> tuple[list[str], list[str], list[list[str]]]:
    assert content.startswith("\ufeff".encode())  # the BOM spreadsheet programs need
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return rows[0], rows[1], rows[2:]


def as_number(text: str) -> float | None:
    return None if text == "" else float(text)


# --- Scores ------------------------------------------------------------------------------


def test_the_scores_csv_is_the_ranked_overall_table_of_the_stored_scores(
    scored_run: AggregationRun,
) -> None:
    run = scored_run
    codes, labels, rows = read_csv(scores_csv(run, "en"))
    assert codes[:3] == ["rank", "topic", "topic_name"]
    assert "Importance to the company · Mean" in labels
    stored = list(TopicScore.objects.filter(run=run).select_related("topic").order_by("rank"))
    assert len(rows) == len(stored) == 17
    for row, score in zip(rows, stored, strict=True):
        record = dict(zip(codes, row, strict=True))
        assert int(record["rank"]) == score.rank
        assert record["topic"] == score.topic.code
        assert record["topic_name"] == score.topic.get_name("en")
        for axis in AXES:
            stats = getattr(score, axis)
            for stat in ("n", "mean", "median", "sd", "ci_low", "ci_high", "normalised"):
                # Full precision: the text is the float's repr, so equality is exact.
                assert as_number(record[f"{axis}_{stat}"]) == stats[stat], (axis, stat)
        assert as_number(record["combined"]) == score.combined
        assert record["material"] == ("true" if score.material else "false")
        assert record["tier"] == score.tier
        assert as_number(record["p_material"]) == score.p_material
        assert as_number(record["company_divergence"]) == score.company_divergence
        assert record["divergence_flag"] in {"true", "false"}


def test_the_scores_workbook_has_every_view_with_numbers_as_numbers(
    scored_run: AggregationRun,
) -> None:
    run = scored_run
    book = load_workbook(io.BytesIO(scores_xlsx(run, "en")))
    assert book.sheetnames == ["Overall", "By group", "By axis source", "Run"]
    overall = book["Overall"]
    assert overall.freeze_panes == "D3"
    codes = [cell.value for cell in overall[1]]
    stored = {s.rank: s for s in TopicScore.objects.filter(run=run).select_related("topic")}
    for row in overall.iter_rows(min_row=3, values_only=True):
        record = dict(zip(codes, row, strict=True))
        score = stored[record["rank"]]
        assert isinstance(record["rank"], int)
        # Numbers are numbers (a workbook gives 4.0 back as 4).
        assert isinstance(record["company_mean"], float | int)
        # A workbook keeps 16 significant digits (Excel shows 15); the CSV keeps all 17.
        assert record["company_mean"] == pytest.approx(score.company_mean, rel=1e-15)
        assert record["stakeholder_ci_high"] == pytest.approx(
            score.stakeholder["ci_high"], rel=1e-15
        )
        assert isinstance(record["company_n"], int)
        assert record["material"] is score.material
        assert record["p_material"] == pytest.approx(score.p_material, rel=1e-15)
    assert overall.column_dimensions["C"].width > 10  # topic names get room
    groups = book["By group"]
    assert groups.max_row == 2 + 17 * 8 * 2
    group_codes = [cell.value for cell in groups[1]]
    assert group_codes[:6] == ["topic", "topic_name", "group", "group_name", "axis", "axis_name"]
    assert {"count_1", "count_5", "mean", "ci_low"} <= set(group_codes)
    first = dict(zip(group_codes, next(groups.iter_rows(min_row=3, values_only=True)), strict=True))
    assert first["topic"] == stored[1].topic.code  # in rank order
    levels = sum(first[f"count_{level}"] for level in range(1, 6))
    assert levels == first["n"]
    record = {row[0]: row[2] for row in book["Run"].iter_rows(min_row=3, values_only=True)}
    assert record["fingerprint"] == run.fingerprint
    assert record["responses_total"] == 20
    assert record["excluded_straight_lined"] == 1
    assert record["excluded_too_fast"] == 1
    assert isinstance(record["too_fast_seconds"], int)
    assert record["params.bootstrap_samples"] == 200
    assert record["params.axis_source"] == "all_rate_both"
    assert isinstance(record["threshold.company"], float)
    assert record["software.numpy"]


def test_the_axis_source_sheet_equals_an_independent_recomputation(
    scored_run: AggregationRun,
) -> None:
    run = scored_run
    assessment = run.assessment
    sheet = load_workbook(io.BytesIO(scores_xlsx(run, "en")))["By axis source"]
    assert "other axis source" in sheet["A1"].value
    assert "fingerprint" in sheet["A1"].value
    codes = [cell.value for cell in sheet[3]]
    table = {
        row[codes.index("topic")]: dict(zip(codes, row, strict=True))
        for row in sheet.iter_rows(min_row=5, values_only=True)
    }
    assert len(table) == 17
    # Independently: the run's own rule drops straight-lined and too-fast replies; the
    # split rule keeps internal respondents' company ratings and external respondents'
    # stakeholder ratings.
    kept = Response.objects.filter(
        survey_id=assessment.survey_id,
        status=ResponseStatus.SUBMITTED,
        straight_lined=False,
        duration_seconds__gte=read_limit(run),
    )
    frame = pd.DataFrame.from_records(
        list(
            Answer.objects.filter(
                response__in=kept, question__code=IMPORTANCE_QUESTION, value__isnull=False
            ).values("row_code", "column_code", "value", "response__respondent_internal")
        )
    )
    internal = frame["response__respondent_internal"]
    frame = frame[
        ((frame.column_code == "company") & internal)
        | ((frame.column_code == "stakeholder") & ~internal)
    ]
    expected = frame.groupby(["row_code", "column_code"])["value"].agg(["mean", "count"])
    for topic, row in table.items():
        for axis in AXES:
            mean, count = expected.loc[(topic, axis)]
            assert row[f"{axis}_n"] == count
            assert row[f"{axis}_mean"] == pytest.approx(mean, rel=1e-14)
        assert row["rank_in_run"] == TopicScore.objects.get(run=run, topic__code=topic).rank
    ranks = sorted(row["rank"] for row in table.values())
    assert ranks == list(range(1, 18))


def test_the_axis_source_sheet_says_so_when_the_replies_have_changed(
    scored_run: AggregationRun,
) -> None:
    run = scored_run
    assessment = run.assessment
    add_reply(assessment, "customers", random_ratings(assessment, random.Random(1)))
    book = load_workbook(io.BytesIO(scores_xlsx(run, "en")))
    sheet = book["By axis source"]
    assert sheet["A1"].value.startswith("Not available")
    assert sheet.max_row == 1
    record = {row[0]: row[2] for row in book["Run"].iter_rows(min_row=3, values_only=True)}
    assert "not recoverable" in record["too_fast_seconds"]


def test_a_chinese_scores_export_has_chinese_sheets_and_labels_and_the_same_codes(
    scored_run: AggregationRun,
) -> None:
    run = scored_run
    book = load_workbook(io.BytesIO(scores_xlsx(run, "zh-hans")))
    assert book.sheetnames == ["总体", "按群体", "按评分来源", "计算记录"]
    overall = book["总体"]
    labels = [cell.value for cell in overall[2]]
    assert "排名" in labels
    assert "对公司的重要性 · 均值" in labels
    english = load_workbook(io.BytesIO(scores_xlsx(run, "en")))["Overall"]
    assert [c.value for c in overall[1]] == [c.value for c in english[1]]
    names = [row[2] for row in overall.iter_rows(min_row=3, values_only=True)]
    assert "风险管理" in names
    codes, labels, _rows = read_csv(scores_csv(run, "zh-hans"))
    assert codes[0] == "rank"
    assert labels[0] == "排名"


# --- Responses ---------------------------------------------------------------------------


def test_the_responses_export_has_one_row_per_submitted_response_with_coded_columns(
    open_assessment: Assessment,
) -> None:
    special = add_mixed_replies(open_assessment)
    content = b"".join(responses_csv(open_assessment, "en"))
    codes, labels, rows = read_csv(content)
    assert len(rows) == 20  # 18 + straight-lined + too fast; not the one in progress
    assert codes[:8] == [
        "response",
        "group",
        "group_name",
        "side",
        "language",
        "submitted",
        "duration_seconds",
        "straight_lined",
    ]
    topics = topic_codes(open_assessment)
    assert codes[8:] == [f"{t}:{a}" for t in topics for a in AXES]
    at = codes.index("risk-management:company")
    assert labels[at] == "Risk management — Importance to the company"
    # Anonymised: numbered 1..n by submission time, not database ids; dates only.
    assert [int(row[0]) for row in rows] == list(range(1, 21))
    assert special["in_progress"].status == ResponseStatus.IN_PROGRESS
    assert all(len(row[codes.index("submitted")]) == 10 for row in rows)
    assert rows[-2][codes.index("straight_lined")] == "true"
    assert rows[-1][codes.index("duration_seconds")] == "20"
    assert rows[4][codes.index("group")] == "employees"
    assert rows[4][codes.index("side")] == "external"
    values = {value for row in rows for value in row[8:]}
    assert DONT_KNOW in values
    assert values <= {DONT_KNOW, "1", "2", "3", "4", "5", ""}
    text = content.decode("utf-8-sig")
    assert "Ann Example" not in text  # comments may name people: left out by default
    assert "example.com" not in text  # never e-mails or invitation data
    assert not any(code.endswith(":comment") for code in codes)


def test_an_assessment_without_replies_exports_its_headers(open_assessment: Assessment) -> None:
    add_reply(open_assessment, "customers", {}, submitted=False)
    codes, labels, rows = read_csv(b"".join(responses_csv(open_assessment, "en")))
    assert rows == []
    assert len(codes) == len(labels) == 8 + 17 * 2
    sheet = load_workbook(io.BytesIO(responses_xlsx(open_assessment, "en"))).worksheets[0]
    assert sheet.max_row == 2


def test_comments_are_exported_on_request_and_formulas_are_defused(
    open_assessment: Assessment,
) -> None:
    add_reply(
        open_assessment,
        "customers",
        random_ratings(open_assessment, random.Random(3)),
        comments={"risk-management": '=HYPERLINK("http://evil.example")'},
        overall_comment="Thanks from Ann Example",
    )
    codes, _labels, rows = read_csv(
        b"".join(responses_csv(open_assessment, "en", include_comments=True))
    )
    record = dict(zip(codes, rows[0], strict=True))
    assert record["risk-management:comment"] == '\'=HYPERLINK("http://evil.example")'
    assert record["overall-comment"] == "Thanks from Ann Example"
    assert record["response"] == "1"
    identified_codes, _labels, identified = read_csv(
        b"".join(responses_csv(open_assessment, "en", anonymise=False))
    )
    row = dict(zip(identified_codes, identified[0], strict=True))
    assert int(row["response"]) == Response.objects.get().pk
    assert len(row["submitted"]) > 10  # date and time
    assert row["overall-comment"] == "Thanks from Ann Example"
    book = load_workbook(io.BytesIO(responses_xlsx(open_assessment, "en", include_comments=True)))
    sheet = book.worksheets[0]
    cell = sheet.cell(row=3, column=codes.index("risk-management:comment") + 1)
    assert cell.data_type == "s"  # text, never a formula
    assert cell.value.startswith("=HYPERLINK")
    notes = " ".join(str(row[0]) for row in book.worksheets[1].iter_rows(values_only=True))
    assert "may name people" in notes


def test_the_responses_workbook_holds_what_the_csv_holds(open_assessment: Assessment) -> None:
    add_mixed_replies(open_assessment)
    codes, labels, rows = read_csv(b"".join(responses_csv(open_assessment, "zh-hans")))
    book = load_workbook(io.BytesIO(responses_xlsx(open_assessment, "zh-hans")))
    assert book.sheetnames == ["回复", "说明"]
    sheet = book["回复"]
    assert sheet.freeze_panes == "B3"
    assert [c.value for c in sheet[1]] == codes
    assert [c.value for c in sheet[2]] == labels
    assert labels[codes.index("risk-management:stakeholder")] == "风险管理 — 对利益相关方的重要性"
    for csv_row, xlsx_row in zip(rows, sheet.iter_rows(min_row=3, values_only=True), strict=True):
        assert str(xlsx_row[0]) == csv_row[0]
        ratings = xlsx_row[8:]
        assert [("" if v is None else str(v)) for v in ratings] == csv_row[8:]
        assert isinstance(xlsx_row[6], int)  # duration: a number
        assert xlsx_row[7] in (True, False)


def test_the_responses_export_reads_a_fixed_number_of_queries(
    open_assessment: Assessment, django_assert_num_queries: Any
) -> None:
    rng = random.Random(5)
    add_reply(open_assessment, "customers", random_ratings(open_assessment, rng))
    with django_assert_num_queries(5) as few:
        b"".join(responses_csv(open_assessment, "en"))
    for _ in range(8):
        add_reply(open_assessment, "employees", random_ratings(open_assessment, rng))
    with django_assert_num_queries(len(few.captured_queries)):
        b"".join(responses_csv(open_assessment, "en"))


# --- The means by hand ---------------------------------------------------------------------


def by_hand(content: bytes, too_fast_seconds: int) -> pd.DataFrame:
    """What an auditor does with the export in pandas: drop what the filters drop, melt
    the rating columns, leave DK out, average."""
    frame = pd.read_csv(io.BytesIO(content), skiprows=[1], dtype=str, keep_default_na=False)
    frame = frame[frame.straight_lined == "false"]
    frame = frame[frame.duration_seconds.astype(int) >= too_fast_seconds]
    ratings = frame.melt(
        id_vars=["response", "group", "side"],
        value_vars=[c for c in frame.columns if ":" in c],
        var_name="cell",
        value_name="rating",
    )
    ratings = ratings[~ratings.rating.isin([DONT_KNOW, ""])]
    ratings[["topic", "axis"]] = ratings.cell.str.split(":", expand=True)
    ratings["rating"] = ratings.rating.astype(int)
    return ratings


def test_the_overall_means_can_be_reproduced_by_hand_from_the_exported_replies(
    scored_run: AggregationRun,
) -> None:
    run = scored_run
    assessment = run.assessment
    content = b"".join(responses_csv(assessment, "en"))
    record = {
        row[0]: row[2]
        for row in load_workbook(io.BytesIO(scores_xlsx(run, "en")))["Run"].iter_rows(
            min_row=3, values_only=True
        )
    }
    limit = record["too_fast_seconds"]
    assert 20 < limit < 400  # the too-fast reply falls under it, ordinary ones do not
    means = by_hand(content, limit).groupby(["topic", "axis"])["rating"].agg(["mean", "count"])
    stored = TopicScore.objects.filter(run=run).select_related("topic")
    assert len(stored) == 17
    for score in stored:
        for axis in AXES:
            mean, count = means.loc[(score.topic.code, axis)]
            assert getattr(score, axis)["n"] == count
            assert getattr(score, f"{axis}_mean") == pytest.approx(mean, abs=1e-12)
    # The module's own by-hand function agrees too.
    ours = means_from_responses_csv(content, options=run.options, too_fast_seconds=limit)
    for score in stored:
        assert ours[(score.topic.code, "company")] == pytest.approx(score.company_mean, abs=1e-12)


def test_the_demo_matrix_numbers_can_be_reproduced_by_hand_from_the_exported_replies(
    open_assessment: Assessment,
) -> None:
    # The demo's own replies: its generator, seed and group sizes (1,151 replies with
    # "don't know", straight-liners and speeders), scored with the default options.
    run = AggregationRunFactory(
        assessment=open_assessment, replies=DEMO_REPLIES_PER_GROUP, seed=2021
    )
    assert run.responses_total == 1151
    assert run.excluded_straight_lined > 0
    assert run.excluded_too_fast > 0
    content = b"".join(responses_csv(open_assessment, "zh-hans"))
    ratings = by_hand(content, read_limit(run))
    assert ratings.response.nunique() == run.responses_counted
    means = ratings.groupby(["topic", "axis"])["rating"].agg(["mean", "count"])
    for score in TopicScore.objects.filter(run=run).select_related("topic"):
        for axis in AXES:
            mean, count = means.loc[(score.topic.code, axis)]
            assert getattr(score, axis)["n"] == count
            assert getattr(score, f"{axis}_mean") == pytest.approx(mean, abs=1e-12)


@pytest.mark.parametrize(
    "scoring",
    [
        {"weighting": "equal_group"},
        {"weighting": "custom", "group_weights": {"customers": 1, "employees": 3, "media": 0}},
        {"axis_source": "split_internal_external"},
    ],
)
def test_the_means_by_hand_follow_the_weighting_and_axis_source(
    open_assessment: Assessment, scoring: dict[str, Any]
) -> None:
    run = AggregationRunFactory(
        assessment=open_assessment,
        replies=add_mixed_replies,
        scoring={"bootstrap_samples": 200, **scoring},
    )
    content = b"".join(responses_csv(open_assessment, "en"))
    limit = read_limit(run)
    means = means_from_responses_csv(
        content,
        options=run.options,
        too_fast_seconds=limit,
        groups=set(open_assessment.groups.values_list("code", flat=True)),
    )
    for score in TopicScore.objects.filter(run=run).select_related("topic"):
        for axis in AXES:
            expected = getattr(score, f"{axis}_mean")
            got = means[(score.topic.code, axis)]
            assert (got is None) == (expected is None)
            if expected is not None:
                assert got == pytest.approx(expected, abs=1e-12)


def read_limit(run: AggregationRun) -> int:
    sheet = load_workbook(io.BytesIO(scores_xlsx(run, "en")))["Run"]
    limit = {row[0]: row[2] for row in sheet.iter_rows(min_row=3, values_only=True)}[
        "too_fast_seconds"
    ]
    assert isinstance(limit, int)
    return limit


# --- Built in the background ---------------------------------------------------------------


def test_a_large_export_is_built_into_storage_with_progress(
    scored_run: AggregationRun,
) -> None:
    run = scored_run
    assessment = run.assessment
    seen: list[int] = []
    built = build_export(ExportKind.RESPONSES_XLSX, assessment.pk, "en", seen.append)
    assert built.path.startswith("exports/")
    assert built.path.endswith(f"responses-assessment{assessment.pk}-en.xlsx")
    assert built.content_type.endswith("spreadsheetml.sheet")
    with default_storage.open(built.path, "rb") as stored:
        content = stored.read()
    assert len(content) == built.size
    assert load_workbook(io.BytesIO(content)).worksheets[0].max_row == 22
    assert seen[0] == 0
    assert seen[-1] == 100
    assert seen == sorted(seen)

    seen.clear()
    scores = build_export("scores-xlsx", run.pk, "zh-hans", seen.append)
    assert scores.filename == f"scores-run{run.pk}-zh-hans.xlsx"
    assert default_storage.exists(scores.path)
    assert len(seen) > 3
    assert seen == sorted(seen)
    again = build_export("scores-csv", run.pk, "en")
    assert again.path != scores.path
    with default_storage.open(again.path, "rb") as stored:
        assert stored.read() == scores_csv(run, "en")


def test_the_matrix_files_are_exports_too(scored_run: AggregationRun) -> None:
    run = scored_run
    svg = build_export(ExportKind.MATRIX_SVG, run.pk, "zh-hans")
    assert svg.filename == f"matrix-run{run.pk}-zh-hans.svg"
    assert svg.content_type == "image/svg+xml"
    with default_storage.open(svg.path, "rb") as stored:
        assert b"<svg" in stored.read()
    png = build_export(ExportKind.MATRIX_PNG_PRINT, run.pk, "en")
    assert png.filename.endswith("300dpi.png")
    with default_storage.open(png.path, "rb") as stored:
        assert stored.read(8) == b"\x89PNG\r\n\x1a\n"


def test_an_unchanged_run_exports_the_scores_of_the_run_it_repeats(
    scored_run: AggregationRun,
) -> None:
    run = scored_run
    assessment = run.assessment
    repeat = AggregationRunFactory(assessment=assessment, replies=None, scoring=None)
    assert repeat.status == RunStatus.UNCHANGED
    assert scores_csv(repeat, "en") == scores_csv(run, "en")


def test_a_run_without_scores_cannot_be_exported(open_assessment: Assessment) -> None:
    run = AggregationRun.objects.create(
        assessment=open_assessment, trigger=RunTrigger.MANUAL, status=RunStatus.FAILED
    )
    with pytest.raises(ValueError, match="has no scores"):
        scores_csv(run, "en")
