from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission

from materiality.roles import ROLE_PERMISSIONS, Role, has_role, sync_roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def permissions_of(role: Role) -> set[str]:
    group = Group.objects.get(name=role.value)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


@pytest.mark.parametrize("role", list(Role))
def test_each_role_exists_after_migrate_with_exactly_its_permissions(role: Role) -> None:
    assert permissions_of(role) == set(ROLE_PERMISSIONS[role])


def test_syncing_again_removes_a_permission_granted_by_hand() -> None:
    group = Group.objects.get(name=Role.DECISION_GROUP.value)
    group.permissions.add(Permission.objects.get(codename="change_topic"))
    sync_roles()
    assert "materiality.change_topic" not in permissions_of(Role.DECISION_GROUP)


def test_role_members_have_the_role_and_others_do_not(
    esg_user: Any, decider_user: Any, outsider_user: Any
) -> None:
    assert has_role(esg_user, Role.ESG_TEAM)
    assert not has_role(esg_user, Role.DECISION_GROUP)
    assert has_role(decider_user, Role.DECISION_GROUP)
    assert not has_role(outsider_user, Role.ESG_TEAM)
    assert not has_role(AnonymousUser(), Role.ESG_TEAM)


def test_role_members_may_read_the_vocabulary_but_not_change_it(
    esg_user: Any, decider_user: Any
) -> None:
    for user in (esg_user, decider_user):
        assert user.has_perm("materiality.view_topic")
        assert not user.has_perm("materiality.change_topic")
        assert not user.is_staff


def test_an_outsider_has_no_permission() -> None:
    outsider = UserFactory()
    assert not outsider.has_perm("materiality.view_topic")
