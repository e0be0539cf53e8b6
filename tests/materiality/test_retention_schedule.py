"""The retention period applies itself: Celery beat runs the expiry daily, through the
same service as `manage.py respondent_data expire` (docs/operations.md, "Data
protection")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from celery.schedules import crontab
from django.utils import timezone

from config.celery import app as celery_app
from materiality import tasks
from materiality.models import Assessment, AuditAction, AuditEntry
from surveys.privacy import responses_of_person
from tests.materiality.test_data_protection import EMAIL, confirmed_run, personal_reply


def test_beat_runs_the_expiry_once_a_day() -> None:
    entry = celery_app.conf.beat_schedule["expire-personal-data"]
    assert entry["task"] == "materiality.tasks.expire_personal_data"
    assert entry["task"] in celery_app.tasks
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    # Once a day, every day: at 03:15 (UTC, the beat's time zone). Minute, hour, day of
    # month, month, day of week, as in a crontab.
    assert repr(schedule) == "<crontab: 15 3 * * * (m/h/dM/MY/d)>"
    assert celery_app.conf.timezone == "UTC"


def test_the_task_calls_the_retention_service(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake(**kwargs: Any) -> dict[int, int]:
        calls.append(kwargs)
        return {7: 3}

    monkeypatch.setattr(tasks, "responses_expire", fake)
    assert tasks.expire_personal_data.delay().get(timeout=5) == {7: 3}
    assert calls == [{}]


@pytest.mark.django_db
def test_the_daily_task_strips_old_personal_data_of_confirmed_assessments(
    open_assessment: Assessment, esg_user: Any, decider_user: Any, settings: Any
) -> None:
    settings.RESPONSE_RETENTION_DAYS = 30
    personal_reply(open_assessment, at=timezone.now() - timedelta(days=40), comment="Call me.")
    confirmed_run(open_assessment, esg_user, decider_user)

    assert tasks.expire_personal_data.delay().get(timeout=5) == {open_assessment.pk: 1}
    assert not responses_of_person(email=EMAIL).exists()
    assert AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_EXPIRED).count() == 1
    assert tasks.expire_personal_data.delay().get(timeout=5) == {}  # safe to run again
