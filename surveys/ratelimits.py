"""Fixed-window counters in the shared cache (Redis in production), for limits such as
"responses per address per day". The cache's add/incr are atomic, so concurrent
requests across processes are counted exactly once each.

When the cache cannot be reached the limits are off, not the site: a reader's feedback
or a respondent's start is not refused, nor a team's sign-in, for want of a counter.
Each time it happens an error is logged, for the operator to see.

Windows are measured by one clock, `now`: tests replace it (the `ratelimit_clock`
fixture) to stand still inside a window or move to the next one without waiting.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

from surveys.tokens import client_digest

logger = logging.getLogger(__name__)


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key` in the current window; False once `limit` is exceeded."""
    if limit <= 0:
        return True
    return hit(key, window_seconds=window_seconds) <= limit


def hit(key: str, *, window_seconds: int) -> int:
    """Count one hit for `key` in the current window; the window's count with it (0 when
    the cache cannot be reached: nothing counted, nothing refused)."""
    cache_key = _window_key(key, window_seconds)
    with if_reachable(key):
        if cache.add(cache_key, 1, timeout=window_seconds + 60):
            return 1
        try:
            count: int = cache.incr(cache_key)
        except ValueError:  # expired between add and incr: this hit starts a new count
            cache.add(cache_key, 1, timeout=window_seconds + 60)
            return 1
        return count
    return 0


def counts(keys: list[str], *, window_seconds: int) -> list[int]:
    """The hits counted for each of `keys` in the current window, counting none, in one
    round trip (all 0 when the cache cannot be reached)."""
    if not keys:
        return []
    window_keys = [_window_key(key, window_seconds) for key in keys]
    with if_reachable(keys[0]):
        found = cache.get_many(window_keys)
        return [int(found.get(key) or 0) for key in window_keys]
    return [0] * len(keys)


def unhit(key: str, *, window_seconds: int) -> None:
    """Give back a hit counted by `hit` (it turned out not to count)."""
    with if_reachable(key), contextlib.suppress(ValueError):  # the window ended: count gone
        cache.decr(_window_key(key, window_seconds))


@contextlib.contextmanager
def if_reachable(key: str) -> Iterator[None]:
    """Runs the block, which counts for the limit of `key` in the cache; when the cache
    cannot be reached the block stops there, an error is logged, and the code after the
    block goes on with the limit off. The API's throttles go through it too
    (materiality/api/throttling.py)."""
    try:
        yield
    except RedisError:
        scope = key.split(":", 1)[0]  # the limit's name; the rest may identify a client
        logger.error("Rate limit %r not applied: the cache cannot be reached", scope, exc_info=True)


def now() -> float:
    """The time the windows are measured by, in seconds since the epoch: the wall clock."""
    return time.time()


def seconds_left(window_seconds: int) -> int:
    """Whole seconds until the current window ends (at least 1), e.g. for Retry-After."""
    return max(1, int(window_seconds - now() % window_seconds))


def _window_key(key: str, window_seconds: int) -> str:
    return f"ratelimit:{key}:{int(now() // window_seconds)}"


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the
    address the outermost of them saw (the only X-Forwarded-For entry not forgeable)."""
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return str(request.META.get("REMOTE_ADDR", ""))


def client_hash(request: HttpRequest, scope: str) -> str:
    """A keyed digest of the client's address for the rate limits of `scope`: enough to
    count requests from one place without storing the address."""
    address = client_place(client_address(request))
    return client_digest(address, f"{settings.SECRET_KEY}:{scope}") if address else ""


def client_place(address: str) -> str:
    """What a limit counts as one place: an IPv4 address, or an IPv6 address's /64
    network (one host or home is given a whole /64, and picks any address in it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
