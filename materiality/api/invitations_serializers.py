"""What the link and invitation endpoints read and write."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from materiality.api.fields import TranslatedTextField
from materiality.importing.invitees import NAME_MAX_LENGTH
from materiality.importing.tables import MAX_ROWS
from surveys.models import InvitationKind
from surveys.selectors import INVITATION_STATUSES


class GroupNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TranslatedTextField()


def _future(value: Any) -> Any:
    if value is not None and value <= timezone.now():
        raise serializers.ValidationError(_("Choose a time in the future."), code="past")
    return value


# --- Group links -------------------------------------------------------------------------


class GroupLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(
        choices=[InvitationKind.SHARED, InvitationKind.OPEN],
        help_text="shared: one group's link; open: respondents choose their group.",
    )
    group = GroupNameSerializer(allow_null=True, help_text="Null for the open link.")
    hint = serializers.CharField(help_text="The token's first characters, to tell links apart.")
    url = serializers.URLField(allow_null=True, help_text="The link; null once it is revoked.")
    qr_png = serializers.URLField(allow_null=True, help_text="Its QR code (PNG, print at 300 dpi).")
    qr_svg = serializers.URLField(allow_null=True, help_text="Its QR code (SVG).")
    active = serializers.BooleanField()
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)


class GroupLinkCreateSerializer(serializers.Serializer):
    group = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=64,
        help_text="A group's code for a group link; leave it out for an open link where "
        "respondents choose their group.",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_expires_at(self, value: Any) -> Any:
        return _future(value)


# --- Personal invitations ----------------------------------------------------------------


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    email = serializers.EmailField()
    group = GroupNameSerializer(allow_null=True)
    language = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=INVITATION_STATUSES)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    reminded_at = serializers.DateTimeField(allow_null=True)
    send_error = serializers.CharField(allow_blank=True)
    responded_at = serializers.DateTimeField(
        allow_null=True, help_text="In an anonymous assessment, the day only."
    )
    revoked_at = serializers.DateTimeField(allow_null=True)


class IssuedInvitationSerializer(InvitationSerializer):
    url = serializers.URLField(
        help_text="The personal link. Given in this answer only: the list never shows it."
    )
    token = serializers.CharField(
        help_text="The link's token, for `/api/respond/{token}/`. Given in this answer only."
    )


class InviteeSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=NAME_MAX_LENGTH)
    email = serializers.CharField(max_length=254)
    group = serializers.CharField(max_length=200, help_text="A group's code (or name).")
    language = serializers.CharField(
        required=False, allow_blank=True, max_length=16, help_text="Empty: the survey's first."
    )


class InvitationsCreateSerializer(serializers.Serializer):
    invitees = InviteeSerializer(many=True, allow_empty=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_invitees(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > MAX_ROWS:
            raise serializers.ValidationError(
                _("At most %(max)d rows per file.") % {"max": MAX_ROWS}, code="max_length"
            )
        return value

    def validate_expires_at(self, value: Any) -> Any:
        return _future(value)


class InvitationsImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV or XLSX. Columns: email, group (code or name), optionally language and name."
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_expires_at(self, value: Any) -> Any:
        return _future(value)


class InvitationsCreatedSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    invitations = IssuedInvitationSerializer(many=True)


class InvitationSentSerializer(serializers.Serializer):
    sent = serializers.ChoiceField(
        choices=["invitation", "reminder"],
        help_text="invitation if it had never been sent, else a reminder.",
    )
    invitation = InvitationSerializer()
