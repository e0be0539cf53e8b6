"""The ESG team's pages in a real browser, at desktop size and 360 px wide, signed in:
the assessments, a new assessment, an assessment's progress, links and QR codes, the
results of a scored run with its matrix, confirmation by the ESG decision group, an
export, and the reports with their reader feedback.

Wide tables may scroll inside their `.table-scroll` box; the page itself may not: one
test walks every team page (admin aside) in both languages, with axe and the width check."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Locator, Page, expect

from materiality.demo.storing import replies_load
from materiality.feedback.form import report_create
from materiality.feedback.submitting import feedback_submit
from materiality.models import (
    AggregationRun,
    Assessment,
    ExportJob,
    ExportStatus,
    GroupScore,
    Report,
    ReviewStatus,
    RunStatus,
    RunTrigger,
    StakeholderGroup,
)
from materiality.reporting.jobs import ExportKind, export_request
from materiality.runs.confirmation import run_submit_for_confirmation
from materiality.runs.execution import aggregation_execute
from materiality.runs.requests import aggregation_request
from materiality.services import group_link_create, open_link_create
from surveys.models import Invitation, InvitationKind, QuestionKind
from surveys.selectors import questionnaire_load
from surveys.services import AnswerInput, response_start, survey_open
from tests.browser.assertions import assert_accessible, assert_no_horizontal_scroll
from tests.browser.screens import MOBILE, Screen

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "2026 年度实质性评估"


def check_page(page: Page) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def expect_image_loaded(image: Locator) -> None:
    """The image has arrived and decodes (a broken image has naturalWidth 0)."""
    image.scroll_into_view_if_needed()  # lazy images load only near the viewport
    image.page.wait_for_function("(img) => img.complete", arg=image.element_handle())
    width = image.evaluate("(img) => img.naturalWidth")
    assert width > 0, f"the image {image.get_attribute('src')} does not load"


def expect_message(page: Page, text: str) -> None:
    expect(page.locator("main [role=status] .messages")).to_contain_text(text)


@pytest.fixture
def scored(open_assessment: Assessment) -> AggregationRun:
    """The open assessment with 60 synthetic replies, scored, and two shared links."""
    Assessment.objects.filter(pk=open_assessment.pk).update(scoring={"bootstrap_samples": 200})
    open_assessment.refresh_from_db()
    replies_load(
        assessment=open_assessment,
        replies_per_group={"customers": 30, "employees": 30},
        seed=1,
    )
    run = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert run is not None
    assert run.status == RunStatus.SUCCEEDED, run.error
    group_link_create(
        assessment=open_assessment, group=StakeholderGroup.objects.get(code="customers")
    )
    open_link_create(assessment=open_assessment)
    return run


def results_url(run: AggregationRun) -> str:
    return reverse("materiality:results", args=[run.assessment_id])


# --- Assessments -------------------------------------------------------------------------


def test_the_team_lists_assessments_and_creates_one(
    page: Page, log_in: Callable[..., None], esg_user: Any, assessment: Assessment
) -> None:
    log_in(esg_user)
    page.goto(reverse("home"))
    page.locator(".site-nav").get_by_role("link", name="评估", exact=True).click()

    expect(page).to_have_url(re.compile(reverse("materiality:assessments") + "$"))
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    check_page(page)
    page.locator("main").get_by_role("link", name="新建评估").click()

    expect(page).to_have_url(re.compile(reverse("materiality:assessment-new") + "$"))
    check_page(page)
    form = page.locator("main form")
    save = form.get_by_role("button", name="保存")

    save.click()  # nothing filled in yet
    expect(page.get_by_role("alert")).to_contain_text("请修改下方标出的字段。")
    expect(form.locator(".field.has-error").first).to_be_visible()
    check_page(page)  # the error state too

    title = page.get_by_role("group", name="标题")
    title.get_by_label("简体中文").fill("2027 年度实质性评估")
    title.get_by_label("English").fill("2027 materiality assessment")
    page.get_by_label("报告期开始日期").fill("2027-01-01")
    page.get_by_label("报告期结束日期").fill("2027-12-31")
    # Leave one topic out, with the mouse.
    climate = form.locator("label.choice", has_text="应对气候变化")
    climate.click()
    expect(climate.locator("input")).not_to_be_checked()
    # The estimate, with the keyboard.
    minutes = page.get_by_label("预计作答时间（分钟）")
    minutes.focus()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("12")
    save.focus()
    page.keyboard.press("Enter")

    expect_message(page, "评估已创建。")
    created = Assessment.objects.exclude(pk=assessment.pk).get()
    expect(page).to_have_url(re.compile(reverse("materiality:assessment", args=[created.pk]) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("2027 年度实质性评估")
    assert created.survey.title == {
        "zh-hans": "2027 年度实质性评估",
        "en": "2027 materiality assessment",
    }
    assert created.survey.estimated_minutes == 12
    assert created.topics.count() == 16
    assert not created.topics.filter(code="climate-change").exists()
    check_page(page)  # a draft assessment


def test_an_assessment_shows_its_progress_links_and_qr_codes(
    page: Page, log_in: Callable[..., None], esg_user: Any, scored: AggregationRun
) -> None:
    log_in(esg_user)
    page.goto(reverse("materiality:assessment", args=[scored.assessment_id]))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)

    bars = page.locator("#progress progress.group-progress")
    expect(bars).to_have_count(8)
    customers = page.locator("#progress tr[data-group=customers]")
    expect(customers.locator(".n-completed")).to_have_text("30")
    expect(customers.locator("progress")).to_have_attribute("value", "30")
    expect(page.locator("#scores .scores-table tbody tr")).to_have_count(17)
    results = page.get_by_role("link", name="查看结果：矩阵、群体、敏感性分析、内部确认")
    expect(results).to_have_attribute("href", results_url(scored))

    cards = page.locator(".links .link-card")
    expect(cards).to_have_count(2)
    for number in range(2):
        expect(cards.nth(number).locator("input[readonly]")).to_have_value(
            re.compile(r"^https?://.+/s/i/[^/]+/$")
        )
        expect_image_loaded(cards.nth(number).locator("img"))
    check_page(page)

    page.get_by_label("利益相关方群体").select_option(label="媒体")
    page.get_by_role("button", name="为此群体创建链接").click()

    expect_message(page, "已创建群体链接。")
    expect(cards).to_have_count(3)
    expect_image_loaded(cards.filter(has_text="媒体").locator("img"))
    check_page(page)


# --- Results, confirmation, exports ------------------------------------------------------


def test_the_results_are_reviewed_submitted_and_confirmed(
    page: Page,
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    esg_user: Any,
    decider_user: Any,
    scored: AggregationRun,
) -> None:
    log_in(esg_user)
    page.goto(reverse("materiality:assessment", args=[scored.assessment_id]))
    page.get_by_role("link", name="查看结果：矩阵、群体、敏感性分析、内部确认").click()

    expect(page).to_have_url(re.compile(re.escape(results_url(scored)) + "$"))
    matrix = page.locator("img.matrix")
    expect_image_loaded(matrix)
    expect(page.locator(".scores-table tbody tr")).to_have_count(17)
    heatmaps = page.locator("table.heatmap")
    expect(heatmaps).to_have_count(2)
    expect(heatmaps.first.locator("tbody tr")).to_have_count(17)
    check_page(page)

    # One group's matrix, with its confidence whiskers.
    page.get_by_label("矩阵范围").select_option(label="客户")
    page.locator("label.choice", has=page.locator("#ci-choice")).click()
    expect(page.locator("#ci-choice")).to_be_checked()
    page.get_by_role("button", name="显示", exact=True).click()

    expect(page).to_have_url(re.compile(r"[?&]group=customers(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]ci=1(&|$)"))
    expect(page.get_by_role("heading", name="实质性议题矩阵：客户")).to_be_visible()
    expect(matrix).to_have_attribute("src", re.compile(r"group=customers&ci=1"))
    expect_image_loaded(matrix)
    expect(page.get_by_label("矩阵范围")).to_have_value("customers")
    expect(page.locator("#ci-choice")).to_be_checked()
    expect(heatmaps.first.locator("tbody tr")).to_have_count(17)
    check_page(page)

    # The ESG team asks for confirmation.
    confirmation = page.locator("#confirmation")
    confirmation.get_by_label("给 ESG 决策小组的说明（选填）").fill("请审阅。")
    confirmation.get_by_role("button", name="提交确认").click()
    expect_message(page, "已提交确认。")
    expect(confirmation).to_contain_text("待确认")
    expect(confirmation.get_by_role("button", name="提交确认")).to_have_count(0)
    check_page(page)

    # The decision group confirms: the run becomes the published result.
    decider = make_context()
    log_in(decider_user, decider)
    page = decider.new_page()
    page.goto(results_url(scored))
    confirmation = page.locator("#confirmation")
    expect(confirmation).to_contain_text("待确认")
    check_page(page)  # the decision group's view, with its forms
    # Tasks run eagerly here: the confirming request also renders the run's 16 matrix
    # files (a worker does that in the background in production), which takes more
    # than the default 10 s on a slow host.
    confirmation.get_by_role("button", name="确认此结果").click(timeout=60_000)

    expect_message(page, "已确认：此结果现为发布结果。")
    expect(page.locator("main .badge", has_text="发布结果")).to_be_visible()
    expect(page.locator("#confirmation")).to_contain_text("发布结果")
    check_page(page)
    scored.refresh_from_db()
    assert scored.review == ReviewStatus.CONFIRMED
    assert Assessment.objects.get(pk=scored.assessment_id).published_run_id == scored.pk


@pytest.mark.parametrize(
    ("locale", "send_back", "error"),
    [
        ("zh-CN", "退回", "请说明需要修改的内容：退回计算结果时必须填写意见。"),
        ("en-US", "Send back", "Say what should change: a comment is required to send a run back."),
    ],
)
def test_sending_back_without_a_note_is_answered_beside_the_note(
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    esg_user: Any,
    decider_user: Any,
    scored: AggregationRun,
    locale: str,
    send_back: str,
    error: str,
) -> None:
    run_submit_for_confirmation(run=scored, user=esg_user)
    context = make_context(locale=locale)
    log_in(decider_user, context)
    page = context.new_page()
    page.goto(results_url(scored))
    confirmation = page.locator("#confirmation")
    confirm_form, back_form = page.locator("#confirm-form"), page.locator("#send-back-form")
    # Two boxes apart: the confirm button is not read as part of the send-back form.
    confirm_box, back_box = confirm_form.bounding_box(), back_form.bounding_box()
    assert confirm_box is not None
    assert back_box is not None
    assert back_box["y"] >= confirm_box["y"] + confirm_box["height"] + 16

    confirmation.get_by_role("button", name=send_back, exact=True).click()

    expect(page).to_have_url(re.compile(r"#send-back-form$"))
    field = back_form.get_by_role("textbox")
    expect(back_form.locator(".field-error")).to_have_text(error)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(back_form.locator(".field-error")).to_be_in_viewport()
    expect(field).to_be_in_viewport()
    expect(page.locator(".messages")).to_have_count(0)
    check_page(page)
    scored.refresh_from_db()
    assert scored.review == ReviewStatus.SUBMITTED


# Row headers of the topic tables get room for a few characters a line at least.
_NARROWEST_TOPIC_NAME = """() => Math.min(...[...document.querySelectorAll(
  "table.topics tbody th[scope=row]")].map((th) =>
    th.clientWidth / parseFloat(getComputedStyle(th).fontSize)))"""


def test_a_groups_matrix_gives_its_n_or_says_why_there_is_none(
    page: Page, log_in: Callable[..., None], esg_user: Any, scored: AggregationRun
) -> None:
    log_in(esg_user)
    customers = StakeholderGroup.objects.get(code="customers")
    n = max(GroupScore.objects.filter(run=scored, group=customers).values_list("n", flat=True))
    page.goto(f"{results_url(scored)}?group=customers")
    matrix = page.locator("section", has=page.locator("#matrix-title"))
    expect(matrix.locator("p.help")).to_contain_text(re.compile(rf"客户\s*[:：]\s*n = {n}$"))
    expect_image_loaded(matrix.locator("img.matrix"))
    check_page(page)

    # The media sent no replies: a message, and no image to break.
    page.goto(f"{results_url(scored)}?group=media")
    expect(page.get_by_role("heading", name="实质性议题矩阵：媒体")).to_be_visible()
    expect(matrix.locator("p.message")).to_contain_text("媒体")
    expect(matrix.locator("img")).to_have_count(0)
    check_page(page)


def test_an_export_is_built_and_downloaded(
    page: Page, log_in: Callable[..., None], esg_user: Any, scored: AggregationRun
) -> None:
    log_in(esg_user)
    page.goto(results_url(scored))
    exports = page.locator("#exports")
    expect(exports).to_be_visible()
    row = exports.locator("li", has_text="得分排名（CSV）")
    row.get_by_role("button", name="English").click()

    job = ExportJob.objects.get()
    expect(page).to_have_url(
        re.compile(reverse("materiality:export", args=[scored.assessment_id, job.pk]) + "$")
    )
    expect(page.get_by_role("status")).to_have_text("已就绪")
    download_link = page.get_by_role("link", name=re.compile(r"^下载 .+\.csv$"))
    expect(download_link).to_be_visible()
    check_page(page)

    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".csv")
    content = download.value.path().read_text(encoding="utf-8-sig")
    assert "Climate change response" in content
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE


# --- Reports -----------------------------------------------------------------------------


@pytest.fixture
def answered_report() -> Report:
    """An open report with three readers' answers to every question."""
    report = report_create(
        title={"zh-hans": "2025 年度 ESG 报告", "en": "2025 ESG report"},
        year=2025,
        languages=["zh-hans", "en"],
    )
    survey_open(survey=report.survey)
    questionnaire = questionnaire_load(report.survey)
    for reader in range(3):
        answers = []
        for question in questionnaire.questions:
            if question.kind == QuestionKind.SINGLE:
                choices = questionnaire.choices(question)
                answers.append(
                    AnswerInput(question.pk, column_code=choices[reader % len(choices)].code)
                )
            elif question.kind == QuestionKind.GRID:
                column = questionnaire.columns(question)[0].code
                answers.extend(
                    AnswerInput(question.pk, row.code, column, value=3 + (reader + r) % 3)
                    for r, row in enumerate(questionnaire.rows(question))
                )
            elif question.kind == QuestionKind.TEXT:
                answers.append(AnswerInput(question.pk, text=f"第 {reader + 1} 位读者的意见。"))
        feedback_submit(report=report, answers=answers, language="zh-hans", client_hash="")
    return report


def test_the_reports_and_their_feedback_summary(
    page: Page, log_in: Callable[..., None], esg_user: Any, answered_report: Report
) -> None:
    log_in(esg_user)
    page.goto(reverse("home"))
    page.locator(".site-nav").get_by_role("link", name="报告").click()

    expect(page).to_have_url(re.compile(reverse("materiality:reports") + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("报告与读者反馈")
    check_page(page)
    page.get_by_role("link", name="2025 年度 ESG 报告").click()

    expect(page).to_have_url(
        re.compile(reverse("materiality:report", args=[answered_report.pk]) + "$")
    )
    expect_image_loaded(page.locator("#link-title ~ img"))
    charts = page.locator(".charts img")
    # The three choice questions, and each row of the two three-row grids.
    expect(charts).to_have_count(3 + 6)
    for number in range(3 + 6):
        expect_image_loaded(charts.nth(number))
    expect(page.locator("#comments .comment-card")).to_have_count(3)
    check_page(page)


# --- Every team page at 360 px, in both languages -----------------------------------------


def team_pages(run: AggregationRun, report: Report, export: ExportJob) -> list[str]:
    pk = run.assessment_id
    results = results_url(run)
    return [
        reverse("materiality:assessments"),
        reverse("materiality:assessment-new"),
        reverse("materiality:assessment", args=[pk]),
        reverse("materiality:method-settings", args=[pk]),
        reverse("materiality:replies-import", args=[pk]),
        results,
        f"{results}?group=customers&ci=1",
        f"{results}?group=media",
        reverse("materiality:export", args=[pk, export.pk]),
        reverse("materiality:reports"),
        reverse("materiality:report-new"),
        reverse("materiality:report", args=[report.pk]),
    ]


# The ranked table's box, on a wide screen: does it have to scroll?
_RANKING_SCROLLS = """() => {
  const box = document.querySelector("#ranking .table-scroll");
  return box.scrollWidth > box.clientWidth;
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_team_page_fits_the_screen_in_both_languages(
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    esg_user: Any,
    scored: AggregationRun,
    answered_report: Report,
    screen: Screen,
    language: str,
) -> None:
    # The longest texts: a run awaiting confirmation (its choice in the run selector),
    # an open-link respondent who has not chosen a group yet (a row of the progress).
    run_submit_for_confirmation(run=scored, user=esg_user)
    open_link = Invitation.objects.get(survey=scored.assessment.survey, kind=InvitationKind.OPEN)
    response_start(invitation=open_link)
    export = export_request(
        assessment=scored.assessment,
        kind=ExportKind.SCORES_CSV,
        language=language,
        run=scored,
        user=esg_user,
    )
    context = make_context(locale="en-US" if language == "en" else "zh-CN")
    log_in(esg_user, context)
    page = context.new_page()

    for url in team_pages(scored, answered_report, export):
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        # Measured with the page's fonts in place: a fallback font is narrower or wider.
        page.wait_for_function("() => document.fonts.status === 'loaded'")
        check_page(page)
        if page.locator("table.topics").count():
            assert page.evaluate(_NARROWEST_TOPIC_NAME) >= 6, f"topic names squeezed on {url}"

    page.goto(reverse("materiality:assessment", args=[scored.assessment_id]))
    expect(page.locator('#progress tr[data-group=""] th')).not_to_have_text(re.compile(r"^[\s—]*$"))

    # The results: the matrix opens full screen in the page's chart language, and the
    # chart language chosen survives choosing a group.
    other = "en" if language == "zh-hans" else "zh-hans"
    page.goto(f"{results_url(scored)}?lang={other}")
    full_screen = page.locator("a.matrix-open")
    expect(full_screen).to_have_attribute("href", re.compile(rf"\.svg\?lang={other}$"))
    svg = page.request.get(full_screen.get_attribute("href") or "")
    assert svg.ok
    assert svg.headers["content-type"].startswith("image/svg+xml")
    page.locator("#group-choice").select_option("customers")
    page.locator("form.inline-controls button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"[?&]lang={other}(&|$)"))
    expect(page.locator("#group-choice")).to_have_value("customers")
    expect(full_screen).to_have_attribute("href", re.compile(rf"lang={other}&group=customers$"))
    check_page(page)
    if screen != MOBILE:
        assert not page.evaluate(_RANKING_SCROLLS), "the ranked table is cut on a wide screen"
