"""Data protection on the ESG side: erasures and the retention period noted in the
assessments' audit trails (counts only, never whose replies), and the retention period
applied to the assessments whose result is confirmed. Finding, exporting and erasing a
person's responses is the questionnaire engine's (`surveys.privacy`,
`surveys.services.responses_erase`); docs/operations.md, "Data protection"."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from materiality.audit import audit_record
from materiality.models import Assessment, AuditAction
from surveys.models import Survey
from surveys.privacy import responses_expire_personal


def on_responses_erased(per_survey: dict[int, int], actor: Any) -> None:
    """SURVEYS_ERASE_HOOKS entry: one audit entry per assessment that lost replies. Its
    scored runs keep their scores; the trail says replies were erased after them."""
    for assessment in Assessment.objects.filter(survey_id__in=list(per_survey)):
        audit_record(
            assessment=assessment,
            action=AuditAction.RESPONSES_ERASED,
            actor=actor,
            details={"responses": per_survey[assessment.survey_id]},
        )


def retention_cutoff(now: datetime | None = None) -> datetime | None:
    """Responses from before this moment are past the retention period; None when
    settings.RESPONSE_RETENTION_DAYS keeps them for ever."""
    days = settings.RESPONSE_RETENTION_DAYS
    if not days:
        return None
    return (now or timezone.now()) - timedelta(days=days)


@transaction.atomic
def responses_expire(*, now: datetime | None = None) -> dict[int, int]:
    """Strip the personal fields of the responses past the retention period, in the
    assessments whose result is confirmed (a published run): until then the team may
    still need to reach a respondent. Ratings stay, so every score stays as it is.
    Returns, per assessment id, how many responses lost something; safe to run again."""
    before = retention_cutoff(now)
    if before is None:
        return {}
    confirmed = Assessment.objects.filter(published_run__isnull=False)
    surveys = Survey.objects.filter(assessment__in=confirmed)
    per_survey = responses_expire_personal(surveys=surveys, before=before)
    expired: dict[int, int] = {}
    for assessment in confirmed.filter(survey_id__in=list(per_survey)):
        count = per_survey[assessment.survey_id]
        audit_record(
            assessment=assessment,
            action=AuditAction.PERSONAL_DATA_EXPIRED,
            details={"responses": count, "days": settings.RESPONSE_RETENTION_DAYS},
        )
        expired[assessment.pk] = count
    return expired
