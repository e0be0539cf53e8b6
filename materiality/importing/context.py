"""An uploaded reply sheet and what the assessment offers to map it onto."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from materiality.importing.recognition import is_materia_export, value_key
from materiality.importing.tables import (
    MAX_ROWS,
    SpreadsheetError,
    cell_text,
    column_letter,
    limits,
)
from materiality.models import (
    AXES,
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    Assessment,
    StakeholderGroup,
    Topic,
)
from materiality.questionnaire import GROUP_QUESTION, IMPORTANCE_QUESTION, SIDE_QUESTION
from surveys.models import (
    Question,
    Response,
    ResponseSource,
)
from surveys.translations import pick

# --- The file and the assessment ------------------------------------------------------


@dataclass(frozen=True)
class ReplySheet:
    """A table of replies: its headers and its rows, each with its spreadsheet row
    number (the header is row 1). Blank rows are left out."""

    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]

    @classmethod
    def from_table(cls, table: Sequence[Sequence[str]]) -> ReplySheet:
        if not table or not any(cell.strip() for cell in table[0]):
            raise SpreadsheetError(_("The file is empty or its first row names no columns."))
        # Materia's own export names its columns twice, by code and then in words.
        labels = 2 if is_materia_export(table[0]) else None
        rows = tuple(
            (line, tuple(row))
            for line, row in enumerate(table[1:], start=2)
            if line != labels and any(cell.strip() for cell in row)
        )
        if not rows:
            raise SpreadsheetError(_("The file has a header row but no replies."))
        most = limits.current().rows  # more in a worker task (limits.BACKGROUND)
        if len(rows) > most:
            raise SpreadsheetError(_("At most %(max)d rows per file.") % {"max": most})
        # Spreadsheets often carry empty trailing columns: keep up to the last one used.
        width = 0
        for row in (table[0], *(cells for _line, cells in rows)):
            used = [index for index, cell in enumerate(row) if cell.strip()]
            if used:
                width = max(width, used[-1] + 1)
        if width < 2:
            raise SpreadsheetError(
                _(
                    "The file has one column only. A file of replies has a column for the "
                    "stakeholder group and one for each rating: upload the survey tool's "
                    "export of the replies (.csv or .xlsx)."
                )
            )
        headers = tuple(cell.strip() for cell in table[0][:width])
        return cls(headers=headers + ("",) * (width - len(headers)), rows=rows)

    @property
    def width(self) -> int:
        return len(self.headers)

    def label(self, index: int) -> str:
        header = self.headers[index] if index < self.width else ""
        letter = column_letter(index)
        return f"{letter} · {header}" if header else letter

    def samples(self, index: int, count: int = 3) -> list[str]:
        found: list[str] = []
        for _line, cells in self.rows:
            value = cell_text(cells, index)
            if value and value not in found:
                found.append(value)
                if len(found) == count:
                    break
        return found


@dataclass(frozen=True)
class TopicInfo:
    code: str
    name: Mapping[str, str]

    @property
    def label(self) -> str:
        return pick(self.name) or self.code


@dataclass(frozen=True)
class GroupInfo:
    code: str
    name: Mapping[str, str]
    internal: bool

    @property
    def label(self) -> str:
        return pick(self.name) or self.code


@dataclass(frozen=True)
class ImportContext:
    """What checking and storing replies need from the database, read in four queries."""

    assessment_id: int
    survey_id: int
    topics: tuple[TopicInfo, ...]
    groups: tuple[GroupInfo, ...]
    scale_min: int
    scale_max: int
    scale_labels: Mapping[str, Mapping[str, str]]
    axis_labels: Mapping[str, Mapping[str, str]]
    question_ids: Mapping[str, int]
    existing_references: frozenset[str]

    @property
    def grid_cells(self) -> int:
        return len(self.topics) * len(AXES)

    def group(self, code: str) -> GroupInfo | None:
        return next((group for group in self.groups if group.code == code), None)

    def group_lookup(self) -> dict[str, str]:
        """Value key of a group's code or name (any language) → the group's code."""
        lookup: dict[str, str] = {}
        for group in self.groups:
            for text in (group.code, *group.name.values()):
                lookup.setdefault(value_key(text), group.code)
        return lookup

    def axis_label(self, axis: str) -> str:
        return pick(self.axis_labels.get(axis)) or axis


def import_context(assessment: Assessment) -> ImportContext:
    topics = Topic.objects.filter(assessmenttopic__assessment=assessment).order_by(
        "assessmenttopic__order", "assessmenttopic__pk"
    )
    groups = StakeholderGroup.objects.filter(assessmentgroup__assessment=assessment).order_by(
        "assessmentgroup__order", "assessmentgroup__pk"
    )
    questions = Question.objects.filter(
        survey_id=assessment.survey_id,
        code__in=[GROUP_QUESTION, SIDE_QUESTION, IMPORTANCE_QUESTION],
    )
    return ImportContext(
        assessment_id=assessment.pk,
        survey_id=assessment.survey_id,
        topics=tuple(TopicInfo(code, name) for code, name in topics.values_list("code", "name")),
        groups=tuple(
            GroupInfo(code, name, internal)
            for code, name, internal in groups.values_list("code", "name", "internal")
        ),
        scale_min=assessment.scale_min,
        scale_max=assessment.scale_max,
        scale_labels=assessment.scale_labels or {},
        axis_labels={
            COMPANY_AXIS: assessment.company_axis_label,
            STAKEHOLDER_AXIS: assessment.stakeholder_axis_label,
        },
        question_ids=dict(questions.values_list("code", "pk")),
        existing_references=frozenset(_imported_references(assessment.survey_id)),
    )


def _imported_references(survey_id: int) -> list[str]:
    return list(
        Response.objects.filter(survey_id=survey_id, source=ResponseSource.IMPORT).values_list(
            "source_reference", flat=True
        )
    )


REPLY_MAX_ROWS = MAX_ROWS


def distinct_values(sheet: ReplySheet, columns: Iterable[int]) -> list[tuple[str, str, int]]:
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for _line, cells in sheet.rows:
        for index in columns:
            raw = cell_text(cells, index)
            key = value_key(raw)
            counts[key] += 1
            shown.setdefault(key, raw)
    return [(key, shown[key], count) for key, count in counts.items()]
