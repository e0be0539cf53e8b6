"""Who may call what: each view names the Django permission each of its actions needs.

The roles (materiality.roles) are groups holding exactly those permissions, and
administrators hold them all, so the API and the pages decide alike. An action a view
does not list is refused: forgetting to list one closes it rather than opens it.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

ANY_ACTION = "*"


class ActionPermission(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False  # DRF answers 401 (with WWW-Authenticate) for a caller not signed in
        if not _handles(view, request):
            return True  # DRF answers 405 Method Not Allowed, as for everyone signed in
        needed = required_permission(view)
        return needed is not None and user.has_perm(needed)


def _handles(view: Any, request: Request) -> bool:
    """Whether the view has a handler for the request's method."""
    if hasattr(view, "action_map"):  # a viewset: action is None for an unmapped method
        return getattr(view, "action", None) is not None
    return hasattr(view, (request.method or "").lower())


def required_permission(view: Any) -> str | None:
    table: dict[str, str] = getattr(view, "action_permissions", {})
    action = getattr(view, "action", None) or (view.request.method.lower() if view.request else "")
    if action in ("metadata", "options"):  # OPTIONS describes the fields: a read
        action = next((a for a in ("list", "retrieve", "get") if a in table), action)
    return table.get(action) or table.get(ANY_ACTION)
