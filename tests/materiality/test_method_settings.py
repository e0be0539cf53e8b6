"""The method settings: set by the ESG team on their page (or in the admin), checked by
the method's rules, noted in the audit trail, used by the next run, fixed once a result
is confirmed; and the results page says which settings a run used."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from statistics import mean
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from materiality.models import (
    AXES,
    AggregationRun,
    Assessment,
    AssessmentGroup,
    AuditAction,
    AuditEntry,
    RunStatus,
    TopicScore,
)
from materiality.questionnaire import IMPORTANCE_QUESTION
from materiality.reporting.breakdowns import variants
from materiality.runs.confirmation import run_confirm, run_submit_for_confirmation
from materiality.runs.describing import option_lines, variant_name
from materiality.runs.method import MethodLocked, method_groups, method_settings, method_update
from materiality.runs.method_form import MethodForm
from materiality.runs.options import RunOptions
from materiality.scoring import Params, Weighting
from surveys.models import Answer, Response
from tests.factories import (
    AggregationRunFactory,
    OpenAssessmentFactory,
    add_mixed_replies,
    add_reply,
    random_ratings,
    stakeholder_groups,
    topic_codes,
)

pytestmark = pytest.mark.django_db


def client_for(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def settings_url(assessment: Assessment) -> str:
    return reverse("materiality:method-settings", args=[assessment.pk])


def form_values(assessment: Assessment) -> dict[str, Any]:
    """What the form shows now, as a browser would post it back."""
    form = MethodForm(instance=assessment)
    values: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                values[name] = "on"
        elif value is not None:
            values[name] = value
    return values


def post(client: Client, assessment: Assessment, url: str = "", **changes: Any) -> Any:
    """Post the form as it stands with `changes` (None: a box left unticked or a field
    left empty)."""
    data = form_values(assessment)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(url or settings_url(assessment), data)


def stored_settings(assessment: Assessment) -> tuple[Any, ...]:
    """Everything a change of settings writes."""
    fresh = Assessment.objects.select_related("survey").get(pk=assessment.pk)
    return (
        fresh.scoring,
        list(
            AssessmentGroup.objects.filter(assessment=assessment)
            .order_by("pk")
            .values_list("weight", flat=True)
        ),
        fresh.survey.straight_line_min_cells,
        AuditEntry.objects.filter(assessment=assessment).count(),
        AggregationRun.objects.filter(assessment=assessment).count(),
    )


def latest_scored(assessment: Assessment) -> AggregationRun:
    return AggregationRun.objects.filter(assessment=assessment, status=RunStatus.SUCCEEDED).latest(
        "pk"
    )


# --- The page -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "en",
            [
                'lang="en"',
                "Method settings",
                "Weighting",
                "Every rating counts the same",
                "Shareholders and investors",
                "Quality filters",
                "Methodology, section 5.",
            ],
        ),
        ("zh-hans", ['lang="zh-hans"', "加权方式", "评分来源", "阈值", "股东/投资者", "客户"]),
    ],
)
def test_the_esg_team_opens_the_method_settings_in_both_languages(
    esg_user: Any, open_assessment: Assessment, language: str, texts: list[str]
) -> None:
    response = client_for(esg_user, language).get(settings_url(open_assessment))
    assert response.status_code == 200
    html = response.content.decode()
    for text in texts:
        assert text in html, text
    form = response.context["form"]
    assert len(form.weight_fields()) == 8  # a weight per group, named, never by code
    assert form["weighting"].value() == "respondent"
    assert form["too_fast_fraction"].value() == "1/3"
    assert "weight_customers" in html
    assert ">customers<" not in html


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_assessment_page_links_to_the_method_settings(
    esg_user: Any, open_assessment: Assessment, language: str
) -> None:
    url = reverse("materiality:assessment", args=[open_assessment.pk])
    html = client_for(esg_user, language).get(url).content.decode()
    assert f'href="{settings_url(open_assessment)}"' in html


@pytest.mark.parametrize("groups", [3, 8])
def test_the_page_takes_the_same_queries_for_any_number_of_groups(
    esg_user: Any, groups: int, django_assert_num_queries: Any
) -> None:
    assessment = OpenAssessmentFactory(groups=stakeholder_groups(groups))
    client = client_for(esg_user)
    client.get(settings_url(assessment))  # the questionnaire of an open survey is kept
    # Session, user, permissions (two), the assessment, whether a result is confirmed,
    # its groups with their weights.
    with django_assert_num_queries(7):
        assert client.get(settings_url(assessment)).status_code == 200


def test_saving_takes_the_same_queries_for_any_number_of_groups(esg_user: Any) -> None:
    client = client_for(esg_user)
    counts = []
    for groups in (3, 8):
        assessment = OpenAssessmentFactory(groups=stakeholder_groups(groups))
        weights = {f"weight_{group.code}": "2" for group in method_groups(assessment)}
        data = form_values(assessment) | weights | {"weighting": "custom"}
        with CaptureQueriesContext(connection) as queries:
            assert client.post(settings_url(assessment), data).status_code == 302
        assert AssessmentGroup.objects.filter(assessment=assessment, weight=2).count() == groups
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Saving -------------------------------------------------------------------------------


def equal_group_means(assessment: Assessment) -> dict[tuple[str, str], float]:
    """By hand, from the answers: each topic's mean per axis as the average of the
    group means, over every submitted reply that is not straight-lined."""
    ratings: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for topic, axis, group, value in Answer.objects.filter(
        response__survey_id=assessment.survey_id,
        response__status="submitted",
        response__straight_lined=False,
        question__code=IMPORTANCE_QUESTION,
        value__isnull=False,
    ).values_list("row_code", "column_code", "response__respondent_group", "value"):
        ratings[(topic, axis, group)].append(value)
    group_means: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (topic, axis, _group), values in ratings.items():
        group_means[(topic, axis)].append(mean(values))
    return {key: mean(means) for key, means in group_means.items()}


def test_saved_settings_are_noted_and_the_next_run_uses_them(
    esg_user: Any, open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    first = AggregationRunFactory(
        assessment=open_assessment, replies=add_mixed_replies, scoring={"bootstrap_samples": 0}
    )
    assert (first.excluded_too_fast, first.excluded_straight_lined) == (1, 1)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client_for(esg_user), open_assessment, weighting="equal_group", exclude_too_fast=None
        )

    assert response.status_code == 302
    assert response["Location"].endswith("#scores")
    scoring = Assessment.objects.get(pk=open_assessment.pk).scoring
    assert scoring["weighting"] == "equal_group"
    assert scoring["exclude_too_fast"] is False
    assert scoring["bootstrap_samples"] == 0  # what was not changed stays
    entry = AuditEntry.objects.get(assessment=open_assessment, action=AuditAction.SETTINGS_CHANGED)
    assert entry.actor_name == "esg-member"
    assert entry.note.splitlines() == [
        "Weighting: every respondent equal → every group equal",
        "Too-fast rule: on → off",
    ]
    run = latest_scored(open_assessment)
    assert run.pk != first.pk
    assert entry.run_id == run.pk
    assert run.requested_by_id == esg_user.pk
    # The reply that was too fast now counts; the straight-lined one still does not.
    assert (run.excluded_too_fast, run.excluded_straight_lined) == (0, 1)
    assert run.responses_counted == first.responses_counted + 1
    assert run.options["params"]["weighting"] == "equal_group"
    by_hand = equal_group_means(open_assessment)
    differs = 0
    for score in TopicScore.objects.filter(run=run).select_related("topic"):
        for axis in AXES:
            assert getattr(score, f"{axis}_mean") == pytest.approx(
                by_hand[(score.topic.code, axis)]
            )
        before = TopicScore.objects.get(run=first, topic=score.topic)
        differs += before.company_mean != pytest.approx(score.company_mean)
    assert differs  # the weighting, and the reply let in, moved the means


def test_saving_unchanged_settings_writes_nothing(
    esg_user: Any, open_assessment: Assessment
) -> None:
    before = stored_settings(open_assessment)
    client = client_for(esg_user)
    response = post(client, open_assessment)
    assert response.status_code == 302
    assert stored_settings(open_assessment) == before
    assert "Nothing changed" in client.get(response["Location"]).content.decode()


def test_custom_weights_are_stored_on_the_groups_and_noted_by_name(
    esg_user: Any, open_assessment: Assessment
) -> None:
    post(
        client_for(esg_user),
        open_assessment,
        weighting="custom",
        **{"weight_shareholders-investors": "2", "weight_media": "0.5"},
    )
    weights = dict(
        AssessmentGroup.objects.filter(assessment=open_assessment).values_list(
            "group__code", "weight"
        )
    )
    assert str(weights["shareholders-investors"]) == "2.000"
    assert str(weights["media"]) == "0.500"
    note = AuditEntry.objects.get(action=AuditAction.SETTINGS_CHANGED).note
    assert "Weight of Shareholders and investors: 1 → 2" in note
    assert "Weight of Media: 1 → 0.5" in note
    assert "shareholders-investors" not in note
    fresh = Assessment.objects.select_related("survey").get(pk=open_assessment.pk)
    settings = method_settings(fresh, method_groups(fresh))
    assert settings.weighting is Weighting.CUSTOM
    assert settings.weights["media"] == Decimal("0.5")


INVALID: dict[str, tuple[dict[str, Any], str, str]] = {
    "custom weighting with every weight 0": (
        {"weighting": "custom", "*": "0"},
        "weighting",
        "Custom weights need a weight above 0 for at least one group.",
    ),
    "a fixed threshold outside the scale": (
        {"threshold_mode": "fixed", "company_threshold": "5.5", "stakeholder_threshold": "3"},
        "company_threshold",
        "A fixed threshold is a point on the rating scale, from 1 to 5.",
    ),
    "fixed thresholds left at the relative offsets": (
        {"threshold_mode": "fixed"},
        "stakeholder_threshold",
        "A fixed threshold is a point on the rating scale, from 1 to 5.",
    ),
    "a confidence level of 1.5": (
        {"confidence": "1.5"},
        "confidence",
        "Enter a level between 0 and 1, such as 0.95.",
    ),
    "a too-fast share of 0": (
        {"too_fast_fraction": "0"},
        "too_fast_fraction",
        "Enter a share above 0 and at most 1, such as 1/3.",
    ),
    "a too-fast share above 1": (
        {"too_fast_fraction": "3/2"},
        "too_fast_fraction",
        "Enter a share above 0 and at most 1, such as 1/3.",
    ),
    "a too-fast share that is no number": (
        {"too_fast_fraction": "a third"},
        "too_fast_fraction",
        "Enter a number such as 0.25, or a fraction such as 1/3.",
    ),
    "more resamples than the most": (
        {"bootstrap_samples": "100001"},
        "bootstrap_samples",
        "Enter a whole number from 0 to 100,000.",
    ),
    "resamples that are no number": (
        {"bootstrap_samples": "many"},
        "bootstrap_samples",
        "Enter a whole number.",
    ),
    "a confidence level that is no number": (
        {"confidence": "high"},
        "confidence",
        "Enter a number.",
    ),
    "a negative weight": (
        {"weight_customers": "-1"},
        "weight_customers",
        "A weight cannot be negative.",
    ),
    "a weight that is no number": (
        {"weight_customers": "lots"},
        "weight_customers",
        "Enter a number.",
    ),
    "a straight-lining minimum of 1": (
        {"straight_line_min_cells": "1"},
        "straight_line_min_cells",
        "Ensure this value is greater than or equal to 2.",
    ),
    "a straight-lining minimum above the grid's 34 cells": (
        {"straight_line_min_cells": "35"},
        "straight_line_min_cells",
        "Ensure this value is less than or equal to 34.",
    ),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_settings_the_method_cannot_use_are_refused_beside_their_field(
    esg_user: Any, open_assessment: Assessment, case: str
) -> None:
    changes, field, message = INVALID[case]
    if "*" in changes:
        changes = {key: value for key, value in changes.items() if key != "*"}
        for group in method_groups(open_assessment):
            changes[f"weight_{group.code}"] = INVALID[case][0]["*"]
    before = stored_settings(open_assessment)

    response = post(client_for(esg_user), open_assessment, **changes)

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    html = response.content.decode()
    assert message in html
    assert "Please correct the fields marked below." in html
    assert stored_settings(open_assessment) == before


def test_a_refusal_speaks_the_users_language(esg_user: Any, open_assessment: Assessment) -> None:
    response = post(client_for(esg_user, "zh-hans"), open_assessment, confidence="high")
    assert response.status_code == 400
    assert "输入一个数字。" in response.content.decode()


# --- After confirmation -------------------------------------------------------------------


def test_once_a_result_is_confirmed_the_settings_are_shown_and_cannot_change(
    esg_user: Any, decider_user: Any, scored_run: AggregationRun
) -> None:
    assessment = scored_run.assessment
    run_submit_for_confirmation(run=scored_run, user=esg_user)
    run_confirm(run=scored_run, user=decider_user)
    client = client_for(esg_user)

    page = client.get(settings_url(assessment))
    assert page.status_code == 200
    html = page.content.decode()
    assert "These settings can no longer change." in html
    assert f"The confirmed result is run #{scored_run.pk}." in html
    assert "Every respondent rates both axes" in html  # the settings, read-only
    assert 'name="weighting"' not in html

    before = stored_settings(assessment)
    refused = post(client, assessment, weighting="equal_group")
    assert refused.status_code == 403
    assert "can no longer change" in refused.content.decode()
    assert stored_settings(assessment) == before

    form = MethodForm({**form_values(assessment), "weighting": "equal_group"}, instance=assessment)
    assert form.is_valid(), form.errors
    with pytest.raises(MethodLocked):
        method_update(assessment=assessment, user=esg_user, settings=form.settings())
    assert stored_settings(assessment) == before


@pytest.mark.parametrize("who", ["decider_user", "outsider_user"])
def test_only_those_who_may_change_the_assessment_reach_its_settings(
    request: pytest.FixtureRequest, open_assessment: Assessment, who: str
) -> None:
    client = client_for(request.getfixturevalue(who))
    before = stored_settings(open_assessment)
    assert client.get(settings_url(open_assessment)).status_code == 403
    assert client.post(settings_url(open_assessment), {"weighting": "custom"}).status_code == 403
    anonymous = Client().get(settings_url(open_assessment))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert stored_settings(open_assessment) == before


# --- The straight-lining minimum ----------------------------------------------------------


def test_a_new_straight_lining_minimum_flags_replies_again_and_the_next_run_counts_them(
    esg_user: Any, open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    rng = random.Random(11)
    for _ in range(10):
        add_reply(open_assessment, "customers", random_ratings(open_assessment, rng))
    cells = [(topic, axis) for topic in topic_codes(open_assessment)[:3] for axis in AXES]
    six_alike = add_reply(open_assessment, "employees", dict.fromkeys(cells, 4))
    first = AggregationRunFactory(
        assessment=open_assessment, replies=None, scoring={"bootstrap_samples": 0}
    )
    assert first.excluded_straight_lined == 0  # 6 cells: under half of the 34
    client = client_for(esg_user)

    with django_capture_on_commit_callbacks(execute=True):
        post(client, open_assessment, straight_line_min_cells="4")
    assert Response.objects.get(pk=six_alike.pk).straight_lined
    run = latest_scored(open_assessment)
    assert run.excluded_straight_lined == 1
    assert run.responses_counted == first.responses_counted - 1
    assert run.options["straight_line_min_cells"] == 4
    note = AuditEntry.objects.get(action=AuditAction.SETTINGS_CHANGED).note
    assert note == (
        "Straight-lining minimum: half of the grid's cells, at least 4 (the default) "
        "→ 4 rated cells"
    )

    with django_capture_on_commit_callbacks(execute=True):
        post(client, open_assessment, straight_line_min_cells="8")
    assert not Response.objects.get(pk=six_alike.pk).straight_lined
    latest = latest_scored(open_assessment)
    assert latest.pk != run.pk
    assert latest.excluded_straight_lined == 0
    assert latest.responses_counted == first.responses_counted


# --- The results page ---------------------------------------------------------------------


def test_the_results_page_says_which_settings_a_run_used_and_what_changed(
    esg_user: Any, scored_run: AggregationRun, django_capture_on_commit_callbacks: Any
) -> None:
    assessment = scored_run.assessment
    results = reverse("materiality:results", args=[assessment.pk])
    english = client_for(esg_user).get(results).content.decode()
    assert "Method settings of this run" in english
    assert "This is the assessment's first run with scores." in english
    assert f'href="{settings_url(assessment)}"' in english

    with django_capture_on_commit_callbacks(execute=True):
        post(client_for(esg_user), assessment, weighting="equal_group", bootstrap_samples="100")
    run = latest_scored(assessment)

    english = client_for(esg_user).get(results).content.decode()
    assert f"Changed since run #{scored_run.pk}:" in english
    assert "Weighting: every respondent equal → every group equal" in english
    assert "Bootstrap resamples: 200 → 100" in english
    assert "<dt>Confidence level</dt><dd>95%</dd>" in english
    chinese = client_for(esg_user, "zh-hans").get(results).content.decode()
    for text in ("加权方式", "每位受访者等权", "每个群体等权", f"#{scored_run.pk}"):
        assert text in chinese, text
    earlier = client_for(esg_user).get(results, {"run": scored_run.pk}).content.decode()
    assert "first run with scores" in earlier
    assert run.pk != scored_run.pk


@pytest.mark.usefixtures("in_english")
def test_the_sensitivity_table_names_its_variants_in_the_words_of_the_settings() -> None:
    params = Params(weighting=Weighting.CUSTOM, group_weights={"customers": 1.0})
    for variant in variants(params):
        if variant.key.startswith("weighting:"):
            options = RunOptions(params=replace(params, weighting=variant.weighting))
            weighting = option_lines(options, {})[0]
            assert variant_name(variant.key) == weighting.value
        else:
            assert variant_name(variant.key) == f"thresholds {variant.shift:+.2f}"


# --- The admin ----------------------------------------------------------------------------


def test_an_administrator_changes_the_settings_through_the_same_form_and_service(
    admin_client: Client, admin_user: Any, open_assessment: Assessment
) -> None:
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("admin:materiality_assessment_change", args=[open_assessment.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    for text in ("Weighting", "Quality filters", "Shareholders and investors"):
        assert text in page.content.decode(), text
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(admin_user)
    assert "加权方式" in chinese.get(url).content.decode()

    before = stored_settings(open_assessment)
    refused = post(admin_client, open_assessment, url, confidence="1.5")
    assert refused.status_code == 200  # the admin shows the form again, with the message
    assert "Enter a level between 0 and 1, such as 0.95." in refused.content.decode()
    assert stored_settings(open_assessment) == before

    saved = post(admin_client, open_assessment, url, axis_source="split_internal_external")
    assert saved.status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.SETTINGS_CHANGED)
    assert entry.actor_name == admin_user.get_username()
    assert entry.note == (
        "Axis source: Every respondent rates both axes → Internal respondents rate the "
        "company axis, external ones the other"
    )
    assert entry.run is not None
    scoring = Assessment.objects.get(pk=open_assessment.pk).scoring
    assert scoring["axis_source"] == "split_internal_external"


def test_the_admin_shows_confirmed_settings_read_only(
    admin_client: Client, esg_user: Any, decider_user: Any, scored_run: AggregationRun
) -> None:
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assessment = scored_run.assessment
    run_submit_for_confirmation(run=scored_run, user=esg_user)
    run_confirm(run=scored_run, user=decider_user)
    url = reverse("admin:materiality_assessment_change", args=[assessment.pk])
    page = admin_client.get(url).content.decode()
    assert "can no longer change" in page
    assert "Every respondent rates both axes" in page
    before = stored_settings(assessment)
    assert post(admin_client, assessment, url, weighting="equal_group").status_code == 403
    assert stored_settings(assessment) == before
    changelist = reverse("admin:materiality_assessment_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(reverse("admin:materiality_assessment_add")).status_code == 403


def test_every_mistake_is_shown_in_one_round(esg_user: Any, open_assessment: Assessment) -> None:
    """A new user who got four values wrong learns of all four at once, not one per try."""
    before = stored_settings(open_assessment)
    response = post(
        client_for(esg_user),
        open_assessment,
        confidence="1.5",
        bootstrap_samples="-5",
        too_fast_fraction="0",
        straight_line_min_cells="1",
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {
        "confidence",
        "bootstrap_samples",
        "too_fast_fraction",
        "straight_line_min_cells",
    }
    assert stored_settings(open_assessment) == before


def test_the_too_fast_floor_per_cell_is_set_noted_and_used(
    esg_user: Any, open_assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    assert form_values(open_assessment)["too_fast_seconds_per_cell"] == 1.0
    refused = post(client_for(esg_user), open_assessment, too_fast_seconds_per_cell="-1")
    assert refused.status_code == 400
    assert "too_fast_seconds_per_cell" in refused.context["form"].errors

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for(esg_user), open_assessment, too_fast_seconds_per_cell="2")

    assert response.status_code == 302
    assert Assessment.objects.get(pk=open_assessment.pk).scoring["too_fast_seconds_per_cell"] == 2
    entry = AuditEntry.objects.get(assessment=open_assessment, action=AuditAction.SETTINGS_CHANGED)
    assert entry.note.splitlines() == [
        "Too-fast floor: under 1 s per grid cell, whatever the median → under 2 s per grid "
        "cell, whatever the median"
    ]
    lines = {line.key: line.value for line in option_lines(RunOptions(params=Params()), {})}
    assert lines["too_fast_seconds_per_cell"] == "under 1 s per grid cell, whatever the median"
