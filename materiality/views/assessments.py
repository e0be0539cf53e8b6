"""The ESG team's pages: assessments, their links and invitations, live progress.

Thin views: fetch what the user may see, validate a form, call a service, redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from materiality.forms import AssessmentForm, GroupLinkForm, InviteeUploadForm
from materiality.importing.tables import SpreadsheetError, read_table
from materiality.roles import Role, has_role
from materiality.runs.requests import aggregation_request_by
from materiality.runs.selectors import latest_runs, run_scores
from materiality.selectors import assessment_overview, assessments_for_list
from materiality.services import (
    assessment_close,
    assessment_create,
    assessment_open,
    assessment_update,
    group_link_create,
    group_link_rotate,
    invitation_link_revoke,
    invitations_import,
    invitations_send,
    open_link_create,
)
from materiality.views.access import get_assessment as _assessment
from materiality.views.access import permission_required
from surveys.errors import SurveyLocked
from surveys.mailing import invitation_link
from surveys.models import Invitation, InvitationKind, SurveyStatus
from surveys.qrcodes import FORMATS, qr_code


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "is_esg_team": has_role(request.user, Role.ESG_TEAM),
        "is_decision_group": has_role(request.user, Role.DECISION_GROUP),
        "can_view_assessments": request.user.has_perm("materiality.view_assessment"),
    }
    return render(request, "materiality/home.html", context)


@permission_required("materiality.view_assessment")
def assessment_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "materiality/assessment_list.html", {"assessments": assessments_for_list()}
    )


@permission_required("materiality.add_assessment")
def assessment_new(request: HttpRequest) -> HttpResponse:
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assessment = assessment_create(data=form.to_input(), created_by=request.user)
        messages.success(request, _("Assessment created. Check it, then open it to respondents."))
        return redirect("materiality:assessment", pk=assessment.pk)
    status = 400 if form.is_bound else 200
    return render(request, "materiality/assessment_form.html", {"form": form}, status=status)


@permission_required("materiality.change_assessment")
def assessment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(pk)
    if assessment.survey.status != SurveyStatus.DRAFT:
        messages.error(request, str(SurveyLocked.message))
        return redirect("materiality:assessment", pk=pk)
    form = AssessmentForm(request.POST or None, instance=assessment)
    if request.method == "POST" and form.is_valid():
        try:
            assessment_update(assessment=assessment, data=form.to_input())
        except SurveyLocked:
            messages.error(request, str(SurveyLocked.message))
        else:
            messages.success(request, _("Assessment saved."))
        return redirect("materiality:assessment", pk=pk)
    status = 400 if form.is_bound else 200
    context = {"form": form, "assessment": assessment}
    return render(request, "materiality/assessment_form.html", context, status=status)


@permission_required("materiality.view_assessment")
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(pk)
    runs = latest_runs(assessment)
    context: dict[str, Any] = {
        "assessment": assessment,
        "overview": assessment_overview(assessment),
        "runs": runs,
        "scores": run_scores(runs.scored) if runs.scored else [],
        "can_change": request.user.has_perm("materiality.change_assessment"),
        "group_link_form": GroupLinkForm(assessment=assessment),
        "upload_form": InviteeUploadForm(),
    }
    return render(request, "materiality/assessment_detail.html", context)


@permission_required("materiality.view_assessment")
def assessment_progress(request: HttpRequest, pk: int) -> JsonResponse:
    overview = assessment_overview(_assessment(pk))
    return JsonResponse(
        {
            "groups": [
                {
                    "group": row.code,
                    "invited": row.invited,
                    "started": row.started,
                    "completed": row.completed,
                    "percent": row.percent,
                }
                for row in overview.groups
            ],
            "total": {"started": overview.started, "completed": overview.completed},
        }
    )


@require_POST
@permission_required("materiality.change_assessment")
def assessment_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    assessment = _assessment(pk)
    if action == "open":
        assessment_open(assessment=assessment, actor=request.user)
        messages.success(request, _("The survey is open: its links now work."))
    elif action == "close":
        assessment_close(assessment=assessment, actor=request.user)
        messages.success(request, _("The survey is closed: no more answers are accepted."))
    else:
        raise Http404
    return redirect("materiality:assessment", pk=pk)


@require_POST
@permission_required("materiality.change_assessment")
def link_create(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    assessment = _assessment(pk)
    if kind == "open":
        open_link_create(assessment=assessment)
        messages.success(request, _("Open link created."))
    elif kind == "group":
        form = GroupLinkForm(request.POST, assessment=assessment)
        if not form.is_valid():
            messages.error(request, _("Choose one of this assessment's stakeholder groups."))
            return redirect("materiality:assessment", pk=pk)
        group_link_create(assessment=assessment, group=form.cleaned_data["group"])
        messages.success(request, _("Group link created."))
    else:
        raise Http404
    return redirect("materiality:assessment", pk=pk)


def _group_link(assessment: Any, invitation_pk: int) -> Invitation:
    return get_object_or_404(
        Invitation,
        pk=invitation_pk,
        survey=assessment.survey,
        kind__in=[InvitationKind.SHARED, InvitationKind.OPEN],
    )


@require_POST
@permission_required("materiality.change_assessment")
def link_revoke(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    assessment = _assessment(pk)
    invitation = _group_link(assessment, invitation_pk)
    if invitation_link_revoke(assessment=assessment, invitation=invitation, actor=request.user):
        messages.success(request, _("The link was revoked. The replies it brought are kept."))
    else:
        messages.info(request, _("This link had already been revoked."))
    return redirect(reverse("materiality:assessment", args=[pk]) + "#links-title")


@require_POST
@permission_required("materiality.change_assessment")
def link_rotate(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    assessment = _assessment(pk)
    invitation = _group_link(assessment, invitation_pk)
    if group_link_rotate(assessment=assessment, invitation=invitation, actor=request.user):
        messages.success(
            request,
            _(
                "A new link replaces the old one, which no longer works. The replies "
                "already received are kept; share the new link or QR code."
            ),
        )
    else:
        messages.info(request, _("This link had already been revoked."))
    return redirect(reverse("materiality:assessment", args=[pk]) + "#links-title")


@permission_required("materiality.view_assessment")
def link_qr(request: HttpRequest, pk: int, invitation_pk: int, fmt: str) -> HttpResponse:
    assessment = _assessment(pk)
    invitation = get_object_or_404(
        Invitation,
        pk=invitation_pk,
        survey=assessment.survey,
        kind__in=[InvitationKind.SHARED, InvitationKind.OPEN],
    )
    if fmt not in FORMATS:
        raise Http404
    response = HttpResponse(qr_code(invitation_link(invitation), fmt), content_type=FORMATS[fmt])
    if request.GET.get("download"):
        name = f"materia-{invitation.respondent_group or 'open'}-link.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@permission_required("materiality.change_assessment")
def invitations_upload(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(pk)
    form = InviteeUploadForm(request.POST, request.FILES)
    context: dict[str, Any] = {"assessment": assessment, "form": form}
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = read_table(upload.name, upload.read())
            result = invitations_import(
                assessment=assessment, table=table, expires_at=form.cleaned_data["expires_at"]
            )
        except SpreadsheetError as error:
            form.add_error("file", str(error))
        else:
            if result.created:
                messages.success(
                    request,
                    _("%(count)d invitations created. Send them when you are ready.")
                    % {"count": result.created},
                )
                return redirect("materiality:assessment", pk=pk)
            context["report"] = result.report
    return render(request, "materiality/invitations_upload.html", context, status=400)


@require_POST
@permission_required("materiality.change_assessment")
def invitations_mail(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    assessment = _assessment(pk)
    if action not in ("send", "remind"):
        raise Http404
    if assessment.survey.status != SurveyStatus.OPEN:
        messages.error(request, _("Open the survey before sending its invitations."))
        return redirect("materiality:assessment", pk=pk)
    count = invitations_send(assessment=assessment, reminder=action == "remind")
    if action == "send":
        text = _("%(count)d invitations are being sent.")
    else:
        text = _("%(count)d reminders are being sent.")
    messages.success(request, text % {"count": count})
    return redirect("materiality:assessment", pk=pk)


@require_POST
@permission_required("materiality.change_assessment")
def run_request(request: HttpRequest, pk: int) -> HttpResponse:
    aggregation_request_by(assessment=_assessment(pk), user=request.user)
    messages.success(request, _("The scores are being computed."))
    return redirect(f"{reverse('materiality:assessment', args=[pk])}#scores")


@permission_required("materiality.view_assessment")
def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    runs = latest_runs(_assessment(pk))
    latest = runs.latest
    return JsonResponse(
        {
            "run": None
            if latest is None
            else {
                "id": latest.pk,
                "status": latest.status,
                "status_display": latest.get_status_display(),
                "progress": latest.progress,
                "error": latest.error,
            },
            "scored_run": runs.scored.pk if runs.scored else None,
        }
    )
