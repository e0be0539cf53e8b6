"""An assessment's ways in: group links (shared by a group, or open to all) and personal
invitations. Thin over the services the assessment page calls (materiality.services,
surveys.services), so the checks, the audit entries and the messages are the same.

A personal link is in the answer that creates it and nowhere else: lists show where
each invitation stands, never its link.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, reverse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from materiality.api.assessments import CHANGE, VIEW, StateConflict
from materiality.api.invitations_serializers import (
    GroupLinkCreateSerializer,
    GroupLinkSerializer,
    InvitationsCreatedSerializer,
    InvitationsCreateSerializer,
    InvitationSentSerializer,
    InvitationSerializer,
    InvitationsImportSerializer,
)
from materiality.api.parsers import TextJSONParser
from materiality.importing.tables import MAX_BYTES, SpreadsheetError, read_table
from materiality.models import Assessment, StakeholderGroup
from materiality.services import (
    InvitationNotSent,
    InviteeImportResult,
    group_link_create,
    group_link_rotate,
    invitation_link_revoke,
    invitation_send,
    invitations_import,
    open_link_create,
)
from surveys.mailing import invitation_link
from surveys.models import Invitation, InvitationKind
from surveys.qrcodes import FORMATS
from surveys.qrcodes import qr_code as qr_image
from surveys.selectors import INVITATION_STATUSES, personal_invitations
from surveys.services import invitation_token

ALREADY_REVOKED = "link_revoked"
Table = list[list[str]]  # a spreadsheet's cells, the header row first


class _AssessmentScoped(viewsets.GenericViewSet[Invitation]):
    """Under /assessments/{assessment_pk}/: the assessment is found once the caller is
    known to be allowed, so an outsider learns nothing of which assessments exist."""

    lookup_value_regex = "[0-9]+"
    extra_error_statuses = (409,)
    queryset = Invitation.objects.none()  # for the schema

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.assessment = get_object_or_404(
            Assessment.objects.select_related("survey"), pk=kwargs["assessment_pk"]
        )

    def group_names(self) -> dict[str, dict[str, Any]]:
        groups = StakeholderGroup.objects.filter(assessmentgroup__assessment=self.assessment)
        return {group.code: {"code": group.code, "name": group.name} for group in groups}


# --- Group links -----------------------------------------------------------------------


class GroupLinkFilter(filters.FilterSet):
    active = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        field_name="revoked_at",
        lookup_expr="isnull",
        help_text="false: the revoked links only.",
    )

    class Meta:
        model = Invitation
        fields = ["active"]


@extend_schema_view(
    list=extend_schema(responses=GroupLinkSerializer(many=True)),
    retrieve=extend_schema(responses=GroupLinkSerializer),
)
class GroupLinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _AssessmentScoped):
    """Role members see the links (as on the assessment page); the ESG team makes,
    revokes and replaces them. A revoked link answers “no longer valid”; the replies it
    brought are kept."""

    action_permissions = {
        "list": VIEW,
        "retrieve": VIEW,
        "qr": VIEW,
        "create": CHANGE,
        "revoke": CHANGE,
        "rotate": CHANGE,
    }
    serializer_class = GroupLinkSerializer
    filterset_class = GroupLinkFilter
    ordering_fields = ["created_at", "id"]

    def get_queryset(self) -> QuerySet[Invitation]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Invitation.objects.filter(
            survey_id=self.assessment.survey_id,
            kind__in=[InvitationKind.SHARED, InvitationKind.OPEN],
        ).order_by("created_at", "pk")

    def _data(self, links: list[Invitation]) -> list[dict[str, Any]]:
        names = self.group_names()
        return [self._one(link, names) for link in links]

    def _one(self, link: Invitation, names: dict[str, dict[str, Any]]) -> dict[str, Any]:
        active = link.revoked_at is None
        qr = {
            fmt: self.request.build_absolute_uri(
                reverse(
                    "api-group-link-qr",
                    kwargs={"assessment_pk": self.assessment.pk, "pk": link.pk, "fmt": fmt},
                )
            )
            if active
            else None
            for fmt in FORMATS
        }
        group = link.respondent_group
        return {
            "id": link.pk,
            "kind": link.kind,
            "group": names.get(group, {"code": group, "name": {}}) if group else None,
            "hint": link.token_hint,
            "url": invitation_link(link) if active else None,
            "qr_png": qr["png"],
            "qr_svg": qr["svg"],
            "active": active,
            "expires_at": link.expires_at,
            "created_at": link.created_at,
            "revoked_at": link.revoked_at,
        }

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = GroupLinkSerializer(self._data(list(page or [])), many=True).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(GroupLinkSerializer(self._data([self.get_object()])[0]).data)

    @extend_schema(
        request=GroupLinkCreateSerializer,
        responses={201: GroupLinkSerializer},
        examples=[
            OpenApiExample("A link for customers", value={"group": "customers"}),
            OpenApiExample("An open link", value={}),
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = GroupLinkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code, expires_at = (
            serializer.validated_data.get("group"),
            serializer.validated_data.get("expires_at"),
        )
        if code:
            group = self.assessment.groups.filter(code=code).first()
            if group is None:
                message = _("Choose one of this assessment's stakeholder groups.")
                raise ValidationError({"group": [message]}, code="unknown_group")
            issued = group_link_create(
                assessment=self.assessment, group=group, expires_at=expires_at
            )
        else:
            issued = open_link_create(assessment=self.assessment, expires_at=expires_at)
        body = GroupLinkSerializer(self._data([issued.invitation])[0]).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: GroupLinkSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        link = self.get_object()
        if not invitation_link_revoke(
            assessment=self.assessment, invitation=link, actor=request.user
        ):
            raise StateConflict(_("This link had already been revoked."), code=ALREADY_REVOKED)
        return Response(GroupLinkSerializer(self._data([link])[0]).data)

    @extend_schema(
        request=None,
        responses={201: GroupLinkSerializer},
        description="A new link in place of this one, which stops working; the replies "
        "already received are kept. The answer is the new link.",
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        link = self.get_object()
        issued = group_link_rotate(assessment=self.assessment, invitation=link, actor=request.user)
        if issued is None:
            raise StateConflict(_("This link had already been revoked."), code=ALREADY_REVOKED)
        body = GroupLinkSerializer(self._data([issued.invitation])[0]).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/svg+xml"): OpenApiTypes.BINARY,
        },
        description="The link's QR code, PNG (300 dpi) or SVG.",
    )
    @action(detail=True, methods=["get"], url_path=r"qr/(?P<fmt>png|svg)", url_name="qr")
    def qr(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        link = self.get_object()
        if link.revoked_at is not None:
            raise StateConflict(_("This link had already been revoked."), code=ALREADY_REVOKED)
        fmt = kwargs["fmt"]
        return HttpResponse(qr_image(invitation_link(link), fmt), content_type=FORMATS[fmt])


# --- Personal invitations --------------------------------------------------------------


class InvitationFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        field_name="state",
        choices=[(value, value) for value in INVITATION_STATUSES],
        help_text="Where the invitation stands.",
    )
    group = filters.CharFilter(field_name="respondent_group", help_text="A group's code.")

    class Meta:
        model = Invitation
        fields = ["status", "group"]


def _invitation(row: Invitation, names: dict[str, dict[str, Any]]) -> dict[str, Any]:
    group = row.respondent_group
    return {
        "id": row.pk,
        "name": row.label,
        "email": row.email,
        "group": names.get(group, {"code": group, "name": {}}) if group else None,
        "language": row.language,
        "status": getattr(row, "state", ""),
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "sent_at": row.sent_at,
        "reminded_at": row.reminded_at,
        "send_error": row.send_error,
        "responded_at": row.responded_at,
        "revoked_at": row.revoked_at,
    }


INVITE_EXAMPLE = OpenApiExample(
    "Two invitees",
    request_only=True,
    value={
        "invitees": [
            {"name": "Li Wei", "email": "li.wei@example.com", "group": "customers"},
            {
                "name": "Ann Example",
                "email": "ann@example.com",
                "group": "employees",
                "language": "en",
            },
        ]
    },
)


@extend_schema_view(list=extend_schema(responses=InvitationSerializer(many=True)))
class InvitationViewSet(mixins.ListModelMixin, _AssessmentScoped):
    """Personal invitations, for the ESG team (they hold e-mail addresses)."""

    action_permissions = {
        "list": CHANGE,
        "create": CHANGE,
        "upload": CHANGE,
        "resend": CHANGE,
        "revoke": CHANGE,
    }
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    ordering_fields = ["created_at", "email", "sent_at", "id"]
    parser_classes = [TextJSONParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Invitation]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return personal_invitations(self.assessment.survey).order_by("created_at", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        names = self.group_names()
        rows = [_invitation(row, names) for row in page or []]
        return self.get_paginated_response(InvitationSerializer(rows, many=True).data)

    @extend_schema(
        request=InvitationsCreateSerializer,
        responses={201: InvitationsCreatedSerializer},
        examples=[INVITE_EXAMPLE],
        description="All or nothing: if any invitee is wrong, nothing is stored and "
        "`errors` names each one (`invitees.<index>`). The answer holds each personal "
        "link, once. Send the e-mails with …/resend/ once the survey is open.",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = InvitationsCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitees = serializer.validated_data["invitees"]
        table = [["name", "email", "group", "language"]] + [
            [row.get("name", ""), row["email"], row["group"], row.get("language", "")]
            for row in invitees
        ]
        result = self._import(table, serializer.validated_data.get("expires_at"))
        if not result.report.ok:  # the table's line n is the invitee at index n - 2
            errors = {str(line - 2): [text] for line, text in result.report.errors}
            raise ValidationError({"invitees": errors}, code="invalid")
        return self._created(result)

    @extend_schema(
        request={"multipart/form-data": InvitationsImportSerializer},
        responses={201: InvitationsCreatedSerializer},
        description="As the page's upload: a CSV or XLSX file with the columns email and "
        "group, optionally language and name. A wrong row is named by its number "
        "(`rows.<n>`); nothing is stored then.",
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def upload(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = InvitationsImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if (upload.size or 0) > MAX_BYTES:  # refused before it is read, as on the page
            raise ValidationError({"file": [_("The file is larger than 5 MB.")]}, code="too_big")
        try:
            table = read_table(upload.name, upload.read())
        except SpreadsheetError as error:
            raise ValidationError({"file": [str(error)]}, code="invalid") from None
        result = self._import(table, serializer.validated_data.get("expires_at"))
        if not result.report.ok:
            errors = {str(line): [text] for line, text in result.report.errors}
            raise ValidationError({"rows": errors}, code="invalid")
        return self._created(result)

    def _import(self, table: Table, expires_at: Any) -> InviteeImportResult:
        try:
            return invitations_import(
                assessment=self.assessment, table=table, expires_at=expires_at
            )
        except SpreadsheetError as error:
            raise ValidationError({"file": [str(error)]}, code="invalid") from None

    def _created(self, result: InviteeImportResult) -> Response:
        names = self.group_names()
        states = dict.fromkeys((row.pk for row in result.invitations), "not_sent")
        rows = []
        for row in result.invitations:
            data = _invitation(row, names)
            token = invitation_token(row)
            data.update(status=states[row.pk], url=invitation_link(row), token=token)
            rows.append(data)
        body = InvitationsCreatedSerializer({"created": result.created, "invitations": rows}).data
        return Response(body, status=status.HTTP_201_CREATED)

    def _personal(self, pk: Any) -> Invitation:
        return get_object_or_404(self.get_queryset(), pk=pk)

    @extend_schema(
        request=None,
        responses={202: InvitationSentSerializer},
        description="E-mail the invitation, or a reminder if it was sent already (at most "
        "one a day, never to someone who has answered). The survey must be open.",
    )
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        invitation = self._personal(kwargs["pk"])
        try:
            reminder = invitation_send(assessment=self.assessment, invitation=invitation)
        except InvitationNotSent as refused:
            raise StateConflict(str(refused.message), code="not_sent") from None
        body = {
            "sent": "reminder" if reminder else "invitation",
            "invitation": _invitation(self._personal(invitation.pk), self.group_names()),
        }
        return Response(InvitationSentSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={200: InvitationSerializer},
        description="The link stops working at once. An invitee who has answered keeps "
        "their reply (409: nothing to revoke).",
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        invitation = self._personal(kwargs["pk"])
        if invitation.responded_at is not None:
            raise StateConflict(_("This invitee has already answered."), code="answered")
        revoked = invitation_link_revoke(
            assessment=self.assessment, invitation=invitation, actor=request.user
        )
        if not revoked:
            raise StateConflict(
                _("This invitation had already been revoked."), code=ALREADY_REVOKED
            )
        row = _invitation(self._personal(invitation.pk), self.group_names())
        return Response(InvitationSerializer(row).data)


router = SimpleRouter()
router.register(
    r"assessments/(?P<assessment_pk>[0-9]+)/group-links",
    GroupLinkViewSet,
    basename="api-group-link",
)
router.register(
    r"assessments/(?P<assessment_pk>[0-9]+)/invitations",
    InvitationViewSet,
    basename="api-invitation",
)
urlpatterns: list[URLPattern | URLResolver] = list(router.urls)
