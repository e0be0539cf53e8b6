from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from materiality.double.models import (
    DmaFrameworks,
    DmaStatus,
    DoubleAssessment,
    IroKind,
    RaterRole,
    Rating,
)
from materiality.double.ratings import current_ratings
from materiality.double.results import dma_results
from materiality.models import AggregationRun, Assessment, ReviewStatus, RunStatus
from materiality.roles import Role, has_role
from surveys.models import Response, SurveyStatus

pytestmark = pytest.mark.django_db


def test_demo_creates_one_account_per_role_and_prints_each_password_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("demo", accounts_only=True)
    first = capsys.readouterr().out
    password = first.split("admin", 1)[1].split()[0]
    assert authenticate(username="admin", password=password) is not None
    user_model = get_user_model()
    assert user_model.objects.get(username="admin").is_superuser
    assert has_role(user_model.objects.get(username="esg"), Role.ESG_TEAM)
    assert has_role(user_model.objects.get(username="decider"), Role.DECISION_GROUP)

    call_command("demo", accounts_only=True)
    second = capsys.readouterr().out
    assert password not in second
    assert "(exists)" in second
    assert authenticate(username="admin", password=password) is not None


def test_demo_can_reset_the_passwords(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", accounts_only=True)
    old = capsys.readouterr().out.split("esg", 1)[1].split()[0]
    call_command("demo", accounts_only=True, reset_passwords=True)
    new = capsys.readouterr().out.split("esg", 1)[1].split()[0]
    assert new != old
    assert authenticate(username="esg", password=new) is not None


def test_the_demo_has_an_open_scored_assessment_with_1151_replies_and_last_years_result(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("demo")
    current = Assessment.objects.get(survey__title__en="2021 materiality assessment (demo)")
    previous = Assessment.objects.get(survey__title__en="2020 materiality assessment (demo)")
    assert current.survey.status == SurveyStatus.OPEN
    assert Response.objects.filter(survey=current.survey, status="submitted").count() == 1151
    run = AggregationRun.objects.get(assessment=current, status=RunStatus.SUCCEEDED)
    assert run.responses_total == 1151
    assert current.previous_id == previous.pk
    assert previous.survey.status == SurveyStatus.CLOSED
    assert previous.published_run is not None
    assert previous.published_run.review == ReviewStatus.CONFIRMED
    # Running it again creates nothing more.
    call_command("demo")
    assert Assessment.objects.count() == 2
    assert Response.objects.filter(survey__assessment__isnull=False).count() == 1151 + 575
    assert Response.objects.filter(survey__report__isnull=False).count() == 36
    assert f"/assessments/{current.pk}/" in capsys.readouterr().out


def test_the_demo_has_a_rated_double_materiality_assessment_of_the_fintech(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("demo")
    dma = DoubleAssessment.objects.get(name__en="2021 double materiality assessment (demo)")
    assert dma.frameworks == DmaFrameworks.BOTH
    assert dma.status == DmaStatus.RESULTS
    assert dma.survey_assessment is not None
    assert dma.survey_assessment.survey.title["en"] == "2021 materiality assessment (demo)"
    iros = list(dma.iros.all())
    assert len(iros) == 12
    assert {iro.kind for iro in iros} == set(IroKind.values)
    assert all(iro.horizons and iro.value_chain and iro.title.get("zh-hans") for iro in iros)
    assert any(iro.human_rights for iro in iros)
    raters = list(dma.raters.all())
    assert {rater.role for rater in raters} == set(RaterRole.values)
    assert dma.raters.get(user__username="esg").role == RaterRole.INTERNAL_EXPERT
    # Every rater rated every IRO they may rate (stakeholders rate no risks), with a reason.
    financial = sum(1 for iro in iros if iro.kind != IroKind.IMPACT)
    assert current_ratings(dma).count() == len(iros) * 4 - financial
    assert not current_ratings(dma).filter(rationale="").exists()

    results = dma_results(dma)
    assert results.problems == []
    scored = [r for m in results.matters for r in m.iros]
    assert len(scored) == 12
    assert all(r.score is not None and not r.problem for r in scored)
    rated = [m for m in results.matters if m.iros]
    assert any(m.material for m in rated)
    assert any(not m.material for m in rated)
    assert any(m.flags for m in rated)
    assert any(m.evidence for m in rated)  # the survey's scores shown beside the ratings
    assert f"/dma/{dma.pk}/results/" in capsys.readouterr().out

    # Running it again creates nothing more.
    call_command("demo")
    assert DoubleAssessment.objects.count() == 1
    assert Rating.objects.count() == len(iros) * 4 - financial
