"""Reads of the ESG domain, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext

from materiality.models import Assessment, StakeholderGroup
from materiality.runs.inputs import grid_cell_count, too_fast_limit
from materiality.runs.method import current_options, method_groups
from surveys.mailing import invitation_link
from surveys.models import Invitation, InvitationKind, Response, ResponseStatus
from surveys.selectors import survey_progress
from surveys.tallies import Durations


def assessments_for_list() -> QuerySet[Assessment]:
    return Assessment.objects.select_related("survey").annotate(
        topic_count=Count("topics", distinct=True),
        started=Count("survey__responses", distinct=True),
        completed=Count(
            "survey__responses",
            filter=Q(survey__responses__status=ResponseStatus.SUBMITTED),
            distinct=True,
        ),
    )


@dataclass(frozen=True)
class GroupRow:
    code: str
    name: str
    internal: bool | None
    invited: int
    started: int
    completed: int

    @property
    def percent(self) -> int | None:
        """Response rate in percent (completed of invited), where invitations are known."""
        if not self.invited:
            return None
        return round(100 * self.completed / self.invited)

    @property
    def bar_max(self) -> int:
        return max(self.invited, self.started, 1)


@dataclass(frozen=True)
class LinkRow:
    invitation: Invitation
    url: str
    group_name: str


@dataclass(frozen=True)
class AssessmentOverview:
    groups: list[GroupRow]
    links: list[LinkRow]
    started: int
    completed: int
    invited: int
    invitations_sent: int
    topic_count: int


def _group_name(code: str, by_code: dict[str, StakeholderGroup]) -> str:
    if code in by_code:
        return by_code[code].get_name()
    # Open-link respondents who have not reached the question of their group yet.
    return code or gettext("Not chosen yet")


def assessment_overview(assessment: Assessment) -> AssessmentOverview:
    groups = list(
        StakeholderGroup.objects.filter(assessmentgroup__assessment=assessment).order_by(
            "assessmentgroup__order"
        )
    )
    by_code = {group.code: group for group in groups}
    progress = survey_progress(assessment.survey, [group.code for group in groups])
    rows = [
        GroupRow(
            code=row.group,
            name=_group_name(row.group, by_code),
            internal=by_code[row.group].internal if row.group in by_code else None,
            invited=row.invited,
            started=row.started,
            completed=row.completed,
        )
        for row in progress
    ]
    links = [
        LinkRow(
            invitation=invitation,
            url=invitation_link(invitation),
            group_name=(
                by_code[invitation.respondent_group].get_name()
                if invitation.respondent_group in by_code
                else ""
            ),
        )
        for invitation in Invitation.objects.filter(
            survey=assessment.survey,
            kind__in=[InvitationKind.SHARED, InvitationKind.OPEN],
            revoked_at__isnull=True,  # a revoked link is in the audit trail, not here
        ).order_by("kind", "created_at")
    ]
    personal = Invitation.objects.filter(
        survey=assessment.survey, kind=InvitationKind.PERSONAL
    ).aggregate(total=Count("pk"), sent=Count("pk", filter=Q(sent_at__isnull=False)))
    return AssessmentOverview(
        groups=rows,
        links=links,
        started=sum(row.started for row in rows),
        completed=sum(row.completed for row in rows),
        invited=personal["total"],
        invitations_sent=personal["sent"],
        topic_count=assessment.topics.count(),
    )


# --- Which replies the quality rules leave out ------------------------------------------


@dataclass(frozen=True)
class QualityRule:
    """The quality filters as the method settings stand now: what the next run leaves
    out (docs/methodology.md, "Quality filters")."""

    exclude_straight_lined: bool
    too_fast_seconds: int | None  # None: no limit (the rule is off, or too few times)

    def excluded(self) -> Q:
        """The submitted replies the rule leaves out, as a filter on responses."""
        left_out = Q(pk__in=[])
        if self.exclude_straight_lined:
            left_out |= Q(straight_lined=True)
        if self.too_fast_seconds is not None:
            left_out |= Q(duration_seconds__lt=self.too_fast_seconds)
        return left_out & Q(status=ResponseStatus.SUBMITTED)


def reply_quality_rule(assessment: Assessment) -> QualityRule:
    """The run's own rule (`runs/inputs.py`) over the replies submitted so far: four
    queries, whatever their number."""
    options = current_options(assessment, method_groups(assessment))
    durations = Durations.of(
        Response.objects.filter(survey_id=assessment.survey_id, status=ResponseStatus.SUBMITTED)
    )
    limit = too_fast_limit(durations, options, grid_cells=grid_cell_count(assessment.survey_id))
    return QualityRule(options.exclude_straight_lined, limit)
