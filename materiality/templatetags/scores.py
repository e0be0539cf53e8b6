"""Presentation of scores: rounding happens here, never in the stored values."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from materiality.models import AggregationRun
from materiality.runs.describing import confidence_text, variant_name
from materiality.scoring import Params

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


@register.filter
def interval_level(source: Any) -> str:
    """The confidence level of the intervals shown, "95%": of a run (the level it was
    computed with, whatever the settings are now) or a level itself. Headings and
    legends print it, so that an interval is never labelled with a level it lacks."""
    if isinstance(source, AggregationRun):
        source = Params.from_dict((source.options or {}).get("params", {})).confidence
    return confidence_text(source)


@register.filter
def split_pairs(value: str) -> list[tuple[str, str]]:
    """ "a:A,b:B" -> [("a", "A"), ("b", "B")], for short fixed lists in templates."""
    return [tuple(item.split(":", 1)) for item in value.split(",")]  # type: ignore[misc]


@register.filter
def variant_label(key: str) -> str:
    """A readable name for a sensitivity variant key, in the words of the settings."""
    return variant_name(key)


@register.filter
def tier_label(tier: str) -> str:
    """A tier code ("high", "medium", "low") in the reader's language."""
    labels = {
        "high": gettext("high (both axes)"),
        "medium": gettext("medium (one axis)"),
        "low": gettext("low"),
    }
    return labels.get(tier, tier)
