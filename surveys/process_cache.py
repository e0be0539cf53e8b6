"""What a process keeps of surveys that left the draft state: their questions cannot
change any more (every editing service refuses then), so what is built from them can be
built once per process, keyed by the survey's last change, and shared by every request."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class KeptPerProcess(Generic[V]):
    """At most `size` values, the least recently used going first; thread-safe. A value
    is built outside the lock: two threads asking at once may both build it, the same."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
                return value
        value = build()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value
