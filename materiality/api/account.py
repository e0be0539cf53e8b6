"""The caller's own API tokens: list, create (the secret is in the answer, once), revoke."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from materiality.access_tokens import (
    MAX_ACTIVE_TOKENS,
    TokenLimitReached,
    api_token_create,
    api_token_revoke,
    api_tokens_of,
)
from materiality.api.fields import StrictCharField
from materiality.models import ApiToken


class ApiTokenSerializer(serializers.ModelSerializer):
    name = StrictCharField(
        max_length=80, help_text="What the token is for, e.g. “Power BI refresh”."
    )
    active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at", "active"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]


class IssuedTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(
        read_only=True, help_text="The token itself. Shown in this answer only: keep it now."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Every signed-in user manages their own tokens, whatever their role."""

    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated]
    ordering_fields = ["created_at", "last_used_at", "name"]

    queryset = ApiToken.objects.none()  # the model, for the schema; each caller sees their own

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return api_tokens_of(self.request.user)

    @extend_schema(request=ApiTokenSerializer, responses={201: IssuedTokenSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ApiTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            issued = api_token_create(user=request.user, name=serializer.validated_data["name"])
        except TokenLimitReached:
            raise ValidationError(
                _("You have %(count)d active tokens, the most allowed. Revoke one first.")
                % {"count": MAX_ACTIVE_TOKENS}
            ) from None
        body = {**IssuedTokenSerializer(issued.token).data, "token": issued.secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        description="Revoke the token: it stops working at once and is kept, revoked, in the list."
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        api_token_revoke(token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="api-token")
urlpatterns = router.urls
