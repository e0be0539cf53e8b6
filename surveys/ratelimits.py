"""Fixed-window counters in the shared cache (Redis in production), for limits such as
"responses per address per day". The cache's add/incr are atomic, so concurrent
requests across processes are counted exactly once each."""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key` in the current window; False once `limit` is exceeded."""
    if limit <= 0:
        return True
    window = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{key}:{window}"
    if cache.add(cache_key, 1, timeout=window_seconds + 60):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this hit starts a new count
        cache.add(cache_key, 1, timeout=window_seconds + 60)
        return True
    return count <= limit
