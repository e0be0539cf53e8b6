"""Replies from 问卷星 and 腾讯问卷 come in without hand mapping: Materia writes the
questionnaire those tools import, and reads their exports back, by option number or by
option text; and Materia's own responses export imports back unchanged."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse

from materiality.importing.context import ReplySheet, import_context
from materiality.importing.mapping import ScaleMode
from materiality.importing.suggesting import reply_mapping_suggest
from materiality.importing.tool_questionnaire import tool_questionnaire_text
from materiality.models import (
    AXES,
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    Assessment,
    AuditAction,
    AuditEntry,
    RunStatus,
    StakeholderGroup,
    Topic,
    TopicScore,
)
from materiality.reporting.response_files import responses_csv, responses_xlsx
from materiality.runs.execution import aggregation_execute
from surveys.models import Answer, Response, ResponseSource
from tests.factories import OpenAssessmentFactory
from tests.materiality.test_reply_import import (
    csv_bytes,
    form_values,
    logged_in,
    submit,
    upload,
    upload_and_map,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


# --- The questionnaire as a survey tool reads it ------------------------------------------


@dataclass
class ToolQuestion:
    """A question of the text file, read the way 问卷星's text import reads it."""

    number: int
    text: str
    kind: str
    options: list[str]  # a matrix's columns
    rows: list[str]  # a matrix's rows


def read_tool_text(text: str) -> tuple[str, list[ToolQuestion]]:
    """The title and the questions of the text layout: "N. text[type]", then its
    options one per line, or for a matrix its columns on one line and a row per line."""
    blocks = [block.splitlines() for block in text.strip().split("\n\n")]
    title = blocks[0][0]
    questions = []
    for lines in blocks[1:]:
        match = re.fullmatch(r"(\d+)\. (.+)\[(.+)\]", lines[0])
        assert match, lines[0]
        kind = match.group(3)
        if kind == "矩阵量表题":
            options, rows = lines[1].split(" "), lines[2:]
        else:
            options, rows = lines[1:], []
        questions.append(ToolQuestion(int(match.group(1)), match.group(2), kind, options, rows))
    return title, questions


def questionnaire(assessment: Assessment, language: str) -> list[ToolQuestion]:
    return read_tool_text(
        tool_questionnaire_text(assessment, import_context(assessment), language)
    )[1]


def test_the_questionnaire_for_survey_tools_lists_groups_topics_and_options_in_order(
    open_assessment: Assessment,
) -> None:
    groups = list(
        StakeholderGroup.objects.filter(assessmentgroup__assessment=open_assessment).order_by(
            "assessmentgroup__order"
        )
    )
    topics = list(
        Topic.objects.filter(assessmenttopic__assessment=open_assessment).order_by(
            "assessmenttopic__order"
        )
    )
    title, (who, side, company, stakeholder, comment) = read_tool_text(
        tool_questionnaire_text(open_assessment, import_context(open_assessment), "zh-hans")
    )
    assert title == open_assessment.get_title("zh-hans")
    assert (who.number, who.kind, who.text) == (1, "单选题", "您属于哪一类利益相关方？")
    assert who.options == [group.name["zh-hans"] for group in groups]
    assert (side.kind, side.options) == ("单选题", ["内部（在公司工作）", "外部"])
    for number, question, axis in ((3, company, "对公司"), (4, stakeholder, "对利益相关方")):
        assert (question.number, question.kind) == (number, "矩阵量表题")
        assert axis in question.text
        assert question.options == ["不重要", "较不重要", "一般", "重要", "非常重要", "不了解"]
        assert question.rows == [topic.name["zh-hans"] for topic in topics]
    assert (comment.number, comment.kind) == (5, "填空题")

    english = questionnaire(open_assessment, "en")
    # A column label keeps its words together: the tool splits the line at spaces.
    assert english[2].options[-2:] == ["Very\u00a0important", "Don't\u00a0know"]
    assert english[0].options == [group.name["en"] for group in groups]


def test_the_esg_team_downloads_the_questionnaire_in_either_language(
    esg_user: Any, decider_user: Any, open_assessment: Assessment
) -> None:
    url = reverse("materiality:tool-questionnaire", args=[open_assessment.pk])
    page = logged_in(esg_user).get(reverse("materiality:assessment", args=[open_assessment.pk]))
    assert f"{url}?lang=zh-hans" in page.content.decode()
    response = logged_in(esg_user).get(url, {"lang": "en"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "1. Which stakeholder group do you belong to?[单选题]" in response.content.decode()
    assert logged_in(decider_user).get(url).status_code == 403


# --- Exports of a survey built from it --------------------------------------------------


def groups_of(assessment: Assessment) -> list[str]:
    return list(
        StakeholderGroup.objects.filter(assessmentgroup__assessment=assessment)
        .order_by("assessmentgroup__order")
        .values_list("code", flat=True)
    )


def topic_codes(assessment: Assessment) -> list[str]:
    return list(
        Topic.objects.filter(assessmenttopic__assessment=assessment)
        .order_by("assessmenttopic__order")
        .values_list("code", flat=True)
    )


@dataclass
class Reply:
    group: int  # option number, from 1
    side: int  # 1 internal, 2 external
    seconds: int
    ratings: list[int]  # per topic, company axis then stakeholder axis; option numbers


def random_replies(
    assessment: Assessment, count: int, seed: int, seconds: tuple[int, int] = (300, 600)
) -> list[Reply]:
    """Option numbers as 问卷星 exports them: 1–5 the levels, 6 "don't know", -3 for a row
    the questionnaire's logic skipped. By default no reply is too fast (all take over a
    third of the median time)."""
    rng = random.Random(seed)
    groups, cells = len(groups_of(assessment)), 2 * len(topic_codes(assessment))
    replies = []
    for _ in range(count):
        ratings = [
            rng.choices([1, 2, 3, 4, 5, 6, -3], [2, 3, 5, 6, 5, 1, 1])[0] for _ in range(cells)
        ]
        replies.append(
            Reply(rng.randint(1, groups), rng.randint(1, 2), rng.randint(*seconds), ratings)
        )
    return replies


def wjx_number_export(
    questions: Sequence[ToolQuestion], replies: Sequence[Reply]
) -> list[list[str]]:
    """问卷星's "按选项序号" download of the survey: its own columns first, then one column
    per question, "第N题(row)" for a matrix row, option numbers as values."""
    who, side, company, stakeholder, comment = questions
    headers = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
    headers += [f"{who.number}、{who.text}", f"{side.number}、{side.text}"]
    headers += [
        f"第{question.number}题({row})"
        for question in (company, stakeholder)
        for row in question.rows
    ]
    headers.append(f"{comment.number}、{comment.text}")
    table = [headers]
    topics = len(company.rows)
    for number, reply in enumerate(replies, start=1):
        by_axis = [reply.ratings[index * 2 + axis] for axis in (0, 1) for index in range(topics)]
        table.append(
            [
                str(number),
                f"2026/4/{1 + number % 28} 10:{number % 60:02d}:00",
                f"{reply.seconds}秒",
                "微信",
                "N/A",
                f"10.0.{number // 256}.{number % 256}(上海-上海)",
                str(reply.group),
                str(reply.side),
                *(str(value) for value in by_axis),
                "(空)",
            ]
        )
    return table


def expected_means(
    assessment: Assessment, replies: Sequence[Reply], *, equal_groups: bool
) -> pd.DataFrame:
    """Mean and n per topic and axis, computed here from the replies with pandas:
    option numbers 1–5 are levels, 6 and -3 are not ratings; straight-lined replies (one
    value on at least max(4, half the grid) rated cells) are left out."""
    groups, topics = groups_of(assessment), topic_codes(assessment)
    rows = []
    for number, reply in enumerate(replies):
        for index, value in enumerate(reply.ratings):
            rows.append(
                {
                    "reply": number,
                    "group": groups[reply.group - 1],
                    "topic": topics[index // 2],
                    "axis": AXES[index % 2],
                    "value": value,
                }
            )
    frame = pd.DataFrame(rows)
    rated = frame[frame["value"].between(1, 5)]
    per_reply = rated.groupby("reply")["value"].agg(["nunique", "count"])
    enough = max(4, -(-2 * len(topics) // 2))
    straight = per_reply[(per_reply["nunique"] == 1) & (per_reply["count"] >= enough)].index
    kept = rated[~rated["reply"].isin(straight)]
    if not equal_groups:
        return kept.groupby(["topic", "axis"])["value"].agg(["mean", "count"])
    by_group = kept.groupby(["topic", "axis", "group"])["value"].mean()
    means = by_group.groupby(["topic", "axis"]).mean()
    counts = kept.groupby(["topic", "axis"])["value"].count()
    return pd.DataFrame({"mean": means, "count": counts})


def assert_scores(run: AggregationRun, expected: pd.DataFrame) -> None:
    scores = TopicScore.objects.filter(run=run).select_related("topic")
    assert scores.count() == 17
    for score in scores:
        for axis in (COMPANY_AXIS, STAKEHOLDER_AXIS):
            mean, count = expected.loc[(score.topic.code, axis)]
            stats = getattr(score, axis)
            assert stats["n"] == count
            assert stats["mean"] == pytest.approx(mean, abs=1e-9, rel=0)


def test_a_wjx_option_number_export_of_materias_questionnaire_maps_with_no_hand_work(
    open_assessment: Assessment,
) -> None:
    questions = questionnaire(open_assessment, "zh-hans")
    table = wjx_number_export(questions, random_replies(open_assessment, 30, seed=3))
    context = import_context(open_assessment)
    mapping = reply_mapping_suggest(ReplySheet.from_table(table), context)
    assert (mapping.reference_column, mapping.duration_column) == (0, 2)
    assert (mapping.group_column, mapping.side_column) == (6, 7)
    assert mapping.group_options == tuple(groups_of(open_assessment))
    assert mapping.side_options == ("internal", "external")
    assert mapping.scale.mode == ScaleMode.OPTION_NUMBER
    topics = topic_codes(open_assessment)
    assert {(c.topic, c.axis): c.column for c in mapping.cells} == {
        (topic, axis): 8 + side * len(topics) + index
        for side, axis in enumerate(AXES)
        for index, topic in enumerate(topics)
    }


def test_a_wjx_option_number_export_imports_and_scores_as_computed_independently(
    esg_user: Any, open_assessment: Assessment
) -> None:
    replies = random_replies(open_assessment, 60, seed=11)
    table = wjx_number_export(questionnaire(open_assessment, "zh-hans"), replies)
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "问卷星_按选项序号.xlsx", xlsx_bytes(table))
    # Nothing mapped by hand: the page's own choices are submitted as shown.
    response = submit(client, url, html)
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = Response.objects.filter(survey=open_assessment.survey, source=ResponseSource.IMPORT)
    assert stored.count() == 60
    groups = groups_of(open_assessment)
    first = stored.get(source_reference="1")
    assert first.respondent_group == groups[replies[0].group - 1]
    assert first.respondent_internal == (replies[0].side == 1)
    assert first.duration_seconds == replies[0].seconds
    # "-3" (skipped) stores no answer, 6 stores "don't know".
    skipped = sum(value == -3 for reply in replies for value in reply.ratings)
    dont_know = sum(value == 6 for reply in replies for value in reply.ratings)
    answers = Answer.objects.filter(response__in=stored, question__code="importance")
    assert answers.exclude(column_code="").count() == 60 * 34 - skipped
    assert answers.filter(dont_know=True).count() == dont_know

    run = AggregationRun.objects.get(status=RunStatus.PENDING)
    finished = aggregation_execute(run.pk)
    assert finished is not None
    assert finished.status == RunStatus.SUCCEEDED
    assert_scores(finished, expected_means(open_assessment, replies, equal_groups=False))


def tencent_text_export(
    questions: Sequence[ToolQuestion], replies: Sequence[Reply]
) -> list[list[str]]:
    """腾讯问卷's download with option texts: "N.question—row" for a matrix row."""
    who, side, company, stakeholder, _comment = questions
    headers = ["编号", "开始答题时间", "结束答题时间", "答题时长", f"{who.number}.{who.text}"]
    headers.append(f"{side.number}.{side.text}")
    headers += [f"{q.number}.{q.text}—{row}" for q in (company, stakeholder) for row in q.rows]
    table = [headers]
    topics = len(company.rows)
    for number, reply in enumerate(replies, start=1):
        by_axis = [reply.ratings[index * 2 + axis] for axis in (0, 1) for index in range(topics)]
        texts = ["(跳过)" if value == -3 else company.options[value - 1] for value in by_axis]
        minutes, seconds = divmod(reply.seconds, 60)
        table.append(
            [
                str(1000 + number),
                "2026-04-01 10:00:00",
                "2026-04-01 10:20:00",
                f"{minutes}分{seconds}秒",
                who.options[reply.group - 1],
                side.options[reply.side - 1],
                *texts,
            ]
        )
    return table


def test_a_tencent_option_text_export_in_english_maps_and_imports(
    esg_user: Any, open_assessment: Assessment
) -> None:
    replies = random_replies(open_assessment, 25, seed=5)
    table = tencent_text_export(questionnaire(open_assessment, "en"), replies)
    mapping = reply_mapping_suggest(ReplySheet.from_table(table), import_context(open_assessment))
    assert len(mapping.cells) == 34
    assert (mapping.reference_column, mapping.duration_column, mapping.group_column) == (0, 3, 4)
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "tencent.csv", csv_bytes(table))
    assert submit(client, url, html).status_code == 302
    finished = aggregation_execute(AggregationRun.objects.get(status=RunStatus.PENDING).pk)
    assert finished is not None
    assert_scores(finished, expected_means(open_assessment, replies, equal_groups=False))


def test_another_questionnaires_group_order_is_pasted_once(
    esg_user: Any, open_assessment: Assessment
) -> None:
    """A survey built by hand lists the groups in its own order: the team pastes it."""
    questions = questionnaire(open_assessment, "zh-hans")
    own_order = list(reversed(questions[0].options))
    replies = random_replies(open_assessment, 12, seed=2)
    table = wjx_number_export(questions, replies)
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "by-hand.csv", csv_bytes(table))
    assert "options, in your questionnaire" in html
    response = submit(client, url, html, group_options_text="\n".join(own_order))
    assert response.status_code == 302, response.content.decode()[:3000]
    names = dict(StakeholderGroup.objects.values_list("name__zh-hans", "code"))
    for reply, stored in zip(replies, Response.objects.order_by("pk"), strict=True):
        assert stored.respondent_group == names[own_order[reply.group - 1]]


def test_a_pasted_option_that_is_no_group_is_refused_by_name(
    esg_user: Any, open_assessment: Assessment
) -> None:
    table = wjx_number_export(
        questionnaire(open_assessment, "zh-hans"), random_replies(open_assessment, 3, seed=1)
    )
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "x.csv", csv_bytes(table))
    response = submit(client, url, html, group_options_text="客户\n外星人")
    assert response.status_code == 400
    assert "Not a group of this assessment: 外星人." in response.content.decode()
    assert not Response.objects.exists()


def side_field(html: str, value: str) -> str:
    match = re.search(rf'<label[^>]*for="id_([^"]+)"[^>]*>Rows with side “{value}”', html)
    assert match, value
    return match.group(1)


def test_side_values_are_chosen_once_per_value(esg_user: Any, open_assessment: Assessment) -> None:
    table = [["Stakeholder group", "Side", "Risk management - importance to the company"]]
    table += [["客户", "本公司员工" if n % 2 else "外部人士", "4"] for n in range(6)]
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "sides.csv", csv_bytes(table))
    checked = submit(client, url, html, action="check").content.decode()
    assert "“本公司员工” is neither internal nor external." in checked
    choices = {side_field(html, "本公司员工"): "internal", side_field(html, "外部人士"): "external"}
    assert submit(client, url, html, **choices).status_code == 302
    sides = list(Response.objects.order_by("pk").values_list("respondent_internal", flat=True))
    assert sides == [False, True, False, True, False, True]


# --- Materia's own export, back in ------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_materias_own_responses_export_imports_back_unchanged(
    kind: str, esg_user: Any, scored_run: AggregationRun
) -> None:
    source = scored_run.assessment
    target = OpenAssessmentFactory()
    if kind == "csv":
        content = b"".join(responses_csv(source, "zh-hans"))
    else:
        content = responses_xlsx(source, "en")
    client = logged_in(esg_user)
    url, html = upload_and_map(client, target, f"export.{kind}", content)
    response = submit(client, url, html)
    assert response.status_code == 302, response.content.decode()[:3000]
    run = aggregation_execute(AggregationRun.objects.get(assessment=target).pk)
    assert run is not None
    assert run.status == RunStatus.SUCCEEDED
    before = {
        (s.topic_id, axis): (getattr(s, axis)["n"], getattr(s, axis)["mean"])
        for s in TopicScore.objects.filter(run=scored_run)
        for axis in AXES
    }
    after = {
        (s.topic_id, axis): (getattr(s, axis)["n"], getattr(s, axis)["mean"])
        for s in TopicScore.objects.filter(run=run)
        for axis in AXES
    }
    assert after == before

    # Unchanged means the same replies: groups, sides and "don't know" answers included.
    def profile(assessment: Assessment) -> list[tuple[Any, ...]]:
        return sorted(
            Response.objects.filter(survey=assessment.survey).values_list(
                "respondent_group", "respondent_internal", "duration_seconds"
            )
        )

    assert profile(target) == profile(source)
    dont_know = Answer.objects.filter(dont_know=True)
    assert dont_know.filter(response__survey=target.survey).count() == (
        dont_know.filter(response__survey=source.survey).count()
    )


def test_the_check_page_of_a_tool_export_says_no_column_needs_mapping(
    esg_user: Any, open_assessment: Assessment
) -> None:
    table = wjx_number_export(
        questionnaire(open_assessment, "zh-hans"), random_replies(open_assessment, 5, seed=9)
    )
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "wjx.csv", csv_bytes(table))
    values = form_values(html)
    assert values["scale_mode"] == "option-number"
    assert all(
        values[f"cell__{topic}__{axis}"] for topic in topic_codes(open_assessment) for axis in AXES
    )
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(esg_user)
    assert submit(page, url, html, action="check").status_code == 200


# --- The whole story, as a new user lives it ---------------------------------------------


def test_a_new_user_imports_a_wjx_export_sets_the_method_in_the_browser_and_gets_exact_scores(
    esg_user: Any, open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    """Issue #12's "done when": a 问卷星 option-number export of the questionnaire Materia
    wrote, imported with nothing mapped by hand; equal group weights and the too-fast
    rule off, set on the method settings page; the scores equal a pandas computation to
    1e-9; the same file again is refused; every change is in the audit trail."""
    # Completion times far apart: with the default rule, the quick ones would be dropped.
    replies = random_replies(open_assessment, 90, seed=2026, seconds=(20, 900))
    table = wjx_number_export(questionnaire(open_assessment, "zh-hans"), replies)
    content = xlsx_bytes(table)
    client = logged_in(esg_user)

    url, html = upload_and_map(client, open_assessment, "问卷星_按选项序号.xlsx", content)
    assert submit(client, url, html).status_code == 302
    first = aggregation_execute(AggregationRun.objects.get(status=RunStatus.PENDING).pk)
    assert first is not None
    assert first.excluded_too_fast > 0  # the default rule at work

    settings_url = reverse("materiality:method-settings", args=[open_assessment.pk])
    page = client.get(settings_url).content.decode()
    chosen = {**form_values(page), "weighting": "equal_group"}
    chosen.pop("exclude_too_fast")  # the box unticked, as a browser then sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(settings_url, chosen).status_code == 302

    run = AggregationRun.objects.exclude(pk=first.pk).get()
    assert run.status == RunStatus.SUCCEEDED
    assert (run.excluded_too_fast, run.responses_total) == (0, 90)
    assert_scores(run, expected_means(open_assessment, replies, equal_groups=True))

    again = upload(client, open_assessment, "copy.xlsx", content)
    assert again.status_code == 400
    assert "This file was already imported into this assessment" in again.content.decode()
    trail = AuditEntry.objects.filter(assessment=open_assessment).order_by("pk")
    assert [entry.action for entry in trail][-2:] == [
        AuditAction.REPLIES_IMPORTED,
        AuditAction.SETTINGS_CHANGED,
    ]
    assert trail.last().note.splitlines() == [  # type: ignore[union-attr]
        "Weighting: every respondent equal → every group equal",
        "Too-fast rule: on → off",
    ]


def test_a_second_survey_numbered_from_1_again_imports_with_a_reference_prefix(
    esg_user: Any, open_assessment: Assessment
) -> None:
    questions = questionnaire(open_assessment, "zh-hans")
    client = logged_in(esg_user)
    first = wjx_number_export(questions, random_replies(open_assessment, 8, seed=1))
    url, html = upload_and_map(client, open_assessment, "internal.csv", csv_bytes(first))
    assert submit(client, url, html).status_code == 302
    # Another survey, its 序号 1 to 5 again: taken for replies imported before...
    second = wjx_number_export(questions, random_replies(open_assessment, 5, seed=2))
    url, html = upload_and_map(client, open_assessment, "external.csv", csv_bytes(second))
    checked = submit(client, url, html, action="check").content.decode()
    assert "Nothing to import: every reply in the file was already imported." in checked
    assert "Give its references a prefix" in checked
    # ...until its references get a prefix of their own.
    assert submit(client, url, html, reference_prefix="external-").status_code == 302
    references = set(Response.objects.values_list("source_reference", flat=True))
    assert references == {str(n) for n in range(1, 9)} | {f"external-{n}" for n in range(1, 6)}


def test_a_group_pasted_twice_is_refused_and_named_at_the_top_of_the_page(
    esg_user: Any, open_assessment: Assessment
) -> None:
    questions = questionnaire(open_assessment, "zh-hans")
    table = wjx_number_export(questions, random_replies(open_assessment, 4, seed=3))
    client = logged_in(esg_user)
    url, html = upload_and_map(client, open_assessment, "x.csv", csv_bytes(table))
    options = [questions[0].options[0], *questions[0].options]  # the first group twice
    response = submit(client, url, html, group_options_text="\n".join(options))
    assert response.status_code == 400
    page = response.content.decode()
    assert f"Each group can be one option only: {questions[0].options[0]}." in page
    summary = page.index("Some choices need correcting")
    assert summary < page.index('id="mapping-form"')  # told at the top, where the reader is
    assert 'href="#id_group_options_text"' in page
    assert not Response.objects.exists()


def test_a_one_column_file_such_as_the_questionnaire_text_is_refused(
    esg_user: Any, open_assessment: Assessment
) -> None:
    text = tool_questionnaire_text(open_assessment, import_context(open_assessment), "zh-hans")
    response = upload(logged_in(esg_user), open_assessment, "questionnaire.txt", text.encode())
    assert response.status_code == 400
    assert "The file has one column only." in response.content.decode()
