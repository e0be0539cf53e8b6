from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from materiality.roles import Role, has_role

pytestmark = pytest.mark.django_db


def test_demo_creates_one_account_per_role_and_prints_each_password_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("demo")
    first = capsys.readouterr().out
    password = first.split("admin", 1)[1].split()[0]
    assert authenticate(username="admin", password=password) is not None
    user_model = get_user_model()
    assert user_model.objects.get(username="admin").is_superuser
    assert has_role(user_model.objects.get(username="esg"), Role.ESG_TEAM)
    assert has_role(user_model.objects.get(username="decider"), Role.DECISION_GROUP)

    call_command("demo")
    second = capsys.readouterr().out
    assert password not in second
    assert "(exists)" in second
    assert authenticate(username="admin", password=password) is not None


def test_demo_can_reset_the_passwords(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo")
    old = capsys.readouterr().out.split("esg", 1)[1].split()[0]
    call_command("demo", reset_passwords=True)
    new = capsys.readouterr().out.split("esg", 1)[1].split()[0]
    assert new != old
    assert authenticate(username="esg", password=new) is not None
