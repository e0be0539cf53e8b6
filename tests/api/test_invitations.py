"""Group links and personal invitations through the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from materiality.models import Assessment, AuditEntry, StakeholderGroup
from materiality.models.records import AuditAction
from materiality.services import group_link_create, invitations_import
from surveys.models import Invitation, InvitationKind
from tests.api.test_assessments import ROLES, allowed, as_role, call, check_status
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db

INVITEES = [
    {"name": "Li Wei", "email": "li.wei@example.com", "group": "customers"},
    {"name": "Ann Example", "email": "Ann@Example.com", "group": "employees", "language": "en"},
]


def links_url(assessment: Assessment) -> str:
    return f"/api/assessments/{assessment.pk}/group-links/"


def invitations_url(assessment: Assessment) -> str:
    return f"/api/assessments/{assessment.pk}/invitations/"


def customers_link(assessment: Assessment) -> Invitation:
    group = StakeholderGroup.objects.get(code="customers")
    return group_link_create(assessment=assessment, group=group).invitation


def invite(assessment: Assessment, *emails: str) -> list[Invitation]:
    table = [["email", "group"], *([email, "customers"] for email in emails)]
    return list(invitations_import(assessment=assessment, table=table).invitations)


# --- Who may do what --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_group_links_are_seen_by_role_members(client: Client, role: str) -> None:
    assessment = AssessmentFactory(opened=True)
    link = customers_link(assessment)
    as_role(client, role)
    expected = allowed(200, decider=200)[role]
    check_status(client.get(links_url(assessment)), expected)
    check_status(client.get(f"{links_url(assessment)}{link.pk}/"), expected)
    check_status(client.get(f"{links_url(assessment)}{link.pk}/qr/png/"), expected)


@pytest.mark.parametrize("role", ROLES)
def test_group_links_are_made_and_revoked_by_the_esg_team(client: Client, role: str) -> None:
    assessment = AssessmentFactory(opened=True)
    first, second = customers_link(assessment), customers_link(assessment)
    as_role(client, role)
    base = links_url(assessment)
    check_status(call(client, "post", base, {"group": "customers"}), allowed(201)[role])
    check_status(client.post(f"{base}{first.pk}/revoke/"), allowed(200)[role])
    check_status(client.post(f"{base}{second.pk}/rotate/"), allowed(201)[role])


@pytest.mark.parametrize("role", ROLES)
def test_invitations_are_for_the_esg_team(client: Client, role: str) -> None:
    assessment = AssessmentFactory(opened=True)
    first, second = invite(assessment, "a@example.com", "b@example.com")
    as_role(client, role)
    base = invitations_url(assessment)
    check_status(client.get(base), allowed(200)[role])
    check_status(call(client, "post", base, {"invitees": INVITEES}), allowed(201)[role])
    upload = SimpleUploadedFile("list.csv", b"email,group\nc@example.com,media\n")
    check_status(client.post(f"{base}import/", {"file": upload}), allowed(201)[role])
    check_status(client.post(f"{base}{first.pk}/resend/"), allowed(202)[role])
    check_status(client.post(f"{base}{second.pk}/revoke/"), allowed(200)[role])


# --- Group links ------------------------------------------------------------------------


def test_a_new_group_link_comes_with_its_url_and_qr_code(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    client.force_login(esg_user)
    response = call(client, "post", links_url(open_assessment), {"group": "customers"})
    assert response.status_code == 201, response.content
    link = response.json()
    assert link["kind"] == "shared"
    assert link["group"]["code"] == "customers"
    assert link["url"].endswith("/")
    assert "/s/i/" in link["url"]
    qr = client.get(link["qr_png"])
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/png"
    assert client.get(link["qr_svg"])["Content-Type"] == "image/svg+xml"
    # Anyone following it reaches the questionnaire.
    path = link["url"].split("://", 1)[1].split("/", 1)[1]
    assert Client().get(f"/{path}").status_code == 200


def test_an_open_link_is_made_without_a_group(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    client.force_login(esg_user)
    link = call(client, "post", links_url(open_assessment), {}).json()
    assert (link["kind"], link["group"]) == ("open", None)


def test_a_link_for_a_group_not_in_the_assessment_is_refused(client: Client, esg_user: Any) -> None:
    assessment = AssessmentFactory(groups=list(StakeholderGroup.objects.filter(code="customers")))
    client.force_login(esg_user)
    response = call(client, "post", links_url(assessment), {"group": "employees"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "group"


def test_revoking_a_link_is_audited_once(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    link = customers_link(open_assessment)
    client.force_login(esg_user)
    url = f"{links_url(open_assessment)}{link.pk}/revoke/"
    body = client.post(url).json()
    assert body["active"] is False
    assert body["url"] is None
    again = client.post(url)
    assert again.status_code == 409
    assert again.json()["code"] == "link_revoked"
    entries = AuditEntry.objects.filter(assessment=open_assessment, action=AuditAction.LINK_REVOKED)
    assert [entry.actor for entry in entries] == [esg_user]
    listed = client.get(links_url(open_assessment), {"active": "false"}).json()["results"]
    assert [row["id"] for row in listed] == [link.pk]


def test_rotating_a_link_gives_a_new_one(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    link = customers_link(open_assessment)
    client.force_login(esg_user)
    response = client.post(f"{links_url(open_assessment)}{link.pk}/rotate/")
    assert response.status_code == 201
    new = response.json()
    assert new["id"] != link.pk
    assert new["active"] is True
    assert new["group"]["code"] == "customers"
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert AuditEntry.objects.filter(
        assessment=open_assessment, action=AuditAction.LINK_ROTATED, actor=esg_user
    ).exists()


def test_a_link_of_another_assessment_is_a_404(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    other = customers_link(AssessmentFactory())
    client.force_login(esg_user)
    assert client.post(f"{links_url(open_assessment)}{other.pk}/revoke/").status_code == 404


# --- Personal invitations ---------------------------------------------------------------


def test_invitations_are_created_with_each_link_shown_once(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    client.force_login(esg_user)
    response = call(client, "post", invitations_url(open_assessment), {"invitees": INVITEES})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 2
    first, second = body["invitations"]
    assert (first["name"], first["email"], first["status"]) == (
        "Li Wei",
        INVITEES[0]["email"],
        "not_sent",
    )
    assert second["email"] == "ann@example.com"
    assert "/s/i/" in first["url"]
    listed = client.get(invitations_url(open_assessment)).json()["results"]
    assert [row["email"] for row in listed] == ["li.wei@example.com", "ann@example.com"]
    assert all("url" not in row and "token" not in str(row) for row in listed)
    assert all(first["url"].rsplit("/", 2)[-2] not in str(row) for row in listed)


def test_wrong_invitees_are_each_named_and_nothing_is_stored(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    invite(open_assessment, "taken@example.com")
    client.force_login(esg_user)
    invitees = [
        {"email": "not-an-address", "group": "customers"},
        {"email": "ok@example.com", "group": "no-such-group"},
        {"email": "taken@example.com", "group": "customers"},
        {"email": "twice@example.com", "group": "customers"},
        {"email": "twice@example.com", "group": "customers"},
    ]
    response = call(
        client,
        "post",
        invitations_url(open_assessment),
        {"invitees": invitees},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert set(errors) == {"invitees.0", "invitees.1", "invitees.2", "invitees.4"}
    assert "already invited" in errors["invitees.2"]
    assert Invitation.objects.filter(kind=InvitationKind.PERSONAL).count() == 1


def test_an_empty_list_of_invitees_is_refused(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    client.force_login(esg_user)
    response = call(client, "post", invitations_url(open_assessment), {"invitees": []})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "invitees"


def test_a_file_of_invitees_is_imported_and_its_wrong_rows_named(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    client.force_login(esg_user)
    url = f"{invitations_url(open_assessment)}import/"
    bad = SimpleUploadedFile("list.csv", b"email,group\na@example.com,customers\nbad,customers\n")
    response = client.post(url, {"file": bad})
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["rows.3"]
    good = SimpleUploadedFile("list.csv", "email,group,name\na@example.com,客户,Li\n".encode())
    response = client.post(url, {"file": good})
    assert response.status_code == 201, response.content
    [created] = response.json()["invitations"]
    assert (created["group"]["code"], created["name"]) == ("customers", "Li")
    not_a_table = SimpleUploadedFile("list.pdf", b"%PDF")
    response = client.post(url, {"file": not_a_table})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"


def test_resending_sends_the_invitation_then_a_reminder(
    client: Client,
    esg_user: Any,
    open_assessment: Assessment,
    django_capture_on_commit_callbacks: Any,
) -> None:
    [invitation] = invite(open_assessment, "a@example.com")
    client.force_login(esg_user)
    url = f"{invitations_url(open_assessment)}{invitation.pk}/resend/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 202, response.content
    assert response.json()["sent"] == "invitation"
    [row] = client.get(invitations_url(open_assessment)).json()["results"]
    assert row["status"] == "sent"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).json()["sent"] == "reminder"
    assert [message.to for message in mail.outbox] == [["a@example.com"], ["a@example.com"]]
    too_soon = client.post(url)
    assert too_soon.status_code == 409
    assert too_soon.json()["code"] == "not_sent"


def test_invitations_of_a_draft_are_not_sent(
    client: Client, esg_user: Any, assessment: Assessment
) -> None:
    [invitation] = invite(assessment, "a@example.com")
    client.force_login(esg_user)
    response = client.post(f"{invitations_url(assessment)}{invitation.pk}/resend/")
    assert response.status_code == 409
    assert not mail.outbox


def test_a_revoked_invitation_is_listed_as_revoked_and_its_link_stops(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    first, second = invite(open_assessment, "a@example.com", "b@example.com")
    client.force_login(esg_user)
    url = f"{invitations_url(open_assessment)}{first.pk}/revoke/"
    assert client.post(url).json()["status"] == "revoked"
    assert client.post(url).status_code == 409
    [entry] = AuditEntry.objects.filter(
        assessment=open_assessment, action=AuditAction.INVITATION_REVOKED
    )
    assert entry.actor == esg_user
    assert "a@example.com" not in str(entry.details)
    revoked = client.get(invitations_url(open_assessment), {"status": "revoked"}).json()
    assert [row["id"] for row in revoked["results"]] == [first.pk]
    waiting = client.get(invitations_url(open_assessment), {"status": "not_sent"}).json()
    assert [row["id"] for row in waiting["results"]] == [second.pk]
    assert client.get(invitations_url(open_assessment), {"status": "x"}).status_code == 400


def test_invitations_filter_by_group(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    invitations_import(
        assessment=open_assessment,
        table=[["email", "group"], ["a@example.com", "customers"], ["b@example.com", "media"]],
    )
    client.force_login(esg_user)
    rows = client.get(invitations_url(open_assessment), {"group": "media"}).json()["results"]
    assert [row["email"] for row in rows] == ["b@example.com"]


# Session, user and permissions (4); the assessment, the count, the page, the group names.
LIST_QUERIES = 4 + 4


@pytest.mark.parametrize("rows", [2, 7])
def test_the_invitation_list_takes_a_fixed_number_of_queries(
    rows: int,
    client: Client,
    esg_user: Any,
    open_assessment: Assessment,
    django_assert_num_queries: Any,
) -> None:
    invite(open_assessment, *(f"p{n}@example.com" for n in range(rows)))
    client.force_login(esg_user)
    with django_assert_num_queries(LIST_QUERIES):
        body = client.get(invitations_url(open_assessment)).json()
    assert body["count"] == rows


@pytest.mark.parametrize("rows", [1, 4])
def test_the_link_list_takes_a_fixed_number_of_queries(
    rows: int,
    client: Client,
    esg_user: Any,
    open_assessment: Assessment,
    django_assert_num_queries: Any,
) -> None:
    for _n in range(rows):
        customers_link(open_assessment)
    client.force_login(esg_user)
    with django_assert_num_queries(LIST_QUERIES):
        body = client.get(links_url(open_assessment)).json()
    assert body["count"] == rows
