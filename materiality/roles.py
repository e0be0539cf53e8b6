"""The two working roles, as Django groups with exactly the permissions listed here.

Administrators are Django superusers/staff and work in the admin. The ESG team and the
ESG decision group work in the application; what each may do is decided by the
permissions below, so an administrator can grant a role by adding a user to its group.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import (
    AbstractBaseUser,
    AnonymousUser,
    Group,
    Permission,
    PermissionsMixin,
)
from django.db.models import Q

logger = logging.getLogger(__name__)


class Role(StrEnum):
    ESG_TEAM = "ESG team"
    DECISION_GROUP = "ESG decision group"


_VOCABULARY_READ = (
    "materiality.view_topic",
    "materiality.view_topicreference",
    "materiality.view_stakeholdergroup",
)

# Double materiality: the ESG team sets a DMA up (its register and raters); the decision
# group reads it. Raters are users assigned as `Rater.user`: they rate their own
# assignments, whatever their role, so rating needs no permission of its own here.
_DMA_READ = (
    "double.view_doubleassessment",
    "double.view_matter",
    "double.view_iro",
    "double.view_rater",
)

ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    # Builds assessments, manages their links and invitations, watches progress.
    Role.ESG_TEAM: (
        *_VOCABULARY_READ,
        "materiality.view_assessment",
        "materiality.add_assessment",
        "materiality.change_assessment",
        "materiality.submit_run",
        "materiality.view_report",
        "materiality.add_report",
        "materiality.change_report",
        *_DMA_READ,
        "double.add_doubleassessment",
        "double.change_doubleassessment",
        "double.add_matter",
        "double.add_iro",
        "double.change_iro",
        "double.add_rater",
        "double.delete_rater",
    ),
    # Reviews results and confirms them (or sends them back); changes nothing else.
    Role.DECISION_GROUP: (
        *_VOCABULARY_READ,
        "materiality.view_assessment",
        "materiality.confirm_run",
        "materiality.view_report",
        *_DMA_READ,
        "double.approve_doubleassessment",
    ),
}


def sync_roles() -> None:
    """Create the role groups and give each exactly its listed permissions (idempotent)."""
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    query = Q()
    for perm in wanted:
        app_label, codename = perm.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.filter(query).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    missing = wanted - found.keys()
    if missing:
        # Happens only while migrating to an older state, when some models don't exist yet.
        logger.warning("Role permissions not found yet: %s", ", ".join(sorted(missing)))
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set([found[perm] for perm in perms if perm in found])


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    # Once, after the last of the two apps: Django creates each app's permissions in its
    # own post_migrate turn, and `materiality.double` (listed after `materiality`) has
    # its permissions only then.
    if getattr(sender, "name", None) == "materiality.double":
        sync_roles()


def has_role(user: AbstractBaseUser | AnonymousUser, role: Role) -> bool:
    if not isinstance(user, PermissionsMixin) or not user.is_authenticated:
        return False
    return user.groups.filter(name=role.value).exists()
