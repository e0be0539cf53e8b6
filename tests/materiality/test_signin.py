"""Failed sign-ins are limited per address and name, and per address, on the sign-in
page, the admin's and the API's Basic authentication (materiality/signin.py)."""

from __future__ import annotations

import base64
import threading
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.test.utils import override_settings
from django.urls import reverse

from materiality.signin import signin_attempt
from tests.conftest import RatelimitClock
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
HERE, ELSEWHERE = "198.51.100.7", "203.0.113.9"


def sign_in(
    client: Client, username: str, password: str, address: str = HERE, language: str = "en"
) -> Any:
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@override_settings(SIGNIN_FAILURE_LIMIT=3)
def test_after_the_limit_even_the_right_password_waits_for_the_window(client: Client) -> None:
    user = UserFactory(username="alice")
    for _ in range(3):
        refused = sign_in(client, "alice", "wrong")
        assert refused.status_code == 200
        assert "correct username and password" in refused.content.decode()

    blocked = sign_in(client, "alice", PASSWORD)

    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert "Too many failed sign-ins from this address" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address, and another name from this one, are not held back.
    assert sign_in(Client(), "alice", PASSWORD, ELSEWHERE).status_code == 302
    UserFactory(username="bob")
    assert sign_in(Client(), "bob", PASSWORD).status_code == 302
    assert user.pk is not None


@override_settings(SIGNIN_FAILURE_LIMIT=2)
def test_the_message_is_in_the_users_language(client: Client) -> None:
    UserFactory(username="alice")
    for _ in range(2):
        sign_in(client, "alice", "wrong")

    blocked = sign_in(client, "alice", PASSWORD, language="zh-hans")

    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.content.decode()


@override_settings(SIGNIN_FAILURE_LIMIT=2, SIGNIN_WINDOW_SECONDS=900)
def test_a_new_window_lets_the_address_sign_in_again(
    client: Client, ratelimit_clock: RatelimitClock
) -> None:
    UserFactory(username="alice")
    for _ in range(2):
        sign_in(client, "alice", "wrong")
    ratelimit_clock.advance(899)  # the last second of the window

    blocked = sign_in(client, "alice", PASSWORD)

    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "1"
    ratelimit_clock.advance(1)  # the next window
    assert sign_in(client, "alice", PASSWORD).status_code == 302


@override_settings(SIGNIN_FAILURE_LIMIT=100, SIGNIN_ADDRESS_FAILURE_LIMIT=4)
def test_names_sprayed_from_one_address_are_limited_too(client: Client) -> None:
    UserFactory(username="alice")
    for name in ("ann", "ben", "cai", "dan"):
        sign_in(client, name, "guess")
    assert sign_in(client, "alice", PASSWORD).status_code == 429
    assert sign_in(Client(), "alice", PASSWORD, ELSEWHERE).status_code == 302


@override_settings(SIGNIN_FAILURE_LIMIT=2)
def test_the_admin_sign_in_counts_and_refuses_with_the_reason(client: Client) -> None:
    UserFactory(username="root", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(2):
        client.post(url, {"username": "root", "password": "wrong"}, REMOTE_ADDR=HERE)

    blocked = client.post(
        url, {"username": "root", "password": PASSWORD}, REMOTE_ADDR=HERE, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "Too many failed sign-ins from this address" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.fixture
def basic_switched_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """API_BASIC_AUTH=true, for the view under test: DRF reads the schemes into each
    view class when it is defined, so a settings override would come too late."""
    from rest_framework.authentication import SessionAuthentication

    from materiality.api.authentication import ApiTokenAuthentication
    from materiality.api.vocabulary import TopicViewSet
    from materiality.signin import LimitedBasicAuthentication

    monkeypatch.setattr(
        TopicViewSet,
        "authentication_classes",
        [ApiTokenAuthentication, SessionAuthentication, LimitedBasicAuthentication],
    )


@override_settings(SIGNIN_FAILURE_LIMIT=2)
@pytest.mark.usefixtures("basic_switched_on")
def test_the_api_answers_429_in_json_once_basic_authentication_failed_too_often(
    client: Client, esg_user: Any
) -> None:
    esg_user.set_password(PASSWORD)
    esg_user.save()
    name = esg_user.get_username()
    assert (
        client.get("/api/topics/", HTTP_AUTHORIZATION=basic(name, PASSWORD), REMOTE_ADDR=HERE)
    ).status_code == 200
    for _ in range(2):
        wrong = client.get("/api/topics/", HTTP_AUTHORIZATION=basic(name, "x"), REMOTE_ADDR=HERE)
        assert wrong.status_code in (401, 403)

    blocked = client.get(
        "/api/topics/",
        HTTP_AUTHORIZATION=basic(name, PASSWORD),
        REMOTE_ADDR=HERE,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert blocked.status_code == 429
    assert blocked["Content-Type"] == "application/problem+json"
    assert int(blocked["Retry-After"]) > 0
    detail = blocked.json()["detail"]
    assert detail.startswith("Too many failed sign-ins")
    assert detail.endswith("new password.")  # nothing appended (DRF's "Expected available …")
    # The failures on the API count for the sign-in page as well: it is one password.
    assert sign_in(client, name, PASSWORD).status_code == 429


@override_settings(SIGNIN_FAILURE_LIMIT=3)
def test_every_spelling_of_a_name_shares_its_count(client: Client) -> None:
    UserFactory(username="alice")
    for _ in range(3):
        sign_in(client, "alice", "wrong")
    # Django signs these in as alice (spaces stripped, NFKC), so they are alice's count.
    for spelling in ("alice ", " Alice", "\uff41\uff4c\uff49\uff43\uff45"):
        assert sign_in(client, spelling, PASSWORD).status_code == 429, spelling


@override_settings(SIGNIN_FAILURE_LIMIT=3)
def test_successful_sign_ins_are_not_counted(client: Client) -> None:
    UserFactory(username="alice")
    for _ in range(2):
        sign_in(client, "alice", "wrong")
    for _ in range(5):  # each would be refused if it stayed counted
        assert sign_in(Client(), "alice", PASSWORD).status_code == 302


@override_settings(SIGNIN_FAILURE_LIMIT=5)
def test_simultaneous_attempts_cannot_all_slip_under_the_limit() -> None:
    request = RequestFactory().post("/", REMOTE_ADDR=HERE)
    allowed: list[bool] = []
    start = threading.Barrier(20)

    def attempt() -> None:
        start.wait()
        allowed.append(signin_attempt(request, "alice") is not None)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 5


@override_settings(SIGNIN_FAILURE_LIMIT=2)
def test_an_ipv6_client_counts_as_its_64_network(client: Client) -> None:
    UserFactory(username="alice")
    sign_in(client, "alice", "wrong", "2001:db8:1:2::10")
    sign_in(client, "alice", "wrong", "2001:db8:1:2:ffff::99")
    assert sign_in(client, "alice", PASSWORD, "2001:db8:1:2::abcd").status_code == 429
    assert sign_in(Client(), "alice", PASSWORD, "2001:db8:1:3::10").status_code == 302


@override_settings(SIGNIN_FAILURE_LIMIT=2)
def test_a_request_without_an_address_is_still_counted_by_name(client: Client) -> None:
    UserFactory(username="alice")
    for _ in range(2):
        sign_in(client, "alice", "wrong", address="")
    assert sign_in(client, "alice", PASSWORD, address="").status_code == 429


def test_signing_in_works_while_the_cache_is_down(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    UserFactory(username="alice")
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with override_settings(CACHES=unreachable):
        assert sign_in(client, "alice", PASSWORD).status_code == 302
    assert "Rate limit 'signin' not applied" in caplog.text
