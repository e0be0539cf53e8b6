"""The demo that `make run` loads: users for each role (and, as the product grows,
an assessment with replies). Idempotent: running it again changes nothing that exists."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from materiality.roles import Role, sync_roles


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role | None  # None: administrator (superuser)
    description: str


DEMO_ACCOUNTS = (
    DemoAccount("admin", None, "administrator (Django admin)"),
    DemoAccount("esg", Role.ESG_TEAM, "ESG team member"),
    DemoAccount("decider", Role.DECISION_GROUP, "ESG decision group member"),
)


@dataclass(frozen=True)
class CreatedAccount:
    account: DemoAccount
    password: str | None  # None when the account already existed and was left alone


@transaction.atomic
def demo_accounts_ensure(*, reset_passwords: bool = False) -> list[CreatedAccount]:
    """Create the demo accounts that are missing; new (or reset) passwords are returned
    so they can be shown once, and are never stored anywhere in clear."""
    sync_roles()
    user_model = get_user_model()
    result = []
    for account in DEMO_ACCOUNTS:
        user, created = user_model.objects.get_or_create(username=account.username)
        password = None
        if created or reset_passwords:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_staff = account.role is None
            user.is_superuser = account.role is None
            user.save()
        if account.role is not None:
            user.groups.add(Group.objects.get(name=account.role.value))
        result.append(CreatedAccount(account, password))
    return result
