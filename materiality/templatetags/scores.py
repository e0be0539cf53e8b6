"""Presentation of scores: rounding happens here, never in the stored values."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def score(value: Any, places: int = 2) -> str:
    """A mean or bound rounded for display; an en dash when there is none."""
    if value is None or value == "":
        return "–"
    return f"{float(value):.{int(places)}f}"


@register.filter
def percent(value: Any) -> str:
    if value is None:
        return "–"
    return f"{round(float(value) * 100)}%"
