"""The API's request rates (`throttle_scope` with `DEFAULT_THROTTLE_RATES`), counted in
the shared cache: DRF's scoped throttle, except that while the cache cannot be reached
the rate is not applied rather than the request refused. DRF reads the cache unguarded,
and a stopped or hung Redis answered every public call with a 500; the pages' limits
already go on without their counters (surveys/ratelimits.py), and this goes through the
same guard: each such request logs `Rate limit 'api-<scope>' not applied: the cache
cannot be reached`. Every API view that throttles names this class.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from surveys.ratelimits import if_reachable


class ScopedThrottle(ScopedRateThrottle):
    def allow_request(self, request: Request, view: Any) -> bool:
        with if_reachable(f"api-{getattr(view, self.scope_attr, '')}"):
            return super().allow_request(request, view)
        return True  # the cache cannot be reached: the rate is not applied
