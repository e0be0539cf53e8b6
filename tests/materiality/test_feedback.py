"""Reader feedback: the report's form, the public page, abuse, the summary, exports."""

from __future__ import annotations

import csv
import io
import random
import re
from typing import Any

import pandas as pd
import pytest
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from materiality.feedback.comments import comment_tag
from materiality.feedback.summary import feedback_summary
from materiality.models import CommentTag, Report, Topic
from surveys.models import Answer, Question, QuestionOption, Response
from surveys.services import survey_close
from tests.factories import OpenReportFactory, ReportFactory

pytestmark = pytest.mark.django_db

RADIO = re.compile(r'type="radio" name="(q\d+(?:_r\d+_c\d+)?)" value="([^"]+)"')


@pytest.fixture
def report(db: None) -> Report:
    return ReportFactory()


@pytest.fixture
def open_report(db: None) -> Report:
    return OpenReportFactory()


def form_url(report: Report) -> str:
    return reverse("feedback-form", args=[report.public_code])


def reader(language: str = "en", address: str = "203.0.113.7") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=address)


def answers(client: Client, report: Report, rng: random.Random | None = None) -> dict[str, str]:
    """One plausible set of answers, read from the form as a browser would."""
    html = client.get(form_url(report)).content.decode()
    options: dict[str, list[str]] = {}
    for name, value in RADIO.findall(html):
        options.setdefault(name, []).append(value)
    chooser = rng or random.Random(0)
    return {name: chooser.choice(values) for name, values in options.items()}


def comment_field(report: Report) -> str:
    return f"q{Question.objects.get(survey=report.survey, code='comments').pk}"


# --- The template ---------------------------------------------------------------------


def test_a_report_gets_the_six_questions_with_the_seed_answer_scales(report: Report) -> None:
    """The seed form's scales, listed from low to high like its rating rows."""
    questions = list(Question.objects.filter(survey=report.survey).order_by("order"))
    assert [q.code for q in questions] == [
        "overall",
        "responsibility",
        "impact",
        "disclosure",
        "readability",
        "comments",
    ]
    overall = [o.label["zh-hans"] for o in questions[0].options.order_by("order")]
    assert overall == ["差", "较差", "一般", "较好", "好"]
    impact = [o.label["zh-hans"] for o in questions[2].options.order_by("order")]
    assert impact == ["不能反映", "不太能反映", "能一般反映", "能较好反映", "能很好反映"]
    readability = [o.label["zh-hans"] for o in questions[4].options.order_by("order")]
    assert readability == ["否", "一般", "是"]
    rows = [o.label["en"] for o in questions[1].options.filter(role="row").order_by("order")]
    assert rows == [
        "Economic responsibility",
        "Social responsibility",
        "Environmental responsibility",
    ]
    disclosure = questions[3].options.filter(role="row").order_by("order")
    assert [o.label["zh-hans"] for o in disclosure] == ["清晰度", "准确度", "完整性"]
    assert questions[1].scale_label(5, "zh-hans") == "好"
    assert questions[1].scale_label(1, "zh-hans") == "差"


# --- The ESG team edits the form before it opens --------------------------------------


def test_the_esg_team_reorders_retires_edits_and_adds_questions(
    esg_user: Any, report: Report
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(esg_user)
    survey = report.survey
    overall = Question.objects.get(survey=survey, code="overall")

    def url(question: Question, action: str) -> str:
        return reverse("materiality:report-question", args=[report.pk, question.pk, action])

    client.post(url(overall, "down"))
    codes = list(
        Question.objects.filter(survey=survey).order_by("order").values_list("code", flat=True)
    )
    assert codes[:2] == ["responsibility", "overall"]
    client.post(url(overall, "retire"))
    assert Question.objects.get(pk=overall.pk).retired is True
    client.post(
        url(overall, "edit"),
        {"text_zh-hans": "总体评价如何？", "text_en": "Overall, how good is it?", "required": "on"},
    )
    overall.refresh_from_db()
    assert overall.text == {"zh-hans": "总体评价如何？", "en": "Overall, how good is it?"}
    assert overall.required is True
    response = client.post(
        reverse("materiality:report-question-add", args=[report.pk]),
        {
            "kind": "single",
            "text_zh-hans": "您是如何获得本报告的？",
            "text_en": "How did you get this report?",
            "choices": "Website | 官网\nE-mail | 邮件",
        },
    )
    assert response.status_code == 302
    added = Question.objects.filter(survey=survey).order_by("-order").first()
    assert added is not None
    assert added.kind == "single"
    assert [o.label["zh-hans"] for o in added.options.order_by("order")] == ["官网", "邮件"]


def test_questions_are_frozen_once_the_form_opens(esg_user: Any, open_report: Report) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(esg_user)
    overall = Question.objects.get(survey=open_report.survey, code="overall")
    response = client.post(
        reverse("materiality:report-question", args=[open_report.pk, overall.pk, "retire"]),
        follow=True,
    )
    assert "frozen" in response.content.decode()
    assert Question.objects.get(pk=overall.pk).retired is False


def test_only_the_esg_team_changes_reports(
    decider_user: Any, outsider_user: Any, report: Report
) -> None:
    for user, expected in ((decider_user, 200), (outsider_user, 403)):
        client = Client()
        client.force_login(user)
        assert client.get(reverse("materiality:report", args=[report.pk])).status_code == expected
        opened = client.post(reverse("materiality:report-status", args=[report.pk, "open"]))
        assert opened.status_code == 403
    assert Client().get(reverse("materiality:reports")).status_code == 302


# --- The public form ------------------------------------------------------------------


def test_a_reader_answers_in_chinese_without_an_account(open_report: Report) -> None:
    client = reader("zh-hans")
    page = client.get(form_url(open_report))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="zh-hans"' in html
    assert "您怎样评价这份 ESG 报告的整体质量？" in html
    data = answers(client, open_report)
    data[comment_field(open_report)] = "希望披露更多数据"
    response = client.post(form_url(open_report), data)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    stored = Response.objects.get()
    assert stored.status == "submitted"
    assert stored.language == "zh-hans"
    assert stored.contact_email == ""
    assert Answer.objects.filter(response=stored, text="希望披露更多数据").exists()


def test_an_email_is_kept_only_with_explicit_consent(open_report: Report) -> None:
    client = reader()
    data = answers(client, open_report)
    refused = client.post(form_url(open_report), {**data, "contact_email": "ann@example.com"})
    assert refused.status_code == 400
    assert "Tick this box" in refused.content.decode()
    assert not Response.objects.exists()
    client.post(
        form_url(open_report), {**data, "contact_email": "ann@example.com", "contact_consent": "on"}
    )
    assert Response.objects.get().contact_email == "ann@example.com"


def test_the_honeypot_stores_nothing_and_tells_the_robot_nothing(open_report: Report) -> None:
    client = reader()
    response = client.post(form_url(open_report), {**answers(client, open_report), "website": "x"})
    assert response.status_code == 302
    assert not Response.objects.exists()


def test_markup_is_stored_as_text_and_shown_escaped(esg_user: Any, open_report: Report) -> None:
    client = reader()
    data = answers(client, open_report)
    data[comment_field(open_report)] = "<script>alert('x')</script> & <b>bold</b>"
    client.post(form_url(open_report), data)
    assert Answer.objects.filter(text__startswith="<script>").exists()
    team = Client(HTTP_ACCEPT_LANGUAGE="en")
    team.force_login(esg_user)
    html = team.get(reverse("materiality:report", args=[open_report.pk])).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script>alert" not in html


def test_an_over_long_comment_is_refused(open_report: Report) -> None:
    client = reader()
    data = answers(client, open_report)
    data[comment_field(open_report)] = "x" * 2001
    response = client.post(form_url(open_report), data)
    assert response.status_code == 400
    assert "at most 2000 characters" in response.content.decode()
    assert not Response.objects.exists()


def test_a_closed_form_says_so(open_report: Report) -> None:
    survey_close(survey=open_report.survey)
    response = reader().get(form_url(open_report))
    assert response.status_code == 410
    assert "closed" in response.content.decode()
    assert reader().post(form_url(open_report), {}).status_code == 410


def test_a_link_preview_reads_the_forms_head_and_nothing_is_stored(open_report: Report) -> None:
    # Chat apps' link-preview bots send HEAD: answered as GET is, without the body.
    head = reader().head(form_url(open_report))
    assert (head.status_code, head.content) == (200, b"")
    assert not Response.objects.exists()


def test_a_form_not_yet_open_says_so(report: Report) -> None:
    assert reader().get(form_url(report)).status_code == 403


def test_an_unknown_form_is_a_404(db: None) -> None:
    assert reader().get("/f/nothing-here/").status_code == 404


def test_the_form_needs_a_csrf_token(open_report: Report) -> None:
    strict = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.9")
    assert strict.post(form_url(open_report), {}).status_code == 403
    assert not Response.objects.exists()


def test_fifty_rapid_posts_from_one_address_are_refused_after_the_limit(
    open_report: Report,
) -> None:
    from materiality.feedback.submitting import RATE_LIMIT_PER_HOUR

    client = reader(address="198.51.100.23")
    data = answers(client, open_report)
    statuses = [client.post(form_url(open_report), data).status_code for _ in range(50)]
    assert statuses[:RATE_LIMIT_PER_HOUR] == [302] * RATE_LIMIT_PER_HOUR
    assert set(statuses[RATE_LIMIT_PER_HOUR:]) == {429}
    assert Response.objects.count() == RATE_LIMIT_PER_HOUR
    refused = client.post(form_url(open_report), data)
    assert "Too many responses" in refused.content.decode()
    # Another address is not affected.
    other = reader(address="198.51.100.24")
    assert other.post(form_url(open_report), data).status_code == 302


# Redis on a port where nothing listens: every cache call fails at once.
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def test_feedback_is_stored_when_the_rate_limits_cache_is_down(
    open_report: Report, caplog: pytest.LogCaptureFixture
) -> None:
    client = reader(address="198.51.100.31")
    data = answers(client, open_report)
    with override_settings(CACHES=UNREACHABLE_CACHE):
        response = client.post(form_url(open_report), data)
    assert response.status_code == 302  # to the thanks page: the reply is not lost
    assert Response.objects.count() == 1
    assert "Rate limit 'feedback' not applied: the cache cannot be reached" in caplog.text


# --- Summary, comments, exports -------------------------------------------------------


def test_the_summary_matches_an_independent_computation(open_report: Report) -> None:
    rng = random.Random(42)
    for i in range(25):
        client = reader(address=f"192.0.2.{i}")
        client.post(form_url(open_report), answers(client, open_report, rng))
    summary = feedback_summary(open_report)
    assert summary["responses"] == 25
    frame = pd.DataFrame.from_records(
        list(
            Answer.objects.filter(text="").values(
                "question__code", "row_code", "column_code", "value"
            )
        )
    )
    overall = next(q for q in summary["questions"] if q["code"] == "overall")
    expected = frame[frame["question__code"] == "overall"]["column_code"].value_counts()
    assert dict(zip(overall["choices"], overall["counts"], strict=True)) == {
        code: int(expected.get(code, 0)) for code in overall["choices"]
    }
    scores = {"good": 5, "fairly-good": 4, "average": 3, "fairly-poor": 2, "poor": 1}
    chosen = frame[frame["question__code"] == "overall"]["column_code"].map(scores)
    assert overall["mean"] == pytest.approx(chosen.mean())
    grid = next(q for q in summary["questions"] if q["code"] == "disclosure")
    clarity = next(row for row in grid["rows"] if row["row"] == "clarity")
    values = frame[(frame["question__code"] == "disclosure") & (frame["row_code"] == "clarity")]
    assert clarity["n"] == len(values)
    assert clarity["mean"] == pytest.approx(values["value"].mean())
    assert sum(day["n"] for day in summary["per_day"]) == 25


def test_a_burst_of_answers_schedules_one_summary(
    open_report: Report, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for i in range(5):
            client = reader(address=f"192.0.2.{i}")
            client.post(form_url(open_report), answers(client, open_report))
    assert len(callbacks) == 1
    callbacks[0]()
    assert Report.objects.get(pk=open_report.pk).summary["responses"] == 5


def test_the_team_sees_charts_and_searchable_comments_with_ratings(
    esg_user: Any, open_report: Report
) -> None:
    client = reader()
    data = answers(client, open_report, random.Random(1))
    data[comment_field(open_report)] = "More on climate targets, please"
    client.post(form_url(open_report), data)
    other = reader(address="203.0.113.8")
    data[comment_field(open_report)] = "Great layout"
    other.post(form_url(open_report), data)
    team = Client(HTTP_ACCEPT_LANGUAGE="en")
    team.force_login(esg_user)
    url = reverse("materiality:report", args=[open_report.pk])
    html = team.get(url, {"q": "climate"}).content.decode()
    assert "More on climate targets, please" in html
    assert "Great layout" not in html
    assert "How would you rate this ESG report overall?:" in html
    chart_ids = re.findall(r"/charts/(\d+)\.png", html)
    assert len(chart_ids) == 3 + 6  # the choice questions, and each row of the two grids
    for language in ("en", "zh-hans"):
        png = team.get(
            reverse("materiality:report-chart", args=[open_report.pk, int(chart_ids[0])]),
            {"lang": language},
        )
        assert png["Content-Type"] == "image/png"


DOLLARS = "$x^$"  # mathtext, and a broken formula: matplotlib would fail to parse it
# (every chart's texts: tests/materiality/test_chart_texts.py)


def test_a_chart_shows_dollar_signs_in_question_and_answer_texts_as_written(
    esg_user: Any, open_report: Report
) -> None:
    question = Question.objects.get(survey=open_report.survey, code="overall")
    Question.objects.filter(pk=question.pk).update(text={"en": DOLLARS, "zh-hans": DOLLARS})
    first = question.options.order_by("order").first()
    assert first is not None
    QuestionOption.objects.filter(pk=first.pk).update(label={"en": "$5 to $10", "zh-hans": DOLLARS})
    client = reader()
    client.post(form_url(open_report), answers(client, open_report))
    team = Client(HTTP_ACCEPT_LANGUAGE="en")
    team.force_login(esg_user)
    for language in ("en", "zh-hans"):
        png = team.get(
            reverse("materiality:report-chart", args=[open_report.pk, question.pk]),
            {"lang": language},
        )
        assert png.status_code == 200
        assert png["Content-Type"] == "image/png"


def test_comments_can_be_tagged_with_topics_for_next_years_screening(
    esg_user: Any, admin_client: Client, open_report: Report
) -> None:
    client = reader()
    data = answers(client, open_report)
    data[comment_field(open_report)] = "Tell us about data security"
    client.post(form_url(open_report), data)
    comment = Answer.objects.get(text="Tell us about data security")
    topic = Topic.objects.get(code="data-security-privacy")
    team = Client(HTTP_ACCEPT_LANGUAGE="en")
    team.force_login(esg_user)
    team.post(
        reverse("materiality:comment-tags", args=[open_report.pk, comment.pk]),
        {"topics": [topic.pk]},
    )
    assert CommentTag.objects.get().topic == topic
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    admin_page = admin_client.get(reverse("admin:materiality_topic_change", args=[topic.pk]))
    assert "Tell us about data security" in admin_page.content.decode()
    setup = team.get(reverse("materiality:assessment-new")).content.decode()
    assert "Data security and privacy protection (Social) · 1 reader comment" in setup


def test_answers_export_as_csv_and_xlsx(esg_user: Any, open_report: Report) -> None:
    from openpyxl import load_workbook

    client = reader("zh-hans")
    data = answers(client, open_report)
    data[comment_field(open_report)] = "很好"
    client.post(form_url(open_report), {**data, "contact_email": "x@y.cn", "contact_consent": "on"})
    team = Client(HTTP_ACCEPT_LANGUAGE="en")
    team.force_login(esg_user)
    csv_text = team.get(reverse("materiality:report-export", args=[open_report.pk, "csv"])).content
    text = csv_text.decode("utf-8-sig")
    assert "How would you rate this ESG report overall?" in text
    assert "很好" in text
    assert "x@y.cn" not in text
    xlsx = team.get(reverse("materiality:report-export", args=[open_report.pk, "xlsx"])).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert "很好" in rows[1]


def test_a_comment_that_looks_like_a_formula_is_exported_as_text(
    esg_user: Any, open_report: Report
) -> None:
    """The feedback exports go through the same formula guard as every other file: an
    anonymous reader's comment never becomes a live formula, and a control character
    pasted into it does not break the workbook."""
    from openpyxl import load_workbook

    comment = '=HYPERLINK("http://example.com","click")'
    client = reader("en")
    data = answers(client, open_report)
    data[comment_field(open_report)] = comment
    client.post(form_url(open_report), data)
    # Control characters stored before the input rule refused them (see
    # test_control_characters.py): the exports write the comment without them.
    Answer.objects.filter(text=comment).update(text=comment + "\x1b\x07")
    team = Client(HTTP_ACCEPT_LANGUAGE="en")
    team.force_login(esg_user)

    csv_text = team.get(reverse("materiality:report-export", args=[open_report.pk, "csv"]))
    cells = next(csv.reader(io.StringIO(csv_text.content.decode("utf-8-sig").splitlines()[1])))
    assert "'" + comment in cells

    response = team.get(reverse("materiality:report-export", args=[open_report.pk, "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    written = [cell for cell in sheet[2] if cell.value == comment]
    assert written, "the comment, without its control characters, is in the sheet"
    assert written[0].data_type == "s"  # text, not a formula


# --- Queries: the same few whatever the number of rows ----------------------------------

# Session, user and permissions (4); the reports with their forms' surveys.
REPORT_LIST_QUERIES = 4 + 1
# Session, user and permissions (4); the report with its survey; its questions; the
# summary, computed live while none is stored (4); the comments with their responses,
# their tags, the tags' topics and the same readers' other answers (4); the topics to tag
# comments with, read once for every comment's choices.
REPORT_QUERIES = 4 + 1 + 1 + 4 + 4 + 1


@pytest.mark.parametrize("rows", [3, 10])
def test_the_list_of_reports_takes_a_fixed_number_of_queries(
    rows: int, esg_user: Any, django_assert_num_queries: Any
) -> None:
    ReportFactory.create_batch(rows)
    team = Client(HTTP_ACCEPT_LANGUAGE="en")
    team.force_login(esg_user)
    with django_assert_num_queries(REPORT_LIST_QUERIES):
        html = team.get(reverse("materiality:reports")).content.decode()
    assert html.count("2026 ESG report") == rows


@pytest.mark.parametrize("rows", [3, 10])
def test_the_report_page_takes_a_fixed_number_of_queries(
    rows: int, esg_user: Any, open_report: Report, django_assert_num_queries: Any
) -> None:
    for i in range(rows):
        client = reader(address=f"192.0.2.{i}")
        data = answers(client, open_report, random.Random(i))
        data[comment_field(open_report)] = f"Comment number {i}"
        client.post(form_url(open_report), data)
    topics = [topic.pk for topic in Topic.objects.all()[:2]]
    for comment in Answer.objects.exclude(text=""):
        comment_tag(answer=comment, topic_ids=topics, user=esg_user)
    team = Client(HTTP_ACCEPT_LANGUAGE="en")
    team.force_login(esg_user)
    with django_assert_num_queries(REPORT_QUERIES):
        html = team.get(reverse("materiality:report", args=[open_report.pk])).content.decode()
    assert html.count("Comment number") == rows


# --- Issue #13 (7): what readers and the ESG team noticed -------------------------------


def answered_by(report: Report, readers: int) -> None:
    """`readers` readers answer every row of the grids and every choice question, as the
    form stores them (not rate-limited)."""
    from materiality.feedback.submitting import feedback_submit
    from surveys.selectors import questionnaire_load
    from surveys.services import AnswerInput

    questionnaire = questionnaire_load(report.survey)
    rng = random.Random(7)
    for _reader in range(readers):
        inputs = []
        for question in questionnaire.questions:
            if question.kind == "single":
                choice = rng.choice(questionnaire.choices(question))
                inputs.append(AnswerInput(question.pk, column_code=choice.code))
            elif question.kind == "grid":
                inputs.extend(
                    AnswerInput(question.pk, row.code, column.code, value=rng.randint(1, 5))
                    for row in questionnaire.rows(question)
                    for column in questionnaire.columns(question)
                )
        feedback_submit(report=report, answers=inputs, language="en", client_hash="")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_blank_form_is_refused_with_a_message_and_nothing_is_stored(
    open_report: Report, language: str
) -> None:
    answered_by(open_report, 1)
    before = feedback_summary(open_report)
    pending = Report.objects.get(pk=open_report.pk).summary_pending
    client = reader(language)
    blank = {"contact_email": "", "website": ""}
    for data in (blank, {**blank, comment_field(open_report): "   "}):
        response = client.post(form_url(open_report), data)
        assert response.status_code == 400
        html = response.content.decode()
        summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
        with translation.override(language):
            expected = gettext("Please answer at least one question before sending the form.")
        assert expected in summary
    assert Response.objects.count() == 1
    assert feedback_summary(open_report) == before
    assert Report.objects.get(pk=open_report.pk).summary_pending is pending


def test_a_single_answer_is_enough(open_report: Report) -> None:
    client = reader()
    response = client.post(form_url(open_report), {comment_field(open_report): "Just this."})
    assert response.status_code == 302
    assert Response.objects.count() == 1


def test_each_row_of_a_multi_row_question_has_its_own_counts_and_chart(
    esg_user: Any, open_report: Report
) -> None:
    answered_by(open_report, 36)
    summary = feedback_summary(open_report)
    grids = [q for q in summary["questions"] if q["kind"] == "grid"]
    assert len(grids) == 2
    for grid in grids:
        assert [sum(row["counts"]) for row in grid["rows"]] == [36, 36, 36]
        assert [row["n"] for row in grid["rows"]] == [36, 36, 36]
    team = Client(HTTP_ACCEPT_LANGUAGE="en")
    team.force_login(esg_user)
    html = team.get(reverse("materiality:report", args=[open_report.pk])).content.decode()
    charts = re.findall(r"/charts/(\d+)\.png(?:\?row=([\w-]+))?", html)
    # Three choice questions, and one chart for each of the grids' six rows.
    assert len(charts) == 3 + 6
    responsibility = Question.objects.get(survey=open_report.survey, code="responsibility")
    rows = [row for question, row in charts if int(question) == responsibility.pk]
    assert rows == ["economic", "social", "environmental"]
    assert html.count("n = 36") == 3 + 6
    assert "n = 108" not in html
    from materiality.views import feedback as views

    captured: list[Any] = []
    real = views.bar_figure
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(views, "bar_figure", lambda spec: captured.append(spec) or real(spec))
        for language in ("en", "zh-hans"):
            url = reverse("materiality:report-chart", args=[open_report.pk, responsibility.pk])
            png = team.get(url, {"row": "social", "lang": language})
            assert png["Content-Type"] == "image/png"
    assert [sum(spec.counts) for spec in captured] == [36, 36]
    assert "Social responsibility" in captured[0].title
    assert "社会责任" in captured[1].title
    unknown = team.get(
        reverse("materiality:report-chart", args=[open_report.pk, responsibility.pk]),
        {"row": "nope"},
    )
    assert unknown.status_code == 404


SCALE_ZH = ["差", "较差", "一般", "较好", "好"]


def test_every_scale_of_the_form_runs_from_low_to_high(open_report: Report) -> None:
    html = reader("zh-hans").get(form_url(open_report)).content.decode()
    names: dict[str, list[str]] = {}
    for name, value in RADIO.findall(html):
        names.setdefault(name, []).append(value)
    questions = {q.code: q for q in Question.objects.filter(survey=open_report.survey)}
    scores = {
        (o.question_id, o.code): o.score
        for o in QuestionOption.objects.filter(question__survey=open_report.survey)
    }
    for name, values in names.items():
        question_id = int(name[1:].split("_")[0])
        if "_r" in name:  # a rating row: the value is the level
            levels = [int(v) for v in values]
        else:
            levels = [scores[(question_id, v)] for v in values]
        assert levels == sorted(levels), name
    overall = questions["overall"]
    labels = re.findall(rf'name="q{overall.pk}" value="[^"]+"[^>]*>\s*<span>([^<]+)</span>', html)
    assert labels == SCALE_ZH
    # The stored codes keep their meaning: "good" is still worth 5.
    assert scores[(overall.pk, "good")] == 5
    assert scores[(overall.pk, "poor")] == 1


def test_every_chart_lists_its_scale_from_low_to_high(esg_user: Any, open_report: Report) -> None:
    answered_by(open_report, 3)
    team = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    team.force_login(esg_user)
    from materiality.views import feedback as views

    captured: list[Any] = []
    real = views.bar_figure
    html = team.get(reverse("materiality:report", args=[open_report.pk])).content.decode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(views, "bar_figure", lambda spec: captured.append(spec) or real(spec))
        for question, row in re.findall(r"/charts/(\d+)\.png(?:\?row=([\w-]+))?", html):
            url = reverse("materiality:report-chart", args=[open_report.pk, int(question)])
            team.get(url, {"row": row, "lang": "zh-hans"} if row else {"lang": "zh-hans"})
    assert len(captured) == 9
    for spec in captured:
        assert list(spec.labels) in (
            SCALE_ZH,
            ["1 差", "2 较差", "3 一般", "4 较好", "5 好"],
            ["不能反映", "不太能反映", "能一般反映", "能较好反映", "能很好反映"],
            ["否", "一般", "是"],
        ) or list(spec.labels) == ["差", "较差", "一般", "较好", "好"], spec.labels


def test_a_report_made_before_keeps_its_codes_and_shows_them_low_to_high(
    open_report: Report,
) -> None:
    """Reports created when the choices were stored good → poor show the same way."""
    overall = Question.objects.get(survey=open_report.survey, code="overall")
    options = list(overall.options.order_by("order"))
    for position, option in enumerate(sorted(options, key=lambda o: -(o.score or 0))):
        QuestionOption.objects.filter(pk=option.pk).update(order=position)
    html = reader("zh-hans").get(form_url(open_report)).content.decode()
    labels = re.findall(rf'name="q{overall.pk}" value="[^"]+"[^>]*>\s*<span>([^<]+)</span>', html)
    assert labels == SCALE_ZH


def zh_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for k, t in value.items() if k.startswith("zh") and isinstance(t, str)]
    return []


ASCII_IN_CHINESE = re.compile(r"[?:,;()!]")


def test_the_chinese_wording_of_the_form_uses_chinese_punctuation(open_report: Report) -> None:
    from materiality.feedback.form import FEEDBACK_INTRO, FEEDBACK_PRIVACY, FEEDBACK_TEMPLATE

    texts = zh_texts(FEEDBACK_INTRO) + zh_texts(FEEDBACK_PRIVACY)
    for spec in FEEDBACK_TEMPLATE:
        texts += zh_texts(spec.text) + zh_texts(getattr(spec, "help_text", {}))
        for option in [*spec.choices, *spec.rows, *spec.columns]:
            texts += zh_texts(option.label) + zh_texts(getattr(option, "description", {}))
        for label in (spec.scale_labels or {}).values():
            texts += zh_texts(label)
    assert len(texts) > 30
    assert [t for t in texts if ASCII_IN_CHINESE.search(t)] == []
    # And the page as the reader sees it, with its error messages.
    client = reader("zh-hans")
    for page in (client.get(form_url(open_report)), client.post(form_url(open_report), {})):
        main = page.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
        visible = re.sub(r"<[^>]+>", " ", main)
        assert not re.search(r"[\u4e00-\u9fff][^\n<]{0,3}[?:]", visible), visible


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_summary_names_rows_never_by_code(
    esg_user: Any, open_report: Report, language: str
) -> None:
    answered_by(open_report, 4)
    client = reader()
    data = answers(client, open_report)
    data[comment_field(open_report)] = "A comment with ratings beside it"
    client.post(form_url(open_report), data)
    team = Client(HTTP_ACCEPT_LANGUAGE=language)
    team.force_login(esg_user)
    html = team.get(reverse("materiality:report", args=[open_report.pk])).content.decode()
    visible = re.sub(r"<[^>]+>", " ", html.split('id="summary"', 1)[1])
    for code in ("economic", "social", "environmental", "clarity", "accuracy", "completeness"):
        # The English question names its rows in words ("economic, social and …"): a
        # code is a row code where it stands before a mean, a count or a separator.
        assert not re.search(rf"\b{code}\b\s*[\d(·/]", visible), code
    zh = language == "zh-hans"
    for name in ("经济责任", "清晰度") if zh else ("Economic responsibility", "Clarity"):
        assert name in visible
    if language == "zh-hans":
        assert not re.search(r"[\u4e00-\u9fff？][^\n<]{0,2}:", visible)
    team.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    text = team.get(reverse("materiality:report-export", args=[open_report.pk, "csv"]))
    header = next(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    for code in ("economic", "clarity", "submitted", "language"):
        assert code not in header
