"""Revoking and replacing a group link, from the assessment page and the admin: the old
link answers "no longer valid", the replies it brought stay, the trail says who did it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from materiality.models import Assessment, AuditAction, AuditEntry, StakeholderGroup
from materiality.services import group_link_create
from surveys.models import Invitation, Response, ResponseStatus
from tests.conftest import link_path
from tests.respondents import respond

pytestmark = pytest.mark.django_db


def logged_in(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def employees_link(assessment: Assessment) -> Any:
    return group_link_create(
        assessment=assessment, group=StakeholderGroup.objects.get(code="employees")
    )


def test_the_esg_team_revokes_a_link_and_its_replies_stay(
    esg_user: Any, open_assessment: Assessment
) -> None:
    issued = employees_link(open_assessment)
    respond(Client(), link_path(issued))
    page = reverse("materiality:assessment", args=[open_assessment.pk])
    url = reverse("materiality:link-revoke", args=[open_assessment.pk, issued.invitation.pk])
    assert url in logged_in(esg_user).get(page).content.decode()

    answer = logged_in(esg_user).post(url, follow=True)

    assert "The link was revoked" in answer.content.decode()
    assert issued.token not in answer.content.decode()  # no longer listed
    gone = Client(HTTP_ACCEPT_LANGUAGE="en").get(link_path(issued))
    assert gone.status_code == 410
    assert "This link is no longer valid" in gone.content.decode()
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 1
    entry = AuditEntry.objects.get(action=AuditAction.LINK_REVOKED)
    assert (entry.actor_name, entry.details["group"]) == ("esg-member", "employees")
    assert issued.token not in str(entry.details)
    # A second click changes nothing and writes no second entry.
    logged_in(esg_user).post(url)
    assert AuditEntry.objects.filter(action=AuditAction.LINK_REVOKED).count() == 1


def test_the_esg_team_replaces_a_link_with_a_new_one(
    esg_user: Any, open_assessment: Assessment
) -> None:
    issued = employees_link(open_assessment)
    url = reverse("materiality:link-rotate", args=[open_assessment.pk, issued.invitation.pk])

    answer = logged_in(esg_user).post(url, follow=True)

    assert "A new link replaces the old one" in answer.content.decode()
    new = Invitation.objects.get(revoked_at__isnull=True)
    assert (new.respondent_group, new.kind) == ("employees", "shared")
    assert Client().get(link_path(issued)).status_code == 410
    html = answer.content.decode()
    assert f"/s/i/{new.token_hint}" in html  # the new link is listed
    entry = AuditEntry.objects.get(action=AuditAction.LINK_ROTATED)
    assert entry.details["new_hint"] == new.token_hint


def test_only_the_esg_team_revokes_or_replaces_links(
    decider_user: Any, outsider_user: Any, open_assessment: Assessment
) -> None:
    issued = employees_link(open_assessment)
    for name in ("materiality:link-revoke", "materiality:link-rotate"):
        url = reverse(name, args=[open_assessment.pk, issued.invitation.pk])
        for client in (Client(), logged_in(decider_user), logged_in(outsider_user)):
            assert client.post(url).status_code in {302, 403, 404}
        assert logged_in(decider_user).get(url).status_code in {403, 405}
    assert Invitation.objects.get().revoked_at is None
    assert not AuditEntry.objects.filter(
        action__in=[AuditAction.LINK_REVOKED, AuditAction.LINK_ROTATED]
    )


@pytest.mark.parametrize(("language", "text"), [("en", "Employees"), ("zh-hans", "员工")])
def test_the_admin_lists_group_links_by_name_and_revokes_them(
    admin_client: Client, open_assessment: Assessment, language: str, text: str
) -> None:
    issued = employees_link(open_assessment)
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    listing = admin_client.get(reverse("admin:surveys_invitation_changelist"))
    html = listing.content.decode()
    assert listing.status_code == 200
    assert text in html
    assert issued.token not in html
    assert issued.invitation.token_hint in html
    detail = admin_client.get(
        reverse("admin:surveys_invitation_change", args=[issued.invitation.pk])
    )
    assert issued.token not in detail.content.decode()

    admin_client.post(
        reverse("admin:surveys_invitation_changelist"),
        {"action": "rotate_links", "_selected_action": [issued.invitation.pk]},
    )

    assert Client().get(link_path(issued)).status_code == 410
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.LINK_ROTATED).count() == 1
