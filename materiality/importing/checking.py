"""Checking every row of a reply sheet against a mapping before anything is stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from materiality.importing.context import ImportContext, ReplySheet
from materiality.importing.duplicates import already_imported_message
from materiality.importing.mapping import INTERNAL, LEAVE_OUT, ReplyMapping
from materiality.importing.reading import Rating, RatingReader, parse_duration
from materiality.importing.recognition import SKIPPED_VALUES, value_key
from materiality.importing.tables import cell_text

MAX_REPORTED_ERRORS = 500
REFERENCE_MAX_LENGTH = 200  # Response.source_reference


# --- Checking every row ---------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the column's letter and header; "" for the row as a whole
    value: str
    message: str

    def text(self) -> str:
        """The mistake in one line, for a command's output or an API answer."""
        if not self.column:
            return _("Row %(line)s: %(message)s") % {"line": self.line, "message": self.message}
        return _("Row %(line)s, column %(column)s, value “%(value)s”: %(message)s") % {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass(frozen=True)
class CellRating:
    topic: str
    axis: str
    value: int | None
    dont_know: bool


@dataclass(frozen=True)
class ReplyRow:
    line: int
    reference: str
    group: str
    internal: bool
    duration: int | None
    ratings: tuple[CellRating, ...]


@dataclass
class ReplyCheck:
    rows: list[ReplyRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Rows whose group value the user chose to leave out.
    left_out: list[RowError] = field(default_factory=list)
    # Rows whose reference the assessment holds already: reported, not stored again.
    already_imported: list[RowError] = field(default_factory=list)
    skip_errors: bool = False

    @property
    def error_lines(self) -> list[int]:
        return sorted({error.line for error in self.errors})

    @property
    def storable(self) -> bool:
        """All or nothing, unless the user chose to skip the rows with errors."""
        return bool(self.rows) and (self.skip_errors or not self.errors)


def default_reference(file_name: str, line: int) -> str:
    suffix = f":{line}"
    return file_name[: REFERENCE_MAX_LENGTH - len(suffix)] + suffix


def _problem_recorder(
    sheet: ReplySheet, line: int, problems: list[RowError]
) -> Callable[[int | None, str, str], None]:
    def problem(column: int | None, value: str, message: str) -> None:
        label = "" if column is None else sheet.label(column)
        problems.append(RowError(line, label, value, message))

    return problem


PROGRESS_ROWS = 5_000  # rows checked between two reports to `on_rows`


def replies_check(
    sheet: ReplySheet,
    *,
    context: ImportContext,
    mapping: ReplyMapping,
    file_name: str,
    on_rows: Callable[[int], None] | None = None,
) -> ReplyCheck:
    """Check every row against the mapping; store nothing. Rows without problems are
    returned ready to store, the others as one RowError per problem. `on_rows` is told
    the number of rows checked every PROGRESS_ROWS rows."""
    if mapping.group_column is None:
        raise ValueError("A mapping to check replies needs a group column.")
    check = ReplyCheck(skip_errors=mapping.skip_errors)
    lookup = context.group_lookup()
    groups = {group.code: group for group in context.groups}
    reader = RatingReader(context, mapping.scale)
    references: dict[str, int] = {}
    # One CellRating per (column, rating): a file of 100,000 replies holds a few hundred
    # distinct ones, not 3.4 million (memory, and the store builds its answers per one).
    cell_ratings: dict[tuple[int, Rating], CellRating] = {}
    by_text: dict[str, Rating | str] = {}  # a cell's text → what the reader made of it
    for count, (line, cells) in enumerate(sheet.rows, start=1):
        if on_rows is not None and count % PROGRESS_ROWS == 0:
            on_rows(count)
        problems: list[RowError] = []
        problem = _problem_recorder(sheet, line, problems)
        group_raw = cell_text(cells, mapping.group_column)
        group_key = value_key(group_raw)
        target = mapping.group_read(group_key, lookup)
        if target == LEAVE_OUT:
            check.left_out.append(
                RowError(
                    line,
                    sheet.label(mapping.group_column),
                    group_raw,
                    _("Left out: you chose not to import rows with this group."),
                )
            )
            continue
        group = groups.get(target or "")
        if not group_key:
            problem(mapping.group_column, group_raw, _("The stakeholder group is missing."))
        elif group is None:
            problem(
                mapping.group_column,
                group_raw,
                _(
                    "“%(value)s” is not a stakeholder group of this assessment: map it to "
                    "a group or fix the file."
                )
                % {"value": group_raw},
            )
        reference = mapping.reference_prefix + (
            cell_text(cells, mapping.reference_column) or default_reference(file_name, line)
        )
        if reference in context.existing_references:
            # Imported before (an earlier file, or this one with other rows): the row is
            # not stored again, whatever else it holds, and does not stop the others.
            check.already_imported.append(
                RowError(
                    line,
                    ""
                    if mapping.reference_column is None
                    else sheet.label(mapping.reference_column),
                    reference,
                    already_imported_message(),
                )
            )
            references.setdefault(reference, line)
            continue
        internal = group.internal if group is not None else False
        side_raw = cell_text(cells, mapping.side_column)
        side_key = value_key(side_raw)
        side = mapping.side_read(side_key)
        if side is not None:
            internal = side == INTERNAL
        elif side_key not in SKIPPED_VALUES:
            problem(
                mapping.side_column,
                side_raw,
                _("“%(value)s” is neither internal nor external.") % {"value": side_raw},
            )
        if len(reference) > REFERENCE_MAX_LENGTH:
            problem(
                mapping.reference_column,
                reference,
                _("The reference is longer than %(max)d characters.")
                % {"max": REFERENCE_MAX_LENGTH},
            )
        elif reference in references:
            problem(
                mapping.reference_column,
                reference,
                _("Same reference as row %(line)d.") % {"line": references[reference]},
            )
        references.setdefault(reference, line)
        duration_raw = cell_text(cells, mapping.duration_column)
        duration = None
        try:
            duration = parse_duration(duration_raw)
        except ValueError:
            problem(
                mapping.duration_column,
                duration_raw,
                _("“%(value)s” is not a duration in seconds.") % {"value": duration_raw},
            )
        ratings: list[CellRating] = []
        unreadable = False
        for index, cell in enumerate(mapping.cells):
            raw = cell_text(cells, cell.column)
            rating = by_text.get(raw)
            if rating is None:
                rating = reader.read(value_key(raw))
                if len(by_text) < 10_000:  # a rating column holds a handful of values
                    by_text[raw] = rating
            if isinstance(rating, str):
                problem(cell.column, raw, rating)
                unreadable = True
            elif not rating.skipped:  # no answer: nothing to store
                known = cell_ratings.get((index, rating))
                if known is None:
                    known = CellRating(cell.topic, cell.axis, rating.value, rating.dont_know)
                    cell_ratings[(index, rating)] = known
                ratings.append(known)
        if not unreadable and all(rating.value is None for rating in ratings):
            problem(None, "", _("The row has no rating: every topic is empty or “don't know”."))
        if problems:
            check.errors.extend(problems)
        elif group is not None:
            check.rows.append(
                ReplyRow(line, reference, group.code, internal, duration, tuple(ratings))
            )
    return check
