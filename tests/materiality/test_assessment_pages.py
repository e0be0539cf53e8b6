"""The ESG team's pages: who may do what, creating, editing, opening, links, invitations,
progress."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from materiality.models import Assessment, StakeholderGroup, Topic
from materiality.services import group_link_create, invitations_import, open_link_create
from surveys.models import Invitation, InvitationKind, Question, Response, SurveyStatus
from surveys.services import response_start
from tests.conftest import link_path
from tests.factories import (
    AggregationRunFactory,
    AssessmentFactory,
    OpenAssessmentFactory,
    OpenReportFactory,
    StakeholderGroupFactory,
    TopicFactory,
    add_reader_comment,
    add_reply,
    stakeholder_groups,
)
from tests.respondents import respond

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def create_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title_zh-hans": "2027 实质性评估",
        "title_en": "2027 materiality",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "languages": ["zh-hans", "en"],
        "topics": [t.pk for t in Topic.objects.all()],
        "groups": [g.pk for g in StakeholderGroup.objects.all()],
        "estimated_minutes": 8,
    }
    data.update(overrides)
    return data


# --- Access ---------------------------------------------------------------------------


def pages(assessment: Assessment) -> dict[str, str]:
    pk = assessment.pk
    return {
        "list": reverse("materiality:assessments"),
        "detail": reverse("materiality:assessment", args=[pk]),
        "progress": reverse("materiality:assessment-progress", args=[pk]),
        "new": reverse("materiality:assessment-new"),
        "edit": reverse("materiality:assessment-edit", args=[pk]),
    }


def test_the_esg_team_can_open_every_page(esg_user: Any, assessment: Assessment) -> None:
    client = logged_in(esg_user)
    for name, url in pages(assessment).items():
        assert client.get(url).status_code == 200, name


def test_the_decision_group_can_view_but_not_change(
    decider_user: Any, assessment: Assessment
) -> None:
    client = logged_in(decider_user)
    urls = pages(assessment)
    for name in ("list", "detail", "progress"):
        assert client.get(urls[name]).status_code == 200, name
    for name in ("new", "edit"):
        assert client.get(urls[name]).status_code == 403, name
    open_url = reverse("materiality:assessment-status", args=[assessment.pk, "open"])
    assert client.post(open_url).status_code == 403
    assert Assessment.objects.get().survey.status == SurveyStatus.DRAFT


def test_an_outsider_is_refused_everywhere(outsider_user: Any, assessment: Assessment) -> None:
    client = logged_in(outsider_user)
    for name, url in pages(assessment).items():
        assert client.get(url).status_code == 403, name


def test_anonymous_visitors_are_sent_to_log_in(assessment: Assessment) -> None:
    for name, url in pages(assessment).items():
        response = Client().get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


# --- Creating and editing -------------------------------------------------------------


def test_creating_an_assessment_generates_its_questionnaire(esg_user: Any) -> None:
    response = logged_in(esg_user).post(reverse("materiality:assessment-new"), create_data())
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.get_title("en") == "2027 materiality"
    assert assessment.survey.status == SurveyStatus.DRAFT
    grid = Question.objects.get(survey=assessment.survey, code="importance")
    rows = list(grid.options.filter(role="row").values_list("code", flat=True))
    columns = list(grid.options.filter(role="column").values_list("code", flat=True))
    assert len(rows) == 17
    assert rows[0] == "corporate-governance"
    assert columns == ["company", "stakeholder"]
    assert grid.scale_min == 1
    assert grid.scale_max == 5
    assert grid.scale_label(5, "zh-hans") == "非常重要"
    descriptions = grid.options.get(code="inclusive-finance").description
    assert descriptions["en"].startswith("Affordable financial services")


def test_a_form_with_mistakes_says_what_is_wrong_and_stores_nothing(esg_user: Any) -> None:
    data = create_data(period_end="2026-01-01", topics=[], **{"title_zh-hans": ""})
    response = logged_in(esg_user).post(reverse("materiality:assessment-new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The period must end after it starts." in html
    assert "This field is required." in html
    assert "default language" in html
    assert not Assessment.objects.exists()


def test_a_draft_can_be_edited_and_its_questionnaire_follows(
    esg_user: Any, assessment: Assessment
) -> None:
    topics = list(Topic.objects.filter(dimension="E"))
    data = create_data(topics=[t.pk for t in topics])
    url = reverse("materiality:assessment-edit", args=[assessment.pk])
    assert logged_in(esg_user).post(url, data).status_code == 302
    grid = Question.objects.get(survey=assessment.survey, code="importance")
    assert grid.options.filter(role="row").count() == 2


def test_an_open_assessment_is_frozen(esg_user: Any, open_assessment: Assessment) -> None:
    url = reverse("materiality:assessment-edit", args=[open_assessment.pk])
    client = logged_in(esg_user)
    response = client.post(url, create_data(topics=[Topic.objects.first().pk]))  # type: ignore[union-attr]
    assert response.status_code == 302
    grid = Question.objects.get(survey=open_assessment.survey, code="importance")
    assert grid.options.filter(role="row").count() == 17
    followed = client.get(response["Location"]).content.decode()
    assert "frozen" in followed


def test_opening_and_closing(esg_user: Any, assessment: Assessment) -> None:
    client = logged_in(esg_user)
    client.post(reverse("materiality:assessment-status", args=[assessment.pk, "open"]))
    assert Assessment.objects.get().survey.status == SurveyStatus.OPEN
    client.post(reverse("materiality:assessment-status", args=[assessment.pk, "close"]))
    assert Assessment.objects.get().survey.status == SurveyStatus.CLOSED


# --- Links and QR codes ---------------------------------------------------------------


def test_group_links_and_their_qr_codes(esg_user: Any, open_assessment: Assessment) -> None:
    client = logged_in(esg_user)
    employees = StakeholderGroup.objects.get(code="employees")
    client.post(
        reverse("materiality:link-create", args=[open_assessment.pk, "group"]),
        {"group": employees.pk},
    )
    client.post(reverse("materiality:link-create", args=[open_assessment.pk, "open"]))
    links = Invitation.objects.filter(survey=open_assessment.survey).order_by("kind")
    assert [link.kind for link in links] == [InvitationKind.OPEN, InvitationKind.SHARED]
    shared = links[1]
    assert shared.respondent_group == "employees"
    assert shared.respondent_internal is True
    html = client.get(reverse("materiality:assessment", args=[open_assessment.pk])).content
    assert b"/s/i/" in html
    png = client.get(
        reverse("materiality:link-qr", args=[open_assessment.pk, shared.pk, "png"]),
        {"download": "1"},
    )
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert "attachment" in png["Content-Disposition"]
    svg = client.get(reverse("materiality:link-qr", args=[open_assessment.pk, shared.pk, "svg"]))
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content


def test_a_link_for_a_group_outside_the_assessment_is_refused(
    esg_user: Any, open_assessment: Assessment
) -> None:
    outsider_group = StakeholderGroup.objects.create(code="martians", name={"en": "Martians"})
    client = logged_in(esg_user)
    response = client.post(
        reverse("materiality:link-create", args=[open_assessment.pk, "group"]),
        {"group": outsider_group.pk},
        follow=True,
    )
    assert "Choose one of this assessment" in response.content.decode()
    assert not Invitation.objects.exists()


# --- Personal invitations -------------------------------------------------------------


def upload(client: Client, assessment: Assessment, name: str, content: bytes) -> Any:
    file = io.BytesIO(content)
    file.name = name
    return client.post(
        reverse("materiality:invitations-upload", args=[assessment.pk]), {"file": file}
    )


def test_uploading_a_csv_creates_personal_invitations(
    esg_user: Any, open_assessment: Assessment
) -> None:
    csv = "email,group,language\nann@example.com,employees,en\nbo@example.com,客户,zh-hans\n"
    response = upload(logged_in(esg_user), open_assessment, "people.csv", csv.encode())
    assert response.status_code == 302
    invitations = Invitation.objects.filter(kind=InvitationKind.PERSONAL).order_by("email")
    assert [(i.email, i.respondent_group, i.language) for i in invitations] == [
        ("ann@example.com", "employees", "en"),
        ("bo@example.com", "customers", "zh-hans"),
    ]


def test_a_bad_row_stops_the_whole_upload_with_a_row_by_row_report(
    esg_user: Any, open_assessment: Assessment
) -> None:
    csv = (
        "email,group\n"
        "ann@example.com,employees\n"
        "not-an-address,employees\n"
        "cy@example.com,aliens\n"
        "ann@example.com,customers\n"
    )
    response = upload(logged_in(esg_user), open_assessment, "people.csv", csv.encode())
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported" in html
    assert "“not-an-address” is not an e-mail address." in html
    assert "“aliens” is not a stakeholder group of this assessment." in html
    assert "Same e-mail as row 2." in html
    assert not Invitation.objects.exists()


def test_an_xlsx_file_is_accepted(esg_user: Any, open_assessment: Assessment) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["邮箱", "群体"])
    sheet.append(["dee@example.com", "Employees"])
    out = io.BytesIO()
    workbook.save(out)
    response = upload(logged_in(esg_user), open_assessment, "people.xlsx", out.getvalue())
    assert response.status_code == 302
    assert Invitation.objects.get().email == "dee@example.com"


def test_a_file_of_another_kind_is_refused_clearly(
    esg_user: Any, open_assessment: Assessment
) -> None:
    response = upload(logged_in(esg_user), open_assessment, "people.pdf", b"%PDF-1.4")
    assert response.status_code == 400
    assert "Upload a .csv or .xlsx file." in response.content.decode()


def test_invitations_and_reminders_are_emailed_with_a_working_personal_link(
    esg_user: Any, open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    client = logged_in(esg_user)
    upload(client, open_assessment, "p.csv", b"email,group\nann@example.com,employees\n")

    def post(action: str) -> None:
        # The e-mails are queued after commit, as in production.
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("materiality:invitations-mail", args=[open_assessment.pk, action]))

    post("send")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@example.com"]
    assert "2026 年度实质性评估" in message.subject  # the invitee's language: site default
    link = next(line for line in message.body.splitlines() if "/s/i/" in line)
    path = link.split("127.0.0.1:8000")[1]
    assert Client().get(path).status_code == 200
    # Sending again sends nothing twice; a reminder goes to those who have not answered.
    post("send")
    assert len(mail.outbox) == 1
    post("remind")
    assert len(mail.outbox) == 2
    assert path in mail.outbox[1].body  # the same link still works after a reminder
    respond(Client(), path)
    Invitation.objects.update(reminded_at=None)
    post("remind")
    assert len(mail.outbox) == 2


# --- Progress -------------------------------------------------------------------------


def test_progress_counts_started_and_completed_per_group(
    esg_user: Any, open_assessment: Assessment
) -> None:
    employees = StakeholderGroup.objects.get(code="employees")
    path = link_path(group_link_create(assessment=open_assessment, group=employees))
    respond(Client(), path)
    Client().post(path)  # a second person starts but does not finish
    body = (
        logged_in(esg_user)
        .get(reverse("materiality:assessment-progress", args=[open_assessment.pk]))
        .json()
    )
    row = next(g for g in body["groups"] if g["group"] == "employees")
    assert (row["started"], row["completed"]) == (2, 1)
    assert body["total"] == {"started": 2, "completed": 1}
    html = (
        logged_in(esg_user)
        .get(reverse("materiality:assessment", args=[open_assessment.pk]))
        .content.decode()
    )
    assert '<progress class="group-progress" max="2" value="1"' in html
    assert Response.objects.count() == 2


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_open_link_respondent_without_a_group_is_shown_as_not_chosen_yet(
    esg_user: Any, open_assessment: Assessment, language: str
) -> None:
    issued = open_link_create(assessment=open_assessment)
    response_start(invitation=issued.invitation)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(esg_user)
    html = client.get(reverse("materiality:assessment", args=[open_assessment.pk])).content
    row = re.search(r'<tr data-group="">.*?</tr>', html.decode(), flags=re.DOTALL)
    assert row is not None
    assert re.search(r'<td class="n-started">1</td>', row.group())
    with translation.override(language):
        label = gettext("Not chosen yet")  # 尚未选择群体 in the catalogue
    assert f'<th scope="row">{label}</th>' in row.group()


def test_an_oversized_invitee_file_is_refused_before_it_is_read(
    esg_user: Any, open_assessment: Assessment
) -> None:
    content = b"email,group\n" + b"x@example.com,employees\n" * 250_000  # about 6 MB
    response = upload(logged_in(esg_user), open_assessment, "big.csv", content)
    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_spreadsheet_of_invitees_is_stored_in_one_bulk_insert(
    esg_user: Any, open_assessment: Assessment, django_assert_max_num_queries: Any
) -> None:
    rows = "".join(f"person{i}@example.com,employees\n" for i in range(300))
    client = logged_in(esg_user)
    with django_assert_max_num_queries(20):
        response = upload(client, open_assessment, "many.csv", f"email,group\n{rows}".encode())
    assert response.status_code == 302
    assert Invitation.objects.filter(kind=InvitationKind.PERSONAL).count() == 300


# --- Queries: the same few whatever the number of rows ----------------------------------


def assessment_with_rows(rows: int) -> Assessment:
    """An open assessment over `rows` topics and `rows` groups, with a shared link, two
    replies and a personal invitation per group, an open link, and a scored run."""
    groups = stakeholder_groups(rows)
    assessment = OpenAssessmentFactory(topics=list(Topic.objects.all()[:rows]), groups=groups)
    for group in groups:
        group_link_create(assessment=assessment, group=group)
    open_link_create(assessment=assessment)
    invitees = [[f"person{i}@example.com", group.code] for i, group in enumerate(groups)]
    invitations_import(assessment=assessment, table=[["email", "group"], *invitees])
    AggregationRunFactory(
        assessment=assessment,
        replies={group.code: 2 for group in groups},
        scoring={"bootstrap_samples": 10},
    )
    return assessment


# Every page: the session, the user, the user's and their groups' permissions.
SIGNED_IN = 4
# The assessment with its survey; its groups, their invitations and replies counted per
# group, the shared links, the personal invitations counted, the topics counted.
OVERVIEW = 1 + 6
# Besides: the latest run and the latest scored run, that run's scores, the group choices
# of the link form.
DETAIL_QUERIES = SIGNED_IN + OVERVIEW + 4
PROGRESS_QUERIES = SIGNED_IN + OVERVIEW
# One query: the assessments with their surveys and counts.
LIST_QUERIES = SIGNED_IN + 1
# The form: its choices of topics (with their reader comments counted), groups and
# earlier assessments (with their surveys, on the new form), and the topics and groups
# initially chosen; the edit form reads the assessment too.
FORM_QUERIES = {"new": SIGNED_IN + 5, "edit": SIGNED_IN + 1 + 5}


@pytest.mark.parametrize("rows", [3, 10])
def test_the_detail_page_takes_a_fixed_number_of_queries(
    rows: int, esg_user: Any, django_assert_num_queries: Any
) -> None:
    assessment = assessment_with_rows(rows)
    client = logged_in(esg_user)
    with django_assert_num_queries(DETAIL_QUERIES):
        html = client.get(reverse("materiality:assessment", args=[assessment.pk])).content
    assert html.count(b'class="link-card"') == rows + 1
    assert html.count(b'class="group-progress"') == rows


@pytest.mark.parametrize("rows", [3, 10])
def test_the_progress_of_every_group_takes_a_fixed_number_of_queries(
    rows: int, esg_user: Any, django_assert_num_queries: Any
) -> None:
    assessment = assessment_with_rows(rows)
    client = logged_in(esg_user)
    with django_assert_num_queries(PROGRESS_QUERIES):
        body = client.get(reverse("materiality:assessment-progress", args=[assessment.pk])).json()
    assert len(body["groups"]) == rows


@pytest.mark.parametrize("rows", [3, 10])
@pytest.mark.parametrize("page", ["new", "edit"])
def test_the_assessment_form_takes_a_fixed_number_of_queries(
    rows: int, page: str, esg_user: Any, django_assert_num_queries: Any
) -> None:
    """`rows` more topics, each with a reader comment, groups and earlier assessments."""
    assessment, *earlier = AssessmentFactory.create_batch(rows)
    topics = TopicFactory.create_batch(rows)
    StakeholderGroupFactory.create_batch(rows)
    report = OpenReportFactory()
    for topic in topics:
        add_reader_comment(report, "Tell us more", topics=[topic])
    url = (
        reverse("materiality:assessment-new")
        if page == "new"
        else reverse("materiality:assessment-edit", args=[assessment.pk])
    )
    queries = FORM_QUERIES[page]
    if page == "edit":
        # N+1, pinned so that it cannot grow unnoticed: the edit form's "previous" choices
        # read each earlier assessment's survey (for its title) one by one, because the
        # form replaces their queryset with one that does not select the survey.
        queries += len(earlier)
    client = logged_in(esg_user)
    with django_assert_num_queries(queries):
        html = client.get(url).content.decode()
    assert html.count("1 reader comment") == rows


@pytest.mark.parametrize("rows", [3, 10])
def test_the_list_of_assessments_takes_a_fixed_number_of_queries(
    rows: int, esg_user: Any, django_assert_num_queries: Any
) -> None:
    for _ in range(rows):
        add_reply(OpenAssessmentFactory(), "customers", {})
    client = logged_in(esg_user)
    with django_assert_num_queries(LIST_QUERIES):
        html = client.get(reverse("materiality:assessments")).content.decode()
    assert html.count("2026 materiality assessment") == rows
