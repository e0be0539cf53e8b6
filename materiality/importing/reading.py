"""Reading a sheet's values: ratings on the sheet's scale, durations, distinct values."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext as _

from materiality.importing.context import ImportContext, ReplySheet, distinct_values
from materiality.importing.mapping import DONT_KNOW, REJECT, SKIPPED, ScaleMapping, ScaleMode
from materiality.importing.recognition import (
    DONT_KNOW_VALUES,
    SKIPPED_VALUES,
    number_value,
    value_key,
)

MAX_LISTED_VALUES = 60
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})$")
_SECONDS = re.compile(
    r"^(?:(\d+)\s*(?:分钟|分|min|mins|minutes?)\s*)?"
    r"(?:(\d+(?:\.\d+)?)\s*(?:秒钟|秒|s|sec|secs|seconds?)?)?$"
)


# --- Reading values -------------------------------------------------------------------


@dataclass(frozen=True)
class Rating:
    value: int | None = None
    dont_know: bool = False
    skipped: bool = False  # not answered: stored as no answer at all


class RatingReader:
    """Turns cell values into ratings of the assessment's scale, remembering each value
    it has read (a file holds a handful of distinct values in thousands of cells)."""

    def __init__(self, context: ImportContext, scale: ScaleMapping) -> None:
        self.low, self.high = context.scale_min, context.scale_max
        self.scale = scale
        self.labels: dict[str, int] = {}
        for level, texts in context.scale_labels.items():
            for text in texts.values():
                if text.strip():
                    self.labels.setdefault(value_key(text), int(level))
        self._read: dict[str, Rating | str] = {}

    def read(self, key: str) -> Rating | str:
        """The rating for a value key, or what is wrong with it."""
        if key not in self._read:
            self._read[key] = self._explicit(key) or self.automatic(key)
        return self._read[key]

    def _explicit(self, key: str) -> Rating | str | None:
        choice = self.scale.values.get(key)
        if not choice:
            return None
        if choice == DONT_KNOW:
            return Rating(dont_know=True)
        if choice == SKIPPED:
            return Rating(skipped=True)
        if choice == REJECT:
            return _("Refused by your value mapping.")
        return Rating(value=int(choice))

    def automatic(self, key: str) -> Rating | str:
        if key in DONT_KNOW_VALUES:
            return Rating(dont_know=True)
        number = number_value(key)
        if key in SKIPPED_VALUES and not self._in_source_scale(number):
            return Rating(skipped=True)
        if key in self.labels:
            return Rating(value=self.labels[key])
        if number is None:
            return _("Not a number, a label of the scale or “don't know”.")
        if self.scale.mode == ScaleMode.LINEAR:
            return self._linear(number)
        if self.scale.mode == ScaleMode.OPTION_NUMBER:
            return self._option(number)
        if not self.low <= number <= self.high:
            if number == self.high + 1:
                # What a survey tool's export "by option number" gives for a sixth option.
                return _(
                    "Outside the scale %(low)d–%(high)d. If the file numbers the options, "
                    "%(next)d is likely “don't know”: choose “option numbers” as the scale "
                    "above, or read this value as “don't know” below."
                ) % {"low": self.low, "high": self.high, "next": self.high + 1}
            return _("Outside the scale %(low)d–%(high)d.") % {
                "low": self.low,
                "high": self.high,
            }
        if number != int(number):
            return _("Not a whole level of the scale %(low)d–%(high)d.") % {
                "low": self.low,
                "high": self.high,
            }
        return Rating(value=int(number))

    def _in_source_scale(self, number: Fraction | None) -> bool:
        """-2 is a level of a linear scale from -3 to 3, not a survey tool's "skipped"."""
        return (
            number is not None
            and self.scale.mode == ScaleMode.LINEAR
            and self.scale.source_min <= number <= self.scale.source_max
        )

    def _linear(self, number: Fraction) -> Rating | str:
        low, high = self.scale.source_min, self.scale.source_max
        if not low <= number <= high:
            return _("Outside the file's scale %(low)d–%(high)d.") % {"low": low, "high": high}
        position = self.low + (number - low) * (self.high - self.low) / (high - low)
        # Exact arithmetic, halves rounded up: 1–3 onto 1–5 sends 2 to 3, every time.
        return Rating(value=math.floor(position + Fraction(1, 2)))

    def _option(self, number: Fraction) -> Rating | str:
        levels = self.high - self.low + 1
        if number == levels + 1:
            return Rating(dont_know=True)
        if number != int(number) or not 1 <= number <= levels:
            return _(
                "Not an option number: options 1–%(levels)d are the levels, %(next)d is "
                "“don't know”."
            ) % {"levels": levels, "next": levels + 1}
        return Rating(value=self.low + int(number) - 1)


def parse_duration(text: str) -> int | None:
    """Seconds from "95", "95 s", "95秒", "1:35", "00:01:35" or "1分35秒"; None if empty.
    Raises ValueError for anything else."""
    key = value_key(text)
    if not key:
        return None
    clock = _CLOCK.match(key)
    if clock:
        hours, minutes, seconds = (int(part or 0) for part in clock.groups())
        return hours * 3600 + minutes * 60 + seconds
    match = _SECONDS.match(key)
    if match is None or not any(match.groups()):
        raise ValueError(key)
    minutes_text, seconds_text = match.groups()
    total = int(minutes_text or 0) * 60 + float(seconds_text or 0)
    return round(total)


@dataclass(frozen=True)
class ValueCount:
    key: str
    shown: str  # the value as first spelt in the file
    count: int


def column_values(
    sheet: ReplySheet, columns: Iterable[int], limit: int = MAX_LISTED_VALUES
) -> tuple[list[ValueCount], int]:
    """The distinct values of some columns (the most frequent `limit`, numbers first in
    order, then text) and how many distinct values there are in all."""
    found = distinct_values(sheet, list(columns))
    common = sorted(found, key=lambda item: -item[2])[:limit]

    def order(item: tuple[str, str, int]) -> tuple[int, Fraction, str]:
        number = number_value(item[0])
        return (0, number, "") if number is not None else (1, Fraction(0), item[0])

    return [ValueCount(*item) for item in sorted(common, key=order)], len(found)
