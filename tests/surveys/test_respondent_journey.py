"""The respondent's journey through real HTTP requests, as a browser without
JavaScript makes them: landing, pages, saving, resuming, reviewing, submitting."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys.models import (
    Answer,
    Invitation,
    InvitationKind,
    Question,
    Response,
    ResponseStatus,
    Survey,
)
from surveys.services import survey_close
from tests.conftest import link_path
from tests.respondents import answer_all, respond, start
from tests.surveys.conftest import (
    COMMENT_MAX_LENGTH,
    ROWS,
    STEPS_FROM_A_GROUP_LINK,
    CampusSurvey,
    campus_survey,
)
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db

FIRST_PAGE_ROWS = 4  # of the grid's seven rows: 4 on the first page, 3 on the second


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def chinese() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.fixture
def students_link(survey: Survey) -> str:
    """A link shared by every student: it says who the respondent is."""
    return link_path(
        InvitationFactory(survey=survey, respondent_group="students", respondent_internal=False)
    )


def personal_link(survey: Survey, email: str) -> Any:
    return InvitationFactory(
        survey=survey,
        kind=InvitationKind.PERSONAL,
        email=email,
        respondent_group="staff",
        respondent_internal=True,
    )


def every_cell(grid: int, value: str, rows: int = FIRST_PAGE_ROWS) -> dict[str, str]:
    """The first page's rating fields, all set to `value`."""
    return {f"q{grid}_r{r}_c{c}": value for r in range(rows) for c in range(2)}


def test_the_landing_page_says_what_how_long_and_how_data_is_used(
    survey: Survey, students_link: str
) -> None:
    html = english().get(students_link).content.decode()
    assert survey.title["en"] in html
    assert "about 5 minutes" in html
    assert "Privacy" in html
    assert "only in aggregate" in html


def test_the_landing_page_follows_the_browser_language(survey: Survey, students_link: str) -> None:
    html = chinese().get(students_link).content.decode()
    assert survey.title["zh-hans"] in html
    assert 'lang="zh-hans"' in html


def test_a_link_preview_reads_the_pages_head_and_begins_nothing(
    survey: Survey, students_link: str
) -> None:
    # Chat apps' link-preview bots send HEAD: answered as GET is, without the body.
    links = (students_link, link_path(personal_link(survey, "ann@example.com")))
    for path in links:
        head = english().head(path)
        assert (head.status_code, head.content) == (200, b"")
        assert english().get(path).content  # the same page, with its body, to a GET
    assert not Response.objects.exists()
    client = english()
    walk = start(client, students_link)
    for path in (walk.page_url(1), walk.review_url):
        head = client.head(path)
        assert (head.status_code, head.content) == (200, b"")
    assert not Answer.objects.exists()


def test_a_group_link_skips_the_questions_about_the_respondent(students_link: str) -> None:
    client = english()
    walk = start(client, students_link)
    html = client.get(walk.page_url(1)).content.decode()
    assert "Which group are you in?" not in html
    assert "Canteen" in html
    assert "Value for money" in html
    response = Response.objects.get()
    assert response.respondent_group == "students"
    assert response.respondent_internal is False


def test_each_rating_names_its_row_and_column_for_screen_readers(students_link: str) -> None:
    client = english()
    walk = start(client, students_link)
    html = client.get(walk.page_url(1)).content.decode()
    assert (
        '<legend>Value for money<span class="visually-hidden"> — Canteen</span></legend>'
    ) in html
    # 4 rows × 2 columns × (5 levels + don't know)
    assert html.count('type="radio"') == FIRST_PAGE_ROWS * 2 * 6


def test_the_whole_questionnaire_is_answered_and_submitted(students_link: str) -> None:
    client = english()
    walk = respond(client, students_link, rating="5")
    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.submitted_at is not None
    ratings = Answer.objects.filter(response=response, value__isnull=False)
    assert ratings.count() == len(ROWS) * 2
    assert set(ratings.values_list("value", flat=True)) == {5}
    assert client.get(f"/s/r/{walk.resume}/thanks/").status_code == 200
    assert response.straight_lined is True  # every rating the same: flagged for scoring


def test_progress_is_shown_as_steps(students_link: str) -> None:
    client = english()
    walk = start(client, students_link)
    html = client.get(walk.page_url(2)).content.decode()
    # The seven rows over two pages, the remark, then the review step.
    assert f"Step 2 of {STEPS_FROM_A_GROUP_LINK}" in html
    assert f'<progress max="{STEPS_FROM_A_GROUP_LINK}" value="2"' in html


def _statements(client: Client, path: str, data: dict[str, str] | None = None) -> list[str]:
    """The statements one request sends that read or write rows (not transaction control)."""
    with CaptureQueriesContext(connection) as captured:
        http = client.get(path) if data is None else client.post(path, data)
    assert http.status_code in (200, 302), http.content.decode()[:300]
    control = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(control)]


def test_a_step_reads_the_response_once_and_a_save_does_not_read_the_stored_answers(
    students_link: str, campus: CampusSurvey
) -> None:
    # Every request of a respondent's walk pays for its queries (docs/benchmarks.md,
    # "Submit path"): a step shown is the response with its survey and link (a revoked
    # link stops it), then its answers; a step saved is the response, the row lock (with
    # the link's revocation), the page's old answers out and the new in.
    client = english()
    walk = start(client, students_link)
    client.get(walk.page_url(1))  # the questionnaire is kept per process from here on
    shown = _statements(client, walk.page_url(1))
    assert len(shown) == 2
    assert "surveys_invitation" in shown[0]  # the link, joined: no query of its own
    saved = _statements(
        client, walk.page_url(1), {**every_cell(campus.grid.pk, "3"), "action": "next"}
    )
    assert len(saved) == 4
    assert saved[1].startswith('SELECT "surveys_response"."status"')  # locked on PostgreSQL
    assert Answer.objects.count() == FIRST_PAGE_ROWS * 2


def test_missing_ratings_get_a_clear_message_in_the_respondents_language(
    students_link: str,
) -> None:
    client = chinese()
    walk = start(client, students_link)
    response = client.post(walk.page_url(1), {"action": "next"})
    assert response.status_code == 400
    assert "请为“食堂”打分。" in response.content.decode()  # both columns: once
    english_client = english()
    english_client.cookies = client.cookies
    html = english_client.post(walk.page_url(1), {"action": "next"}).content.decode()
    assert "Please rate “Canteen”." in html


def test_an_out_of_range_or_tampered_value_is_refused_and_nothing_changes(
    campus: CampusSurvey, students_link: str
) -> None:
    client = english()
    walk = start(client, students_link)
    answer_all(client, walk)
    before = list(Answer.objects.order_by("pk").values_list("row_code", "column_code", "value"))
    grid = campus.grid.pk
    data = {f"q{grid}_r0_c0": "7", f"q{grid}_r0_c1": "<script>", "q999_r0_c0": "5"}
    response = client.post(walk.page_url(1), {**data, "action": "next"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    after = list(Answer.objects.order_by("pk").values_list("row_code", "column_code", "value"))
    assert sorted(after) == sorted(before)


def test_dont_know_is_stored_as_its_own_answer_never_as_a_rating(
    campus: CampusSurvey, students_link: str
) -> None:
    client = english()
    walk = start(client, students_link)
    grid = campus.grid.pk
    data = every_cell(grid, "4")
    data[f"q{grid}_r0_c0"] = "dk"
    assert client.post(walk.page_url(1), {**data, "action": "next"}).status_code == 302
    answer = Answer.objects.get(row_code="canteen", column_code="quality")
    assert answer.dont_know is True
    assert answer.value is None


def test_comments_keep_markup_as_text_and_show_it_escaped(
    campus: CampusSurvey, students_link: str
) -> None:
    client = english()
    walk = start(client, students_link)
    grid = campus.grid.pk
    data = every_cell(grid, "3")
    data[f"q{grid}_r0_comment"] = "<b>bold</b> & <script>alert(1)</script>"
    client.post(walk.page_url(1), {**data, "action": "next"})
    stored = Answer.objects.get(row_code="canteen", column_code="")
    assert stored.text == "<b>bold</b> & <script>alert(1)</script>"
    html = client.get(walk.page_url(1)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_an_over_long_comment_is_refused_with_the_limit(
    campus: CampusSurvey, students_link: str
) -> None:
    client = english()
    walk = start(client, students_link)
    grid = campus.grid.pk
    data = every_cell(grid, "3")
    data[f"q{grid}_r0_comment"] = "x" * (COMMENT_MAX_LENGTH + 1)
    response = client.post(walk.page_url(1), {**data, "action": "next"})
    assert response.status_code == 400
    assert f"at most {COMMENT_MAX_LENGTH} characters" in response.content.decode()
    assert not Answer.objects.exists()


def test_save_and_finish_later_gives_a_link_that_resumes_on_another_device(
    campus: CampusSurvey, students_link: str
) -> None:
    phone = english()
    walk = start(phone, students_link)
    two_rows = every_cell(campus.grid.pk, "2", rows=2)
    response = phone.post(walk.page_url(1), {**two_rows, "action": "later"})
    assert response["Location"].endswith("/later/")
    html = phone.get(response["Location"]).content.decode()
    assert f"/s/r/{walk.resume}/" in html
    laptop = english()
    resumed = laptop.get(f"/s/r/{walk.resume}/")
    assert resumed["Location"] == walk.page_url(1)
    html = laptop.get(walk.page_url(1)).content.decode()
    assert html.count("checked") == 4


def test_reopening_a_group_link_in_the_same_browser_continues(students_link: str) -> None:
    client = english()
    start(client, students_link)
    again = client.post(students_link)
    assert again.status_code == 302
    assert Response.objects.count() == 1


def test_submitting_twice_thanks_again_and_changing_an_answer_gets_its_own_page(
    students_link: str,
) -> None:
    client = english()
    walk = respond(client, students_link)
    again = client.post(walk.review_url)  # a replay: tests/surveys/test_replayed_submits.py
    assert again["Location"].endswith("/thanks/")
    changed = client.post(walk.page_url(1), {"action": "next"})
    assert changed.status_code == 409
    assert "already received" in changed.content.decode()
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 1


def test_a_browser_that_answered_a_group_link_is_told_so_and_offered_a_new_response(
    students_link: str,
) -> None:
    client = english()
    respond(client, students_link)
    response = client.get(students_link)
    # Someone else on the same device may answer too (tests/surveys/test_shared_devices.py).
    assert response.status_code == 200
    html = response.content.decode()
    assert "Answers were already sent from this device" in html
    assert "Start a new response" in html


def test_an_unknown_link_gets_a_404_page(db: None) -> None:
    response = english().get("/s/i/this-is-not-a-real-token-at-all/")
    assert response.status_code == 404
    assert "not recognised" in response.content.decode()
    assert english().get("/s/r/nope/").status_code == 404


def test_an_expired_link_gets_a_410_page(survey: Survey) -> None:
    issued = InvitationFactory(survey=survey, expires_at=timezone.now() - timedelta(hours=1))
    response = english().get(link_path(issued))
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_closed_survey_gets_a_410_page_and_keeps_answers(
    survey: Survey, students_link: str
) -> None:
    client = english()
    walk = start(client, students_link)
    answer_all(client, walk)
    survey_close(survey=survey)
    assert client.get(students_link).status_code == 410
    response = client.post(walk.review_url)
    assert response.status_code == 410
    assert "closed" in response.content.decode()
    assert Answer.objects.count() > 0


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        pytest.param({"status": "closed"}, 410, "This survey is closed", id="closed"),
        pytest.param(
            {"closes_at": timezone.now() - timedelta(minutes=1)},
            410,
            "This survey is closed",
            id="past-its-closing-time",
        ),
        pytest.param(
            {"opens_at": timezone.now() + timedelta(days=1)},
            403,
            "This survey is not open yet",
            id="opening-moved-later",
        ),
    ],
)
def test_a_survey_that_is_not_open_says_so_before_the_respondent_fills_anything_in(
    survey: Survey, students_link: str, change: dict[str, Any], status: int, says: str
) -> None:
    client = english()
    walk = start(client, students_link)
    Survey.objects.filter(pk=survey.pk).update(**change)
    for url in (
        f"/s/r/{walk.resume}/",
        walk.page_url(1),
        walk.page_url(2),
        walk.review_url,
        f"/s/r/{walk.resume}/later/",
    ):
        response = client.get(url, follow=True)
        html = response.content.decode()
        assert response.status_code == status, url
        assert says in html, url
        assert 'name="action"' not in html, url  # no questionnaire form to fill in


def test_a_submitted_reply_still_gets_its_thanks_page_after_the_survey_closes(
    survey: Survey, students_link: str
) -> None:
    client = english()
    walk = respond(client, students_link)
    survey_close(survey=survey)
    response = client.get(f"/s/r/{walk.resume}/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/s/r/{walk.resume}/thanks/"


def test_a_draft_survey_is_not_open_yet(db: None) -> None:
    draft = campus_survey(status="draft").survey
    response = english().get(link_path(InvitationFactory(survey=draft)))
    assert response.status_code == 403
    assert "not open yet" in response.content.decode()


def test_the_review_step_lists_the_answers_and_missing_pages(
    campus: CampusSurvey, students_link: str
) -> None:
    client = english()
    walk = start(client, students_link)
    client.post(walk.page_url(1), {**every_cell(campus.grid.pk, "5"), "action": "next"})
    html = client.get(walk.review_url).content.decode()
    assert "Complete step 2" in html
    assert "5 Excellent" in html
    response = client.post(walk.review_url)
    assert response.status_code == 400
    assert Response.objects.get().status == ResponseStatus.IN_PROGRESS


def test_an_open_link_asks_for_the_group_and_refuses_an_unknown_code(
    campus: CampusSurvey,
) -> None:
    path = link_path(
        InvitationFactory(
            survey=campus.survey,
            kind=InvitationKind.OPEN,
            respondent_group="",
            respondent_internal=None,
        )
    )
    client = english()
    walk = start(client, path)
    html = client.get(walk.page_url(1)).content.decode()
    assert "Which group are you in?" in html
    group_q, side_q = campus.group.pk, campus.side.pk
    bad = client.post(walk.page_url(1), {f"q{group_q}": "aliens", f"q{side_q}": "external"})
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()
    good = client.post(
        walk.page_url(1), {f"q{group_q}": "staff", f"q{side_q}": "internal", "action": "next"}
    )
    assert good.status_code == 302
    response = Response.objects.get()
    assert response.respondent_group == "staff"
    assert response.respondent_internal is True


def test_a_personal_link_resumes_the_same_response_on_any_device(survey: Survey) -> None:
    issued = personal_link(survey, "ann@example.com")
    phone = english()
    walk = start(phone, link_path(issued))
    answer_all(phone, walk)
    laptop = english()
    second = start(laptop, link_path(issued))
    assert Response.objects.count() == 1
    assert laptop.post(second.review_url).status_code == 302
    # The phone's resume link was replaced by the laptop's.
    assert phone.get(walk.review_url).status_code == 404
    # Opened again, the answered link says so at once rather than offering to start.
    again = laptop.get(link_path(issued))
    assert again.status_code == 409
    assert "already received" in again.content.decode()
    assert laptop.post(link_path(issued)).status_code == 409


def test_an_anonymous_response_keeps_no_link_to_the_invitation(survey: Survey) -> None:
    issued = personal_link(survey, "bob@example.com")
    respond(english(), link_path(issued))
    response = Response.objects.get()
    assert response.invitation_id is None
    assert response.personal_invitation_id is None
    assert Invitation.objects.get(pk=issued.pk).responded_at is not None


def test_a_question_after_a_grid_on_its_page_is_asked_under_the_grids_last_rows(
    campus: CampusSurvey, students_link: str
) -> None:
    # The remark moved onto the grid's page: asked with the last three rows, with no
    # step of its own.
    Question.objects.filter(pk=campus.remarks.pk).update(page=campus.grid.page)
    client = english()
    walk = start(client, students_link)
    first = client.get(walk.page_url(1)).content.decode()
    last = client.get(walk.page_url(2)).content.decode()
    assert f"Step 2 of {STEPS_FROM_A_GROUP_LINK - 1}" in last
    assert "Anything else?" not in first
    assert "Daycare" in last
    assert "Anything else?" in last
    grid = campus.grid.pk
    client.post(walk.page_url(1), {**every_cell(grid, "4"), "action": "next"})
    last_rows = {f"q{grid}_r{r}_c{c}": "2" for r in range(3) for c in range(2)}
    saved = client.post(
        walk.page_url(2), {**last_rows, f"q{campus.remarks.pk}": "Fine.", "action": "next"}
    )
    assert saved["Location"] == walk.review_url
    assert Answer.objects.get(question=campus.remarks).text == "Fine."


def test_two_respondents_on_one_step_each_see_only_their_own_answers(
    survey: Survey, campus: CampusSurvey, students_link: str
) -> None:
    # A step's fields are built once and shared by every respondent's form (surveys.forms):
    # what is shown checked or typed comes from each respondent's own answers.
    first, second = english(), english()
    first_walk, second_walk = start(first, students_link), start(second, students_link)
    grid = campus.grid.pk
    first.post(
        first_walk.page_url(1),
        {**every_cell(grid, "5"), f"q{grid}_r0_comment": "Mine only.", "action": "later"},
    )
    second.post(second_walk.page_url(1), {**every_cell(grid, "2"), "action": "later"})
    first_html = first.get(first_walk.page_url(1)).content.decode()
    second_html = second.get(second_walk.page_url(1)).content.decode()
    checked = re.compile(rf'name="q{grid}_r0_c0" value="(\w+)" id="[^"]+" checked')
    assert checked.findall(first_html) == ["5"]
    assert checked.findall(second_html) == ["2"]
    assert "Mine only." in first_html
    assert "Mine only." not in second_html
