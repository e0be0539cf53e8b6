"""The results page, the matrix files, and internal confirmation by role."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import date
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from materiality.audit import audit_record
from materiality.models import (
    AggregationRun,
    Assessment,
    AuditAction,
    AuditEntry,
    GroupScore,
    ReviewStatus,
    StakeholderGroup,
    Topic,
    TopicScore,
)
from materiality.reporting.response_files import DONT_KNOW
from materiality.services import assessment_close
from tests.factories import (
    AggregationRunFactory,
    OpenAssessmentFactory,
    add_reply,
    stakeholder_groups,
    topic_codes,
)

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def results_url(run: AggregationRun) -> str:
    return reverse("materiality:results", args=[run.assessment_id])


def matrix_url(run: AggregationRun, fmt: str) -> str:
    return reverse("materiality:run-matrix", args=[run.assessment_id, run.pk, fmt])


def test_the_results_page_shows_every_view(esg_user: Any, scored_run: AggregationRun) -> None:
    html = client_for(esg_user).get(results_url(scored_run)).content.decode()
    for heading in (
        "Materiality matrix",
        "Topics ranked",
        "Mean importance to the company, by stakeholder group",
        "Internal and external stakeholder groups",
        "Sensitivity",
        "Change from the previous assessment",
        "Internal confirmation",
        "Audit trail",
    ):
        assert heading in html, heading
    assert "Financial product responsibility and safety" in html


def test_the_results_page_speaks_chinese(esg_user: Any, scored_run: AggregationRun) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(esg_user)
    html = client.get(results_url(scored_run)).content.decode()
    assert "金融产品责任与安全" in html
    assert 'lang="zh-hans"' in html


def test_the_matrix_comes_in_every_format_and_language(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    client = client_for(esg_user)
    svg = client.get(matrix_url(scored_run, "svg"), {"lang": "zh-hans"})
    assert svg["Content-Type"] == "image/svg+xml"
    assert "金融产品责任与安全".encode() in svg.content
    assert b"<title>" in svg.content
    english = client.get(matrix_url(scored_run, "svg"), {"lang": "en"}).content
    assert b"Financial product responsibility" in english
    assert client.get(matrix_url(scored_run, "png")).content.startswith(b"\x89PNG")
    assert client.get(matrix_url(scored_run, "pdf")).content.startswith(b"%PDF")
    group = client.get(matrix_url(scored_run, "svg"), {"group": "employees", "lang": "en"})
    assert b"Employees" in group.content
    assert client.get(matrix_url(scored_run, "gif")).status_code == 404
    assert client.get(matrix_url(scored_run, "svg"), {"group": "martians"}).status_code == 404


def test_the_matrix_of_one_group_uses_that_groups_means(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    from materiality.models import GroupScore, StakeholderGroup
    from materiality.reporting.matrix_files import MatrixView, matrix_spec

    employees = StakeholderGroup.objects.get(code="employees")
    spec = matrix_spec(scored_run, MatrixView(language="en", group=employees))
    point = next(p for p in spec.points if p.code == "employee-health-safety")
    stored = GroupScore.objects.get(
        run=scored_run, group=employees, topic__code="employee-health-safety", axis="company"
    )
    assert point.x == pytest.approx(stored.mean)


# --- Counts: a group's n, n per axis, a group without a matrix ---------------------------


SVG = "{http://www.w3.org/2000/svg}"


def svg_footnote(svg: bytes) -> str:
    """The caption under the matrix, as the SVG's reader gets it (one line or two)."""
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    caption = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "matrix-footnote")
    return " ".join("".join(text.itertext()) for text in caption.iter(f"{SVG}text"))


def add_uneven_replies(assessment: Assessment) -> None:
    """Customers: three replies rating every topic on both axes, and one rating only the
    company axis ("don't know" on the other); employees: one reply on the company axis
    only. Every topic then has n = 5 on the company axis and 3 on the stakeholder axis."""
    topics = topic_codes(assessment)

    def ratings(seed: int, stakeholder: bool) -> dict[tuple[str, str], int | str]:
        return {
            (topic, axis): DONT_KNOW
            if axis == "stakeholder" and not stakeholder
            else 1 + (seed + index + len(axis)) % 5
            for index, topic in enumerate(topics)
            for axis in ("company", "stakeholder")
        }

    for seed in range(3):
        add_reply(assessment, "customers", ratings(seed, stakeholder=True))
    add_reply(assessment, "customers", ratings(3, stakeholder=False))
    add_reply(assessment, "employees", ratings(4, stakeholder=False))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_groups_matrix_gives_that_groups_n_not_everyones(
    esg_user: Any, scored_run: AggregationRun, language: str
) -> None:
    employees = StakeholderGroup.objects.get(code="employees")
    n = max(GroupScore.objects.filter(run=scored_run, group=employees).values_list("n", flat=True))
    assert 0 < n < scored_run.responses_counted
    svg = client_for(esg_user).get(
        matrix_url(scored_run, "svg"), {"group": "employees", "lang": language}
    )
    caption = svg_footnote(svg.content)
    assert employees.get_name(language) in caption
    assert f"n = {n}" in caption
    assert str(scored_run.responses_counted) not in caption
    everyone = svg_footnote(client_for(esg_user).get(matrix_url(scored_run, "svg")).content)
    assert f"n = {scored_run.responses_counted}" in everyone


@pytest.mark.scored_run(replies=add_uneven_replies)
def test_a_groups_n_is_given_per_axis_when_the_axes_differ(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    client = client_for(esg_user)
    caption = svg_footnote(
        client.get(matrix_url(scored_run, "svg"), {"group": "customers", "lang": "en"}).content
    )
    assert "Customers: n = 4 (company axis), 3 (stakeholder axis)" in caption
    page = client.get(results_url(scored_run), {"group": "customers"}).content.decode()
    assert "Customers: n = 4 (company axis), 3 (stakeholder axis)" in page
    zh = svg_footnote(
        client.get(matrix_url(scored_run, "svg"), {"group": "customers", "lang": "zh-hans"}).content
    )
    assert "客户" in zh
    assert re.search(r"n = 4\D+3\D", zh), zh  # "n = 4（公司维度）、3（利益相关方维度）"


@pytest.mark.scored_run(replies=add_uneven_replies)
def test_the_ranked_table_gives_n_for_each_axis(esg_user: Any, scored_run: AggregationRun) -> None:
    for url in (
        results_url(scored_run),
        reverse("materiality:assessment", args=[scored_run.assessment_id]),
    ):
        html = client_for(esg_user).get(url).content.decode()
        table = html[html.index('class="scores-table') :]
        table = table[: table.index("</table>")]
        headers = re.findall(r'<th scope="col">([^<]*)</th>', table)
        assert headers[headers.index("n (company)") + 1] == "n (stakeholders)"
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)[1:]
        assert len(rows) == 17
        for row in rows:
            assert "<td>5</td><td>3</td>" in row, row


def matrix_section(client: Client, run: AggregationRun, group: str) -> str:
    html = client.get(results_url(run), {"group": group}).content.decode()
    return html[html.index('id="matrix-title"') : html.index('id="ranking-title"')]


def test_a_group_without_replies_gets_a_message_not_an_empty_matrix(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    client = client_for(esg_user)
    matrix = matrix_section(client, scored_run, "shareholders-investors")
    assert '<p class="message">No replies from Shareholders and investors were counted' in matrix
    assert "<img" not in matrix
    assert "download=1" not in matrix
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(esg_user)
    matrix = matrix_section(chinese, scored_run, "shareholders-investors")
    assert '<p class="message">' in matrix
    assert "股东/投资者" in matrix
    assert "<img" not in matrix
    # Asked for anyway (an old bookmark, a script): a 404 that says why, never a blank chart.
    for fmt in ("svg", "png", "png-print", "pdf"):
        for language in ("en", "zh-hans"):
            response = client.get(
                matrix_url(scored_run, fmt), {"group": "shareholders-investors", "lang": language}
            )
            assert response.status_code == 404
            assert response["Content-Type"] == "text/plain; charset=utf-8"
            body = response.content.decode()
            assert (
                StakeholderGroup.objects.get(code="shareholders-investors").get_name(language)
                in body
            )
            if language == "en":
                assert body.endswith("so there is no matrix for this group.")


@pytest.mark.scored_run(replies=add_uneven_replies)
def test_a_group_with_ratings_on_one_axis_only_gets_a_message(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    client = client_for(esg_user)
    matrix = matrix_section(client, scored_run, "employees")
    assert "No topic has ratings from Employees on both axes" in matrix
    assert "<img" not in matrix
    response = client.get(matrix_url(scored_run, "svg"), {"group": "employees", "lang": "en"})
    assert response.status_code == 404
    assert "n = 1 on the company axis, 0 on the stakeholder axis" in response.content.decode()


# --- Confirmation ---------------------------------------------------------------------


def submit(client: Client, run: AggregationRun, note: str = "") -> Any:
    url = reverse("materiality:run-submit", args=[run.assessment_id, run.pk])
    return client.post(url, {"note": note})


def confirm(client: Client, run: AggregationRun, note: str = "") -> Any:
    url = reverse("materiality:run-confirm", args=[run.assessment_id, run.pk])
    return client.post(url, {"note": note})


def send_back(client: Client, run: AggregationRun, note: str = "") -> Any:
    url = reverse("materiality:run-send-back", args=[run.assessment_id, run.pk])
    return client.post(url, {"note": note})


def review(run: AggregationRun) -> str:
    return AggregationRun.objects.values_list("review", flat=True).get(pk=run.pk)


# --- What the page shows survives every step on it ---------------------------------------


def links_and_forms(html: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The addresses of the page's links and images, and the hidden fields of each form
    that posts, by its action."""
    addresses = [unescape(a) for a in re.findall(r'(?:href|src)="([^"#][^"]*)"', html)]
    forms = {
        action: dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        for action, form in re.findall(
            r'<form method="post" action="([^"#]+)[^>]*>(.*?)</form>', html, flags=re.DOTALL
        )
    }
    return addresses, forms


def test_every_way_back_to_the_results_keeps_the_group_and_the_chart_language(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    url = results_url(scored_run)
    html = client_for(esg_user).get(f"{url}?group=customers&lang=zh-hans&ci=1").content.decode()
    addresses, forms = links_and_forms(html)
    matrix = reverse("materiality:run-matrix", args=[scored_run.assessment_id, scored_run.pk, "x"])
    back = [a for a in addresses if a.startswith(("?", url, matrix.removesuffix("x")))]
    # The matrix, opened full screen, downloaded in four formats; the two chart languages.
    assert len(back) == 1 + 1 + 4 + 2, back
    for address in back:
        query = parse_qs(urlsplit(address).query)
        assert query["group"] == ["customers"], address
        assert query["ci"] == ["1"], address
        assert query["lang"] in (["zh-hans"], ["en"]), address
    assert sum("lang=en" in a for a in back) == 1  # the link to the English chart
    # The form choosing the run and the group carries the chart language; the
    # confirmation step posts all three.
    chooser = re.search(r'<form method="get".*?</form>', html, flags=re.DOTALL)
    assert chooser is not None
    assert '<input type="hidden" name="lang" value="zh-hans">' in chooser.group()
    assert '<option value="customers" selected>' in chooser.group()
    submit = reverse("materiality:run-submit", args=[scored_run.assessment_id, scored_run.pk])
    hidden = forms[submit]
    assert hidden.pop("csrfmiddlewaretoken")
    assert hidden == {"lang": "zh-hans", "group": "customers", "ci": "1"}


def test_without_a_chosen_chart_language_the_page_carries_none(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    html = client_for(esg_user).get(f"{results_url(scored_run)}?group=customers").content.decode()
    assert 'name="lang"' not in html  # the charts follow the page's language
    assert "lang=en&amp;group=customers" in html  # the matrix, in that language


def test_a_confirmation_step_comes_back_to_the_same_group_and_chart_language(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    url = reverse("materiality:run-submit", args=[scored_run.assessment_id, scored_run.pk])
    response = client_for(esg_user).post(
        url, {"note": "", "lang": "zh-hans", "group": "customers", "ci": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"{results_url(scored_run)}?run={scored_run.pk}&lang=zh-hans&group=customers&ci=1"
        "#confirmation"
    )


def test_a_refused_note_keeps_the_group_and_the_chart_language(
    esg_user: Any, decider_user: Any, scored_run: AggregationRun
) -> None:
    submit(client_for(esg_user), scored_run)
    url = reverse("materiality:run-send-back", args=[scored_run.assessment_id, scored_run.pk])
    response = client_for(decider_user).post(
        url, {"note": "", "lang": "zh-hans", "group": "customers"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert '<option value="customers" selected>' in html
    assert '<input type="hidden" name="lang" value="zh-hans">' in html


def test_the_results_page_links_to_each_of_its_sections(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    html = client_for(esg_user).get(results_url(scored_run)).content.decode()
    nav = re.search(r'<nav class="section-nav".*?</nav>', html, flags=re.DOTALL)
    assert nav is not None
    targets = re.findall(r'href="#([^"]+)"', nav.group())
    assert targets == [
        "matrix",
        "ranking",
        "method",
        "groups",
        "sensitivity",
        "change",
        "exports",
        "confirmation",
    ]
    for target in targets:
        assert html.count(f'id="{target}"') == 1, target


def test_the_esg_team_submits_and_the_decision_group_confirms(
    esg_user: Any, decider_user: Any, scored_run: AggregationRun
) -> None:
    assert submit(client_for(esg_user), scored_run, "Ready").status_code == 302
    assert review(scored_run) == ReviewStatus.SUBMITTED
    assert confirm(client_for(decider_user), scored_run, "Agreed").status_code == 302
    assert review(scored_run) == ReviewStatus.CONFIRMED
    assessment = Assessment.objects.get(pk=scored_run.assessment_id)
    assert assessment.published_run_id == scored_run.pk
    trail = list(
        AuditEntry.objects.filter(run=scored_run).values_list("action", "actor_name", "note")
    )
    assert trail == [
        ("submitted", "esg-member", "Ready"),
        ("confirmed", "decider", "Agreed"),
    ]
    html = client_for(esg_user).get(results_url(scored_run)).content.decode()
    assert "Published result" in html
    assert "Agreed" in html


def test_an_esg_team_member_cannot_confirm(esg_user: Any, scored_run: AggregationRun) -> None:
    client = client_for(esg_user)
    submit(client, scored_run)
    assert confirm(client, scored_run).status_code == 403
    assert send_back(client, scored_run, "no").status_code == 403
    assert review(scored_run) == ReviewStatus.SUBMITTED


def test_the_decision_group_cannot_submit(decider_user: Any, scored_run: AggregationRun) -> None:
    assert submit(client_for(decider_user), scored_run).status_code == 403
    assert review(scored_run) == ReviewStatus.NONE


def test_an_outsider_sees_nothing(outsider_user: Any, scored_run: AggregationRun) -> None:
    client = client_for(outsider_user)
    assert client.get(results_url(scored_run)).status_code == 403
    assert client.get(matrix_url(scored_run, "png")).status_code == 403
    assert submit(client, scored_run).status_code == 403
    assert confirm(client, scored_run).status_code == 403
    anonymous = Client()
    assert anonymous.get(results_url(scored_run)).status_code == 302
    assert anonymous.get(matrix_url(scored_run, "png")).status_code == 302


def test_sending_back_needs_a_comment_and_allows_a_new_submission(
    esg_user: Any, decider_user: Any, scored_run: AggregationRun
) -> None:
    submit(client_for(esg_user), scored_run)
    decider = client_for(decider_user)
    response = send_back(decider, scored_run, "  ")
    assert response.status_code == 400
    assert "a comment is required" in response.content.decode()
    assert review(scored_run) == ReviewStatus.SUBMITTED
    send_back(decider, scored_run, "Check the supplier group's replies")
    assert review(scored_run) == ReviewStatus.SENT_BACK
    submit(client_for(esg_user), scored_run, "Checked")
    assert review(scored_run) == ReviewStatus.SUBMITTED


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Say what should change: a comment is required to send a run back."),
        ("zh-hans", "请说明需要修改的内容：退回计算结果时必须填写意见。"),
    ],
)
def test_sending_back_without_a_note_says_so_beside_the_note_where_the_reader_is(
    esg_user: Any,
    decider_user: Any,
    scored_run: AggregationRun,
    language: str,
    message: str,
) -> None:
    submit(client_for(esg_user), scored_run)
    decider = client_for(decider_user)
    decider.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    response = send_back(decider, scored_run, "")
    assert response.status_code == 400
    html = response.content.decode()
    form = re.search(r'<form[^>]*id="send-back-form".*?</form>', html, re.DOTALL)
    assert form is not None
    # The page comes back at the form (its action carries the anchor), the error in it,
    # tied to the field; no banner at the top.
    assert re.search(r'action="[^"]*#send-back-form"', form.group(0))
    error = re.search(r'<p class="field-error" id="back-note-error">([^<]+)</p>', form.group(0))
    assert error is not None
    assert error.group(1) == message
    assert 'aria-describedby="back-note-error"' in form.group(0)
    assert 'aria-invalid="true"' in form.group(0)
    assert 'class="messages"' not in html
    assert "field-error" not in html[: form.start()]
    assert review(scored_run) == ReviewStatus.SUBMITTED


def test_a_note_too_long_is_refused_beside_the_field_and_kept(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    note = "x" * 2001
    response = submit(client_for(esg_user), scored_run, note)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="submit-note-error"' in html
    assert f">{note}</textarea>" in html
    assert review(scored_run) == ReviewStatus.NONE


def test_a_run_cannot_be_confirmed_without_being_submitted(
    decider_user: Any, scored_run: AggregationRun
) -> None:
    decider = client_for(decider_user)
    response = confirm(decider, scored_run)
    followed = decider.get(response["Location"]).content.decode()
    assert "Only a run awaiting confirmation can be confirmed." in followed
    assert review(scored_run) == ReviewStatus.NONE


def test_a_confirmed_run_stays_byte_identical_after_new_replies_and_reruns(
    esg_user: Any, decider_user: Any, scored_run: AggregationRun
) -> None:
    submit(client_for(esg_user), scored_run)
    confirm(client_for(decider_user), scored_run)
    client = client_for(esg_user)

    def snapshot() -> dict[str, Any]:
        scores = list(
            TopicScore.objects.filter(run=scored_run)
            .order_by("rank")
            .values_list("topic__code", "rank", "company", "stakeholder", "p_material")
        )
        run = AggregationRun.objects.get(pk=scored_run.pk)
        files = {
            (fmt, lang): hashlib.sha256(
                client.get(matrix_url(scored_run, fmt), {"lang": lang}).content
            ).hexdigest()
            for fmt in ("png", "svg", "pdf")
            for lang in ("en", "zh-hans")
        }
        return {
            "scores": scores,
            "options": run.options,
            "fingerprint": run.fingerprint,
            "files": files,
        }

    before = snapshot()
    assessment = Assessment.objects.get(pk=scored_run.assessment_id)
    later = AggregationRunFactory(assessment=assessment, replies={"customers": 20}, seed=9)
    assert later.pk != scored_run.pk
    assessment_close(assessment=assessment)
    assert snapshot() == before
    assert Assessment.objects.get(pk=assessment.pk).published_run_id == scored_run.pk


def test_year_over_year_marks_new_and_dropped_topics(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    previous = OpenAssessmentFactory(
        title={"en": "2025", "zh-hans": "2025"},
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        topics=list(Topic.objects.exclude(code="climate-change")),
    )
    AggregationRunFactory(assessment=previous, seed=4, scoring={"bootstrap_samples": 0})
    Assessment.objects.filter(pk=scored_run.assessment_id).update(previous=previous)
    html = client_for(esg_user).get(results_url(scored_run)).content.decode()
    assert "Compared with 2025" in html
    climate = html[html.index("Climate change response", html.index("yoy-title")) :][:200]
    assert "new" in climate


def test_the_results_page_takes_a_fixed_number_of_queries(
    esg_user: Any, scored_run: AggregationRun, django_assert_num_queries: Any
) -> None:
    client = client_for(esg_user)
    # Session, user and permissions, then a fixed set of reads for the run's scores,
    # heatmaps, sensitivity, year-over-year, run choices and audit trail: the same 15
    # whatever the number of topics, groups or replies (no query per row).
    with django_assert_num_queries(15):
        assert client.get(results_url(scored_run)).status_code == 200


@pytest.mark.parametrize("rows", [3, 10])
def test_the_results_page_takes_no_query_per_row(
    rows: int, esg_user: Any, django_assert_num_queries: Any
) -> None:
    """`rows` topics, groups, runs to choose from and audit entries, and a previous
    assessment to compare with."""
    topics = list(Topic.objects.all()[:rows])
    groups = stakeholder_groups(rows)
    replies = {group.code: 3 for group in groups}
    previous = OpenAssessmentFactory(topics=topics, groups=groups)
    AggregationRunFactory(assessment=previous, replies=replies)
    assessment = OpenAssessmentFactory(topics=topics, groups=groups, previous=previous)
    for seed in range(rows):
        run = AggregationRunFactory(
            assessment=assessment,
            replies=replies if seed == 0 else None,
            scoring={"bootstrap_samples": 10, "seed": seed},
        )
        audit_record(assessment=assessment, action=AuditAction.RUN_REQUESTED, run=run)
    client = client_for(esg_user)
    # As above, and 3 more: the previous assessment (with its title and published run),
    # its latest scored run, and that run's scores.
    with django_assert_num_queries(15 + 3):
        page = client.get(results_url(run))
    shown = page.context
    assert (len(shown["scores"]), len(shown["groups"]), len(shown["movements"])) == (rows,) * 3
    assert len(shown["run_choices"]) == rows
    assert [entry.action for entry, _note in shown["audit"]].count(
        AuditAction.RUN_REQUESTED
    ) == rows


def test_whoever_submitted_a_run_cannot_confirm_it(scored_run: AggregationRun) -> None:
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    both = UserFactory(username="both-roles")
    both.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_assessment", "submit_run", "confirm_run"])
    )
    client = client_for(both)
    submit(client, scored_run)
    response = confirm(client, scored_run)
    followed = client.get(response["Location"]).content.decode()
    assert "Someone other than the person who submitted it must confirm it." in followed
    assert review(scored_run) == ReviewStatus.SUBMITTED


def test_the_page_shows_the_scores_of_an_unchanged_runs_twin(
    esg_user: Any, scored_run: AggregationRun
) -> None:
    from materiality.runs.selectors import latest_runs

    assessment = Assessment.objects.get(pk=scored_run.assessment_id)
    AggregationRunFactory(
        assessment=assessment, replies=None, scoring={"bootstrap_samples": 100, "seed": 5}
    )
    back = AggregationRunFactory(
        assessment=assessment, replies=None, scoring={"bootstrap_samples": 200}
    )
    assert back.status == "unchanged"
    assert back.same_as_id == scored_run.pk
    assert latest_runs(assessment).scored == scored_run


def test_intervals_are_labelled_with_the_level_the_run_computed_them_at(esg_user: Any) -> None:
    run = AggregationRunFactory(scoring={"bootstrap_samples": 200, "confidence": 0.9})
    client = client_for(esg_user)
    results = client.get(results_url(run)).content.decode()
    detail = client.get(reverse("materiality:assessment", args=[run.assessment_id]))
    for html in (results, detail.content.decode()):
        assert "Company (90% CI)" in html
        assert "Stakeholders (90% CI)" in html
        assert "95% CI" not in html
    assert "90% confidence whiskers" in results
    assert "95% confidence" not in results
    # A later change of the settings does not relabel what this run computed.
    Assessment.objects.filter(pk=run.assessment_id).update(scoring={"confidence": 0.8})
    assert "Company (90% CI)" in client.get(results_url(run)).content.decode()
