from __future__ import annotations

from typing import Any

import pytest

from surveys.models import Invitation, InvitationKind, Survey
from surveys.services import invitation_create, invitation_resolve, invitation_token
from surveys.tokens import new_token, token_digest

pytestmark = pytest.mark.django_db


def test_tokens_carry_at_least_128_random_bits() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    # 24 random bytes in URL-safe base64: 32 characters of 6 bits each.
    assert all(len(token) == 32 for token in tokens)


def test_only_the_digest_of_an_invitation_token_is_stored(survey: Survey) -> None:
    issued = invitation_create(
        survey=survey, kind=InvitationKind.SHARED, respondent_group="students"
    )
    row = Invitation.objects.filter(pk=issued.invitation.pk).values().get()
    assert issued.token not in str(row)
    assert row["token_hash"] == token_digest(issued.token)


def test_the_link_can_be_shown_again_for_a_qr_code_or_reminder(survey: Survey) -> None:
    issued = invitation_create(
        survey=survey, kind=InvitationKind.SHARED, respondent_group="students"
    )
    again = Invitation.objects.get(pk=issued.invitation.pk)
    assert invitation_token(again) == issued.token
    assert invitation_resolve(issued.token).pk == issued.invitation.pk


def test_links_keep_working_after_a_key_rotation_with_a_fallback(
    survey: Survey, settings: Any
) -> None:
    issued = invitation_create(
        survey=survey, kind=InvitationKind.SHARED, respondent_group="students"
    )
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    invitation = Invitation.objects.get(pk=issued.invitation.pk)
    assert invitation_token(invitation) == issued.token


def test_without_the_old_key_the_link_is_reissued_rather_than_shown_broken(
    survey: Survey, settings: Any
) -> None:
    issued = invitation_create(
        survey=survey, kind=InvitationKind.SHARED, respondent_group="students"
    )
    settings.SECRET_KEY = "a-new-key-" + "y" * 50
    invitation = Invitation.objects.get(pk=issued.invitation.pk)
    token = invitation_token(invitation)
    assert token != issued.token
    assert invitation_resolve(token).pk == invitation.pk
