"""Storing a reader's answers (rate-limited) and asking for a new summary."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from materiality.dispatch import send_after_commit
from materiality.models import Report
from surveys.errors import TooManyResponses
from surveys.models import (
    Response,
)
from surveys.ratelimits import allow
from surveys.services import (
    AnswerInput,
    response_create_submitted,
)

# Posts per network address and hour: generous for an office behind one address,
# small enough that a flood is refused long before it fills the database.
RATE_LIMIT_PER_HOUR = 20


# --- Submitting -----------------------------------------------------------------------


def feedback_submit(
    *,
    report: Report,
    answers: Sequence[AnswerInput],
    language: str,
    client_hash: str,
    contact_email: str = "",
) -> Response:
    """Store one reader's answers (one transaction) and schedule the summary.

    Raises TooManyResponses past the per-address hourly limit (checked first, so a flood
    costs no database writes) and SurveyNotOpen/SurveyClosed for a form not open."""
    survey = report.survey
    if client_hash and not allow(
        f"feedback:{report.pk}:{client_hash}", limit=RATE_LIMIT_PER_HOUR, window_seconds=3600
    ):
        raise TooManyResponses
    with transaction.atomic():
        response = response_create_submitted(
            survey=survey, answers=answers, language=language, contact_email=contact_email
        )
        if Report.objects.filter(pk=report.pk, summary_pending=False).update(summary_pending=True):
            report_id = report.pk
            send_after_commit(
                "materiality.tasks.feedback_summarise",
                report_id,
                # Broker down: the next answer (or the page) asks again.
                on_failure=lambda: Report.objects.filter(pk=report_id).update(
                    summary_pending=False
                ),
            )
    return response
