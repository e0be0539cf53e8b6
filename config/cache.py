"""Django's Redis cache with one Redis client per connection pool.

Django's client makes a new `redis.Redis` for every cache call, and making one copies
the table of some two hundred reply parsers: about 0.15 ms, close to what a fast command
costs in all. A respondent's start and submit make five such calls (the group link's
limits). A Redis client takes a connection from its pool only while a command runs and
may be shared between threads (redis-py's documentation), so one per pool serves them
all; after a lost connection the pool opens a new one, as before.
"""

from __future__ import annotations

from typing import Any

import redis
from django.core.cache.backends import redis as django_redis


class _KeptClients(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        # Django's own helpers, which its stubs do not declare.
        index: int = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _KeptClients
