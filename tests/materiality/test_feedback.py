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
    assert overall == ["好", "较好", "一般", "较差", "差"]
    impact = [o.label["zh-hans"] for o in questions[2].options.order_by("order")]
    assert impact == ["能很好反映", "能较好反映", "能一般反映", "不太能反映", "不能反映"]
    readability = [o.label["zh-hans"] for o in questions[4].options.order_by("order")]
    assert readability == ["是", "一般", "否"]
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
    assert len(chart_ids) == 5
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

    comment = '=HYPERLINK("http://example.com","click")\x1b\x07'
    client = reader("en")
    data = answers(client, open_report)
    data[comment_field(open_report)] = comment
    client.post(form_url(open_report), data)
    team = Client(HTTP_ACCEPT_LANGUAGE="en")
    team.force_login(esg_user)

    csv_text = team.get(reverse("materiality:report-export", args=[open_report.pk, "csv"]))
    cells = next(csv.reader(io.StringIO(csv_text.content.decode("utf-8-sig").splitlines()[1])))
    assert "'" + comment in cells

    response = team.get(reverse("materiality:report-export", args=[open_report.pk, "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    written = [cell for cell in sheet[2] if cell.value == comment[:-2]]
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
