"""Writes of the ESG domain: assessments, their questionnaires and their links.

Views, the API, commands and tasks call these; each is one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from materiality.audit import audit_record
from materiality.dispatch import send_after_commit
from materiality.importing.invitees import InviteeImport, parse_invitees
from materiality.models import (
    Assessment,
    AssessmentGroup,
    AssessmentTopic,
    AuditAction,
    RunTrigger,
    StakeholderGroup,
    Topic,
)
from materiality.questionnaire import (
    DEFAULT_COMPANY_AXIS,
    DEFAULT_INTRO,
    DEFAULT_PRIVACY,
    DEFAULT_SCALE_LABELS,
    DEFAULT_STAKEHOLDER_AXIS,
    DEFAULT_THANKS,
    questionnaire_specs,
)
from materiality.runs.requests import aggregation_request
from surveys.errors import SurveyLocked
from surveys.models import Invitation, InvitationKind, Survey, SurveyStatus
from surveys.services import (
    IssuedInvitation,
    PersonalInvitee,
    invitation_create,
    invitation_revoke,
    invitation_rotate,
    invitations_create_personal,
    survey_close,
    survey_create,
    survey_open,
    survey_set_questions,
    survey_update,
)

Text = Mapping[str, str]


@dataclass(frozen=True)
class AssessmentInput:
    title: Text
    period_start: date
    period_end: date
    topics: Sequence[Topic]
    groups: Sequence[StakeholderGroup]
    languages: Sequence[str] = ("zh-hans", "en")
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    scale_min: int = 1
    scale_max: int = 5
    scale_labels: Mapping[str, Text] | None = None
    company_axis_label: Text | None = None
    stakeholder_axis_label: Text | None = None
    estimated_minutes: int = 10
    previous: Assessment | None = None


def _scale_labels(data: AssessmentInput) -> dict[str, dict[str, str]]:
    if data.scale_labels is not None:
        return {k: dict(v) for k, v in data.scale_labels.items()}
    if (data.scale_min, data.scale_max) == (1, 5):
        return {k: dict(v) for k, v in DEFAULT_SCALE_LABELS.items()}
    return {}


@transaction.atomic
def assessment_create(*, data: AssessmentInput, created_by: Any = None) -> Assessment:
    survey = survey_create(
        title=dict(data.title),
        intro=dict(DEFAULT_INTRO),
        privacy_notice=dict(DEFAULT_PRIVACY),
        thanks=dict(DEFAULT_THANKS),
        languages=list(data.languages),
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        estimated_minutes=data.estimated_minutes,
        anonymous=True,
    )
    assessment = Assessment.objects.create(
        survey=survey,
        period_start=data.period_start,
        period_end=data.period_end,
        scale_min=data.scale_min,
        scale_max=data.scale_max,
        scale_labels=_scale_labels(data),
        company_axis_label=dict(data.company_axis_label or DEFAULT_COMPANY_AXIS),
        stakeholder_axis_label=dict(data.stakeholder_axis_label or DEFAULT_STAKEHOLDER_AXIS),
        previous=data.previous,
        created_by=created_by,
    )
    _set_vocabulary(assessment, data.topics, data.groups)
    _build_questionnaire(assessment)
    audit_record(assessment=assessment, action=AuditAction.CREATED, actor=created_by)
    return assessment


@transaction.atomic
def assessment_update(*, assessment: Assessment, data: AssessmentInput) -> Assessment:
    """Change a draft assessment; its questionnaire is generated again. Refused once the
    assessment has opened (topics and wording are frozen then)."""
    survey = Survey.objects.select_for_update().get(pk=assessment.survey_id)
    if survey.status != SurveyStatus.DRAFT:
        raise SurveyLocked
    survey_update(
        survey=survey,
        title=dict(data.title),
        languages=list(data.languages),
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        estimated_minutes=data.estimated_minutes,
    )
    for name in ("period_start", "period_end", "scale_min", "scale_max", "previous"):
        setattr(assessment, name, getattr(data, name))
    assessment.scale_labels = _scale_labels(data)
    if data.company_axis_label:
        assessment.company_axis_label = dict(data.company_axis_label)
    if data.stakeholder_axis_label:
        assessment.stakeholder_axis_label = dict(data.stakeholder_axis_label)
    assessment.save()
    assessment.survey.refresh_from_db()
    _set_vocabulary(assessment, data.topics, data.groups)
    _build_questionnaire(assessment)
    return assessment


def _set_vocabulary(
    assessment: Assessment, topics: Sequence[Topic], groups: Sequence[StakeholderGroup]
) -> None:
    AssessmentTopic.objects.filter(assessment=assessment).delete()
    AssessmentGroup.objects.filter(assessment=assessment).delete()
    AssessmentTopic.objects.bulk_create(
        AssessmentTopic(assessment=assessment, topic=topic, order=position)
        for position, topic in enumerate(topics, start=1)
    )
    AssessmentGroup.objects.bulk_create(
        AssessmentGroup(
            assessment=assessment, group=group, weight=group.default_weight, order=position
        )
        for position, group in enumerate(groups, start=1)
    )


def _build_questionnaire(assessment: Assessment) -> None:
    topics = list(
        Topic.objects.filter(assessmenttopic__assessment=assessment).order_by(
            "assessmenttopic__order"
        )
    )
    groups = list(
        StakeholderGroup.objects.filter(assessmentgroup__assessment=assessment).order_by(
            "assessmentgroup__order"
        )
    )
    survey_set_questions(
        survey=assessment.survey,
        questions=questionnaire_specs(
            topics=topics,
            groups=groups,
            scale_min=assessment.scale_min,
            scale_max=assessment.scale_max,
            scale_labels=assessment.scale_labels,
            company_axis=assessment.company_axis_label,
            stakeholder_axis=assessment.stakeholder_axis_label,
        ),
    )


def assessment_open(*, assessment: Assessment, actor: Any = None) -> None:
    survey_open(survey=assessment.survey)
    audit_record(assessment=assessment, action=AuditAction.OPENED, actor=actor)


def assessment_close(*, assessment: Assessment, actor: Any = None) -> None:
    """Close the survey and compute the final scores."""
    survey_close(survey=assessment.survey)
    run = aggregation_request(assessment=assessment, trigger=RunTrigger.CLOSE)
    audit_record(assessment=assessment, action=AuditAction.CLOSED, actor=actor, run=run)


# --- Links ----------------------------------------------------------------------------


def group_link_create(
    *, assessment: Assessment, group: StakeholderGroup, expires_at: datetime | None = None
) -> IssuedInvitation:
    """A link shared by everyone in one stakeholder group (WeChat, QR code on a poster)."""
    return invitation_create(
        survey=assessment.survey,
        kind=InvitationKind.SHARED,
        respondent_group=group.code,
        respondent_internal=group.internal,
        label=group.get_name(),
        expires_at=expires_at,
    )


def open_link_create(
    *, assessment: Assessment, expires_at: datetime | None = None
) -> IssuedInvitation:
    """A public link where respondents pick their group (and side) themselves."""
    survey_update(survey=assessment.survey, allow_open_link=True)
    return invitation_create(
        survey=assessment.survey, kind=InvitationKind.OPEN, expires_at=expires_at
    )


def _link_details(invitation: Invitation) -> dict[str, Any]:
    # Codes and the token's first characters, never the token: the pages name the group.
    return {
        "kind": invitation.kind,
        "group": invitation.respondent_group,
        "hint": invitation.token_hint,
    }


@transaction.atomic
def invitation_link_revoke(
    *, assessment: Assessment, invitation: Invitation, actor: Any = None
) -> bool:
    """Revoke a link of the assessment, a group's or one invitee's: it answers "no longer
    valid" from now on; the replies it brought stay. The trail keeps the group and the
    token's first characters, never an address: it is shown to the whole team and
    outlives the retention period. False (and no audit entry) if it was revoked already."""
    if not invitation_revoke(invitation=invitation):
        return False
    personal = invitation.kind == InvitationKind.PERSONAL
    audit_record(
        assessment=assessment,
        action=AuditAction.INVITATION_REVOKED if personal else AuditAction.LINK_REVOKED,
        actor=actor,
        details=_link_details(invitation),
    )
    return True


@transaction.atomic
def group_link_rotate(
    *, assessment: Assessment, invitation: Invitation, actor: Any = None
) -> IssuedInvitation | None:
    """A new link in place of a group link of the assessment, which is revoked; None if
    it was revoked already."""
    issued = invitation_rotate(invitation=invitation)
    if issued is None:
        return None
    audit_record(
        assessment=assessment,
        action=AuditAction.LINK_ROTATED,
        actor=actor,
        details={**_link_details(invitation), "new_hint": issued.invitation.token_hint},
    )
    return issued


# --- Personal invitations ---------------------------------------------------------------


@dataclass(frozen=True)
class InviteeImportResult:
    report: InviteeImport
    created: int
    invitations: Sequence[Invitation] = ()  # the new ones, in the rows' order


def invitations_import(
    *, assessment: Assessment, table: list[list[str]], expires_at: datetime | None = None
) -> InviteeImportResult:
    """Create one personal invitation per row, all or nothing: if any row is wrong,
    nothing is stored and the report lists every problem. Raises SpreadsheetError for a
    file that cannot be read as a whole."""
    survey = assessment.survey
    existing = set(
        Invitation.objects.filter(survey=survey, kind=InvitationKind.PERSONAL)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    report = parse_invitees(
        table,
        groups=list(assessment.groups.all()),
        languages=survey.languages,
        existing_emails={email.lower() for email in existing},
    )
    if not report.ok:
        return InviteeImportResult(report, 0)
    with transaction.atomic():
        created = invitations_create_personal(
            survey=survey,
            invitees=[
                PersonalInvitee(
                    row.email, row.group.code, row.group.internal, row.language, row.name
                )
                for row in report.rows
            ],
            expires_at=expires_at,
        )
    return InviteeImportResult(report, len(report.rows), created)


class InvitationNotSent(Exception):
    """Why one invitation cannot be sent now; `message` says it to the ESG team."""

    def __init__(self, message: Any) -> None:
        self.message = message
        super().__init__(str(message))


def invitation_send(*, assessment: Assessment, invitation: Invitation) -> bool:
    """Queue one personal invitation's e-mail (after commit): the invitation if it was
    never sent, else a reminder. Returns whether it is a reminder. Raises
    `InvitationNotSent` where the e-mail would not go (the task's own rules: a reminder
    at most once a day, never to someone who has answered)."""
    if invitation.kind != InvitationKind.PERSONAL or not invitation.email:
        raise InvitationNotSent(_("Only a personal invitation with an e-mail address is sent."))
    if assessment.survey.status != SurveyStatus.OPEN:
        raise InvitationNotSent(_("Open the survey before sending its invitations."))
    if invitation.revoked_at is not None:
        raise InvitationNotSent(_("This invitation has been revoked."))
    if invitation.responded_at is not None:
        raise InvitationNotSent(_("This invitee has already answered."))
    reminder = invitation.sent_at is not None
    day_ago = timezone.now() - timedelta(days=1)
    if reminder and invitation.reminded_at is not None and invitation.reminded_at >= day_ago:
        raise InvitationNotSent(_("A reminder was sent less than a day ago: try again later."))
    send_after_commit("surveys.tasks.send_invitations", [invitation.pk], reminder)
    return reminder


def invitations_send(*, assessment: Assessment, reminder: bool = False) -> int:
    """Queue the e-mails (after commit); returns how many invitations were queued."""
    pending = Invitation.objects.filter(
        survey=assessment.survey, kind=InvitationKind.PERSONAL
    ).exclude(email="")
    if reminder:
        pending = pending.filter(responded_at__isnull=True, sent_at__isnull=False)
    else:
        pending = pending.filter(sent_at__isnull=True)
    ids = list(pending.values_list("pk", flat=True))
    if ids:
        send_after_commit("surveys.tasks.send_invitations", ids, reminder)
    return len(ids)
