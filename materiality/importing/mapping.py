"""The mapping from a reply sheet's columns to the questionnaire, and its suggestion."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from materiality.importing.context import ImportContext, ReplySheet, distinct_values
from materiality.importing.recognition import (
    COMPANY_WORDS,
    COMPANY_WORDS_ZH,
    DURATION_HEADERS,
    EXTERNAL_VALUES,
    INTERNAL_VALUES,
    REFERENCE_HEADERS,
    REPLY_GROUP_HEADERS,
    SIDE_HEADERS,
    STAKEHOLDER_WORDS,
    STAKEHOLDER_WORDS_ZH,
    header_in,
    number_value,
    spaced_text,
    value_key,
    without_phrase,
)
from materiality.importing.tables import cell_text
from materiality.models import (
    AXES,
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
)

# Targets of an explicit value mapping besides a level or a group code.
DONT_KNOW = "dont-know"
REJECT = "reject"
LEAVE_OUT = "leave-out"


# --- The mapping ----------------------------------------------------------------------


class ScaleMode(StrEnum):
    SAME = "same"  # the file's numbers are levels of the assessment's scale
    LINEAR = "linear"  # the file's scale source_min–source_max is stretched onto it


@dataclass(frozen=True)
class ScaleMapping:
    mode: ScaleMode = ScaleMode.SAME
    source_min: int = 1
    source_max: int = 5
    # Explicit choices per value key: a level ("4"), DONT_KNOW or REJECT. They win over
    # the automatic rules (don't-know words, the scale's labels, numbers).
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CellColumn:
    topic: str
    axis: str
    column: int


@dataclass(frozen=True)
class ReplyMapping:
    """Which column holds what, and how values are read. Plain data: it is kept as JSON
    with the upload so that a Celery worker can run the import from the id alone."""

    group_column: int | None = None
    side_column: int | None = None
    reference_column: int | None = None
    duration_column: int | None = None
    cells: tuple[CellColumn, ...] = ()
    # Group column value key → a group code, or LEAVE_OUT (those rows are not imported).
    group_values: Mapping[str, str] = field(default_factory=dict)
    scale: ScaleMapping = field(default_factory=ScaleMapping)
    skip_errors: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scale"]["mode"] = str(self.scale.mode)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReplyMapping:
        scale = dict(data.get("scale") or {})
        return cls(
            group_column=data.get("group_column"),
            side_column=data.get("side_column"),
            reference_column=data.get("reference_column"),
            duration_column=data.get("duration_column"),
            cells=tuple(CellColumn(**cell) for cell in data.get("cells", ())),
            group_values=dict(data.get("group_values") or {}),
            scale=ScaleMapping(
                mode=ScaleMode(scale.get("mode", ScaleMode.SAME)),
                source_min=int(scale.get("source_min", 1)),
                source_max=int(scale.get("source_max", 5)),
                values=dict(scale.get("values") or {}),
            ),
            skip_errors=bool(data.get("skip_errors", False)),
        )

    def used_columns(self) -> dict[int, str]:
        """Column → what it is used for (for the overview of the file's columns)."""
        used: dict[int, str] = {}
        for column, role in (
            (self.group_column, _("stakeholder group")),
            (self.side_column, _("internal/external")),
            (self.reference_column, _("reference")),
            (self.duration_column, _("duration")),
        ):
            if column is not None:
                used[column] = str(role)
        for cell in self.cells:
            used.setdefault(cell.column, _("rating"))
        return used


def _matching_cell(header: str, context: ImportContext) -> tuple[str, str] | None:
    """The topic × axis a header names, if it names exactly one: the longest topic name
    or code (any language) found in it, then an axis word in what is left."""
    spaced = spaced_text(header)
    best: tuple[int, str, str] | None = None
    for topic in context.topics:
        for name in (*topic.name.values(), topic.code):
            rest = without_phrase(spaced, name)
            strength = len(spaced_text(name).replace(" ", ""))
            if rest is not None and (best is None or strength > best[0]):
                best = (strength, topic.code, rest)
    if best is None:
        return None
    _strength, topic_code, rest = best
    axis_words = {
        COMPANY_AXIS: (*COMPANY_WORDS, *COMPANY_WORDS_ZH),
        STAKEHOLDER_AXIS: (*STAKEHOLDER_WORDS, *STAKEHOLDER_WORDS_ZH),
    }
    found = {
        axis
        for axis, words in axis_words.items()
        if any(without_phrase(rest, word) is not None for word in words)
        or any(
            without_phrase(rest, label) is not None
            for label in context.axis_labels.get(axis, {}).values()
        )
    }
    # A header that names both axes ("importance to the company's stakeholders") is left
    # for the user to decide.
    return (topic_code, found.pop()) if len(found) == 1 else None


def _share_of_values(sheet: ReplySheet, index: int, accepted: Callable[[str], bool]) -> float:
    values = [value_key(cell_text(cells, index)) for _line, cells in sheet.rows[:200]]
    values = [value for value in values if value]
    return sum(map(accepted, values)) / len(values) if values else 0.0


def reply_mapping_suggest(sheet: ReplySheet, context: ImportContext) -> ReplyMapping:
    """A first mapping from the headers (topic names and axis words in Chinese and
    English) and, for the group and side columns, from the values. The user corrects it."""
    columns = range(sheet.width)
    taken: set[int] = set()

    def by_header(names: Sequence[str]) -> int | None:
        index = next(
            (i for i in columns if i not in taken and header_in(sheet.headers[i], names)), None
        )
        if index is not None:
            taken.add(index)
        return index

    def by_values(accepted: Callable[[str], bool], share: float) -> int | None:
        scores = [(_share_of_values(sheet, i, accepted), i) for i in columns if i not in taken]
        best = max(scores, default=(0.0, 0))
        if best[0] < share:
            return None
        taken.add(best[1])
        return best[1]

    lookup = context.group_lookup()
    group = by_header(REPLY_GROUP_HEADERS)
    if group is None:
        group = by_values(lambda key: key in lookup, 0.5)
    side = by_header(SIDE_HEADERS)
    if side is None:
        side = by_values(lambda key: key in INTERNAL_VALUES or key in EXTERNAL_VALUES, 0.9)
    reference = by_header(REFERENCE_HEADERS)
    duration = by_header(DURATION_HEADERS)
    cells: dict[tuple[str, str], int] = {}
    for index in columns:
        if index in taken:
            continue
        match = _matching_cell(sheet.headers[index], context)
        if match is not None and match not in cells:
            cells[match] = index
    ordered = tuple(
        CellColumn(topic.code, axis, cells[(topic.code, axis)])
        for topic in context.topics
        for axis in AXES
        if (topic.code, axis) in cells
    )
    return ReplyMapping(
        group_column=group,
        side_column=side,
        reference_column=reference,
        duration_column=duration,
        cells=ordered,
        scale=_suggest_scale(sheet, context, [cell.column for cell in ordered]),
    )


def _suggest_scale(
    sheet: ReplySheet, context: ImportContext, columns: Sequence[int]
) -> ScaleMapping:
    """The assessment's own scale when every number fits it, else a linear mapping from
    the range the numbers suggest (a 1–7 or 0–10 scale, say)."""
    numbers = [
        number
        for key, _shown, _count in distinct_values(sheet, columns)
        if (number := number_value(key)) is not None
    ]
    low, high = context.scale_min, context.scale_max
    if not numbers or all(low <= n <= high and n == int(n) for n in numbers):
        return ScaleMapping(ScaleMode.SAME, low, high)
    seen_low, seen_high = min(numbers), max(numbers)
    source_min = 0 if seen_low < 1 else 1
    source_max = math.ceil(seen_high)
    for common in (5, 7, 10, 100):  # a scale whose top nobody chose is still that scale
        if source_max <= common:
            source_max = common
            break
    return ScaleMapping(ScaleMode.LINEAR, min(source_min, int(seen_low)), source_max)
