"""Double materiality assessments (DMAs): the list, one DMA, its IRO register (read, add,
change), its matters, its ratings in force, a rater's new rating, and its results.

Thin over materiality.double: the register's writes go through register.iro_create /
iro_update, a rating through ratings.rating_add, the results (double_results.py) through
results.dma_results: the functions the pages call, so rules, messages and trail agree.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from materiality.api.double_results import DmaResultsView
from materiality.api.double_serializers import (
    DmaMatterSerializer,
    DmaRatingSerializer,
    DmaRatingWriteSerializer,
    DmaSerializer,
    IroSerializer,
    IroWriteSerializer,
)
from materiality.double.company_matters import dma_matters
from materiality.double.models import (
    DoubleAssessment,
    Iro,
    Matter,
    MatterTopic,
    Rater,
    Rating,
)
from materiality.double.overview import dmas_for_list
from materiality.double.ratings import CRITERION_NAMES, current_ratings, rating_add
from materiality.double.register import (
    FROZEN,
    IroInput,
    iro_create,
    iro_field_errors,
    iro_input,
    iro_ratable,
    iro_update,
)
from materiality.double.views.rating import assigned_iros, closed_reason

VIEW = "double.view_doubleassessment"
NON_FIELD = "non_field_errors"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict with the current state."
    default_code = "conflict"


def get_dma(pk: int) -> DoubleAssessment:
    return get_object_or_404(DoubleAssessment, pk=pk)


# --- Assessments --------------------------------------------------------------------------


def dmas_with_counts() -> QuerySet[DoubleAssessment]:
    """The list page's DMAs and counts, with their packs, versions and ratings given: four
    queries for a page of any length."""
    return (
        dmas_for_list()
        .annotate(rating_count=Count("iros__ratings", distinct=True))
        .prefetch_related("packs", "methodology_versions")
    )


class DmaListView(generics.ListAPIView):
    """The double materiality assessments, latest period first."""

    serializer_class = DmaSerializer
    action_permissions = {"get": VIEW}
    filterset_fields = ["status", "frameworks"]
    ordering_fields = ["period_end", "created_at", "id"]
    queryset = DoubleAssessment.objects.none()  # the model, for the schema

    def get_queryset(self) -> QuerySet[DoubleAssessment]:
        return dmas_with_counts()


class DmaDetailView(generics.RetrieveAPIView):
    """One DMA: its period, frameworks, step, packs, methodology versions and counts."""

    serializer_class = DmaSerializer
    action_permissions = {"get": VIEW}
    queryset = DoubleAssessment.objects.none()

    def get_queryset(self) -> QuerySet[DoubleAssessment]:
        return dmas_with_counts()


# --- The register -------------------------------------------------------------------------


def register_queryset(dma_id: int) -> QuerySet[Iro]:
    return Iro.objects.filter(dma_id=dma_id).select_related("matter__pack")


def iro_invalid(errors: list[tuple[str, str]]) -> ValidationError:
    """The service's (field, message) pairs as field errors ("" is the IRO as a whole)."""
    fields: dict[str, list[str]] = {}
    for name, message in errors:
        fields.setdefault(name or NON_FIELD, []).append(message)
    return ValidationError(fields)


def iro_data(dma: DoubleAssessment, values: dict[str, Any], iro: Iro | None) -> IroInput:
    """The request's values as the service's input; a PATCH keeps what it leaves out."""
    if dma.status in FROZEN:
        raise Conflict(
            _("The register cannot change while the assessment is reviewed or approved."),
            code="register_frozen",
        )
    changes = dict(values)
    if "matter" in changes:
        matter = dma_matters(dma).filter(pk=changes["matter"]).first()
        if matter is None:
            raise ValidationError(
                {"matter": [_("The matter is not one of this assessment's matters.")]}
            )
        changes["matter"] = matter
    data = iro_input(iro, **changes) if iro is not None else IroInput(**changes)
    errors = iro_field_errors(dma, data)
    if errors:
        raise iro_invalid(errors)
    return data


def _saved(data: IroInput, error: DjangoValidationError) -> ValidationError:
    # What is left after iro_field_errors passed: the reference taken meanwhile.
    return ValidationError({"reference" if data.reference else NON_FIELD: error.messages})


IRO_EXAMPLE = OpenApiExample(
    "A potential negative impact",
    request_only=True,
    value={
        "matter": 12,
        "kind": "impact",
        "title": {"zh-hans": "客户数据泄露", "en": "Leak of customer data"},
        "polarity": "negative",
        "actuality": "potential",
        "human_rights": True,
        "value_chain": ["own_operations"],
        "involvement": "caused",
        "horizons": ["short", "medium"],
        "stakeholders": ["Customers"],
        "source": "risk_register",
    },
)


class IroListView(generics.ListAPIView):
    """The IRO register: every attribute as its code and its name, each IRO's matter, and
    why it cannot be rated yet. POST adds an IRO."""

    serializer_class = IroSerializer
    action_permissions = {"get": "double.view_iro", "post": "double.add_iro"}
    extra_error_statuses = (409,)
    filterset_fields = ["kind", "source"]
    ordering_fields = ["reference", "created_at", "updated_at"]
    ordering = ["reference"]
    queryset = Iro.objects.none()

    def get_queryset(self) -> QuerySet[Iro]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        get_dma(self.kwargs["pk"])
        return register_queryset(self.kwargs["pk"])

    @extend_schema(
        request=IroWriteSerializer,
        responses={201: IroSerializer},
        description="Add an IRO, as the register's form does. Every mistake is listed at "
        "once, each under its field. 409 while the assessment is reviewed or approved.",
        examples=[IRO_EXAMPLE],
    )
    def post(self, request: Request, pk: int) -> Response:
        dma = get_dma(pk)
        body = IroWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = iro_data(dma, body.validated_data, None)
        try:
            iro = iro_create(dma=dma, data=data, actor=request.user)
        except DjangoValidationError as error:
            raise _saved(data, error) from None
        iro = register_queryset(pk).get(pk=iro.pk)
        return Response(IroSerializer(iro).data, status=status.HTTP_201_CREATED)


class IroDetailView(APIView):
    action_permissions = {"get": "double.view_iro", "patch": "double.change_iro"}
    extra_error_statuses = (409,)

    def _iro(self, pk: int, iro_id: int) -> Iro:
        get_dma(pk)
        return get_object_or_404(register_queryset(pk).select_related("dma"), pk=iro_id)

    @extend_schema(responses=IroSerializer, description="One IRO of the register.")
    def get(self, request: Request, pk: int, iro_id: int) -> Response:
        return Response(IroSerializer(self._iro(pk, iro_id)).data)

    @extend_schema(
        request=IroWriteSerializer(partial=True),
        responses=IroSerializer,
        description="Change an IRO: the fields sent change, the others stay. Its ratings "
        "keep pointing at it. 409 while the assessment is reviewed or approved.",
    )
    def patch(self, request: Request, pk: int, iro_id: int) -> Response:
        iro = self._iro(pk, iro_id)
        body = IroWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = iro_data(iro.dma, body.validated_data, iro)
        try:
            iro_update(iro=iro, data=data, actor=request.user)
        except DjangoValidationError as error:
            raise _saved(data, error) from None
        return Response(IroSerializer(register_queryset(pk).get(pk=iro.pk)).data)


# --- Matters ------------------------------------------------------------------------------


class MatterListView(generics.ListAPIView):
    """The matters an IRO may sit on: the rule packs' (pack by pack, in tree order, each
    with its parent's code) and the company's own last, with the seed topics of the
    stakeholder survey each crosswalks to."""

    serializer_class = DmaMatterSerializer
    action_permissions = {"get": VIEW}
    queryset = Matter.objects.none()

    def get_queryset(self) -> QuerySet[Matter]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        links = Prefetch("topic_links", queryset=MatterTopic.objects.select_related("topic"))
        return (
            dma_matters(get_dma(self.kwargs["pk"]))
            .select_related("pack", "parent")
            .prefetch_related(links)
            .order_by(F("pack__framework").asc(nulls_last=True), "pack_id", "order", "pk")
        )


# --- Ratings ------------------------------------------------------------------------------


class RatingListView(generics.ListAPIView):
    """The rating in force of every IRO and rater (a later rating replaces an earlier
    one; the earlier stays in the history)."""

    serializer_class = DmaRatingSerializer
    action_permissions = {"get": "double.view_rater"}
    queryset = Rating.objects.none()

    def get_queryset(self) -> QuerySet[Rating]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return current_ratings(get_dma(self.kwargs["pk"]))


def rating_fields() -> dict[str, str]:
    """Which field each of `rating_add`'s rule messages is about, in the active
    language. A message not listed is about the rating as a whole."""
    by_message: dict[str, str] = {}
    for name, label in CRITERION_NAMES.items():
        by_message[_("Rate the %(criterion)s.") % {"criterion": label}] = name
    by_message.update(
        {
            _("Give a rationale for the rating."): "rationale",
            _("A positive impact takes no irremediability (ESRS 1 §46)."): "irremediability",
            _("Rate the irremediability of a negative impact (ESRS 1 §45)."): "irremediability",
            _("An actual impact takes no likelihood: it has happened (ESRS 1 §45)."): "likelihood",
            _("Rate the likelihood of a potential impact."): "likelihood",
            _("Enter the amount as a number of zero or more."): "amount",
            _(
                "An impact is rated on scale, scope and irremediability, not on a financial "
                "magnitude or amount."
            ): "magnitude",
            _(
                "Risks and opportunities take no impact criteria (scale, scope, irremediability)."
            ): "scale",
        }
    )
    return by_message


class RatingCreateView(APIView):
    """A rater's new rating of one of their assignments."""

    # Raters are users assigned to the DMA's panel, whatever their role: being on the
    # panel is the permission, checked below as the rating pages check it.
    permission_classes = [IsAuthenticated]
    extra_error_statuses = (409,)

    @extend_schema(
        request=DmaRatingWriteSerializer,
        responses={201: DmaRatingSerializer},
        description="Rate an IRO as the signed-in user, who must be on the assessment's "
        "panel (403 otherwise). Ratings are added, never changed: a new one replaces the "
        "earlier in force and the earlier stays in the history. Every rule broken is "
        "listed at once. 409 outside the rating step, for a rater taken off the panel, or "
        "for an IRO that cannot be rated yet.",
        examples=[
            OpenApiExample(
                "A potential negative impact",
                request_only=True,
                value={
                    "scale": 4,
                    "scope": 3,
                    "irremediability": 2,
                    "likelihood": 3,
                    "rationale": "Two incidents at peers last year.",
                },
            )
        ],
    )
    def post(self, request: Request, pk: int, iro_id: int) -> Response:
        user_id = request.user.pk or 0  # IsAuthenticated lets no anonymous caller in
        rater = Rater.objects.select_related("dma").filter(dma_id=pk, user_id=user_id).first()
        if rater is None:
            raise PermissionDenied(_("You are not on this assessment's panel of raters."))
        iro = get_object_or_404(assigned_iros(rater), pk=iro_id)
        iro.dma = rater.dma
        closed = closed_reason(rater)
        if closed:
            raise Conflict(closed, code="rating_closed")
        blockers = iro_ratable(iro)
        if blockers:
            raise Conflict(" ".join(blockers), code="iro_not_ratable")
        body = DmaRatingWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            rating = rating_add(iro=iro, rater=rater, actor=request.user, **body.validated_data)
        except DjangoValidationError as error:
            fields = rating_fields()
            errors: dict[str, list[str]] = {}
            for message in error.messages:
                errors.setdefault(fields.get(message, NON_FIELD), []).append(message)
            raise ValidationError(errors) from None
        rating = current_ratings(rater.dma).get(pk=rating.pk)
        return Response(DmaRatingSerializer(rating).data, status=status.HTTP_201_CREATED)


urlpatterns: list[URLPattern | URLResolver] = [
    path("dmas/", DmaListView.as_view(), name="api-dmas"),
    path("dmas/<int:pk>/", DmaDetailView.as_view(), name="api-dma-detail"),
    path("dmas/<int:pk>/iros/", IroListView.as_view(), name="api-dma-iros"),
    path("dmas/<int:pk>/iros/<int:iro_id>/", IroDetailView.as_view(), name="api-dma-iro"),
    path(
        "dmas/<int:pk>/iros/<int:iro_id>/ratings/",
        RatingCreateView.as_view(),
        name="api-dma-iro-ratings",
    ),
    path("dmas/<int:pk>/matters/", MatterListView.as_view(), name="api-dma-matters"),
    path("dmas/<int:pk>/ratings/", RatingListView.as_view(), name="api-dma-ratings"),
    path("dmas/<int:pk>/results/", DmaResultsView.as_view(), name="api-dma-results"),
]
