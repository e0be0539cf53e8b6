"""The mapping from a reply sheet's columns to the questionnaire: which column holds what
and how its values are read (suggested by `suggesting`, corrected by the user)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from materiality.importing.recognition import (
    EXTERNAL_VALUES,
    INTERNAL_VALUES,
    value_key,
    whole_number,
)

# Targets of an explicit value mapping besides a level or a group code.
DONT_KNOW = "dont-know"
SKIPPED = "skipped"  # not answered: no rating, and not "don't know" either
REJECT = "reject"
LEAVE_OUT = "leave-out"
INTERNAL = "internal"
EXTERNAL = "external"
# The order of the side question's options in the questionnaires Materia writes.
SIDE_OPTIONS = (INTERNAL, EXTERNAL)


# --- The mapping ----------------------------------------------------------------------


class ScaleMode(StrEnum):
    SAME = "same"  # the file's numbers are levels of the assessment's scale
    LINEAR = "linear"  # the file's scale source_min–source_max is stretched onto it
    # The file numbers the options as a survey tool does (问卷星 and 腾讯问卷 "by option
    # number"): option 1 is the lowest level, and the option after the highest level is
    # "don't know", as in the questionnaire Materia writes for those tools.
    OPTION_NUMBER = "option-number"


@dataclass(frozen=True)
class ScaleMapping:
    mode: ScaleMode = ScaleMode.SAME
    source_min: int = 1
    source_max: int = 5
    # Explicit choices per value key: a level ("4"), DONT_KNOW, SKIPPED or REJECT. They
    # win over the automatic rules (don't-know words, the scale's labels, numbers).
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
    # The group question's options in the file's order, as group codes: a file that
    # numbers the options ("3") means group_options[2]. Empty: numbers are not options.
    group_options: tuple[str, ...] = ()
    # Side column value key → INTERNAL or EXTERNAL; numbers follow side_options.
    side_values: Mapping[str, str] = field(default_factory=dict)
    side_options: tuple[str, ...] = ()
    scale: ScaleMapping = field(default_factory=ScaleMapping)
    skip_errors: bool = False
    # Put before every reference: another survey's 序号 start at 1 again, and must not be
    # taken for the replies of the survey imported before.
    reference_prefix: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scale"]["mode"] = str(self.scale.mode)
        data["group_options"] = list(self.group_options)
        data["side_options"] = list(self.side_options)
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
            group_values=_keyed(data.get("group_values")),
            group_options=tuple(data.get("group_options") or ()),
            side_values=_keyed(data.get("side_values")),
            side_options=tuple(data.get("side_options") or ()),
            scale=ScaleMapping(
                mode=ScaleMode(scale.get("mode", ScaleMode.SAME)),
                source_min=int(scale.get("source_min", 1)),
                source_max=int(scale.get("source_max", 5)),
                values=_keyed(scale.get("values")),
            ),
            skip_errors=bool(data.get("skip_errors", False)),
            reference_prefix=str(data.get("reference_prefix") or ""),
        )

    def group_read(self, key: str, lookup: Mapping[str, str]) -> str | None:
        """The group code (or LEAVE_OUT) a group value stands for: the user's choice, a
        group's code or name, or an option number; None if none of these."""
        chosen = self.group_values.get(key) or lookup.get(key)
        if chosen:
            return chosen
        number = whole_number(key)
        if number is not None and 1 <= number <= len(self.group_options):
            return self.group_options[number - 1]
        return None

    def side_read(self, key: str) -> str | None:
        """INTERNAL or EXTERNAL for a side value, or None if it says neither."""
        chosen = self.side_values.get(key)
        if chosen:
            return chosen
        if key in INTERNAL_VALUES:
            return INTERNAL
        if key in EXTERNAL_VALUES:
            return EXTERNAL
        number = whole_number(key)
        if number is not None and 1 <= number <= len(self.side_options):
            return self.side_options[number - 1]
        return None

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


def _keyed(values: Mapping[str, str] | None) -> dict[str, str]:
    """Value choices keyed as cells are compared (a hand-written mapping file may say
    "Customers" for the page's "customers")."""
    return {value_key(str(key)): str(choice) for key, choice in (values or {}).items()}
