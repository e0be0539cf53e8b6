"""Reading spreadsheets people bring: a list of invitees (e-mail + stakeholder group),
and replies collected with another survey tool (one row per respondent).

Every row is checked before anything is stored; the result says, row by row, what is
wrong, so the ESG team can fix the file and upload it again. CSV (UTF-8 or GB18030, with
or without BOM, comma, semicolon or tab) and XLSX (first sheet) are accepted.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
import secrets
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import islice
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from materiality.aggregation import aggregation_request
from materiality.audit import audit_record
from materiality.models import (
    AXES,
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    Assessment,
    AuditAction,
    RunTrigger,
    StakeholderGroup,
    Topic,
)
from materiality.questionnaire import GROUP_QUESTION, IMPORTANCE_QUESTION, SIDE_QUESTION
from surveys.models import (
    Answer,
    Question,
    Response,
    ResponseSource,
    ResponseStatus,
    Survey,
)
from surveys.services import is_straight_lined
from surveys.translations import pick

logger = logging.getLogger(__name__)

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
EMAIL_HEADERS = {"email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱"}
GROUP_HEADERS = {
    "group",
    "stakeholder group",
    "stakeholder_group",
    "群体",
    "利益相关方",
    "利益相关方群体",
}
LANGUAGE_HEADERS = {"language", "lang", "语言"}


class SpreadsheetError(Exception):
    """The file as a whole cannot be read (wrong type, no header, too large)."""


@dataclass(frozen=True)
class InviteeRow:
    line: int
    email: str
    group: StakeholderGroup
    language: str


@dataclass
class InviteeImport:
    rows: list[InviteeRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def read_table(name: str, content: bytes) -> list[list[str]]:
    """The file's cells as text, row by row (first row: headers)."""
    if len(content) > MAX_BYTES:
        raise SpreadsheetError(_("The file is larger than 5 MB."))
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        return list(_xlsx_rows(content))
    if lowered.endswith((".csv", ".txt")):
        return _csv_rows(content)
    raise SpreadsheetError(_("Upload a .csv or .xlsx file."))


def _csv_rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")  # what Excel in Chinese saves as "CSV"
        except UnicodeDecodeError:
            raise SpreadsheetError(_("The CSV file is not UTF-8 or GB18030 text.")) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception:
        raise SpreadsheetError(_("The file is not a readable .xlsx workbook.")) from None
    # A compressed sheet can hold far more rows than its size suggests: read no more than
    # the limit (plus the header and one row to notice that the limit is passed).
    for row in islice(sheet.iter_rows(values_only=True), MAX_ROWS + 2):
        yield ["" if cell is None else str(cell).strip() for cell in row]


def _find_column(headers: Sequence[str], names: set[str]) -> int | None:
    for index, header in enumerate(headers):
        if header.strip().lower() in names:
            return index
    return None


def _cell(row: Sequence[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def parse_invitees(
    table: list[list[str]],
    *,
    groups: Sequence[StakeholderGroup],
    languages: Sequence[str],
    existing_emails: set[str],
) -> InviteeImport:
    result = InviteeImport()
    if not table:
        raise SpreadsheetError(_("The file is empty."))
    headers = table[0]
    email_col = _find_column(headers, EMAIL_HEADERS)
    group_col = _find_column(headers, GROUP_HEADERS)
    language_col = _find_column(headers, LANGUAGE_HEADERS)
    if email_col is None or group_col is None:
        raise SpreadsheetError(
            _("The first row must name the columns: “email” and “group” (or 邮箱 and 群体).")
        )
    if len(table) - 1 > MAX_ROWS:
        raise SpreadsheetError(_("At most %(max)d rows per file.") % {"max": MAX_ROWS})
    lookup: dict[str, StakeholderGroup] = {}
    for group in groups:
        lookup[group.code.lower()] = group
        for name in group.name.values():
            lookup[name.strip().lower()] = group
    seen: dict[str, int] = {}
    for line, row in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        email = _cell(row, email_col).lower()
        group_text = _cell(row, group_col)
        language = _cell(row, language_col).lower()
        problems = []
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("“%(value)s” is not an e-mail address.") % {"value": email or "—"})
        found = lookup.get(group_text.lower())
        if found is None:
            problems.append(
                _("“%(value)s” is not a stakeholder group of this assessment.")
                % {"value": group_text or "—"}
            )
        if language and language not in languages:
            problems.append(
                _("Language “%(value)s” is not offered (use %(offered)s).")
                % {"value": language, "offered": ", ".join(languages)}
            )
        if email in seen:
            problems.append(_("Same e-mail as row %(line)d.") % {"line": seen[email]})
        elif email in existing_emails:
            problems.append(_("This e-mail address is already invited."))
        seen.setdefault(email, line)
        if problems:
            result.errors.append((line, " ".join(problems)))
        elif found is not None:
            result.rows.append(InviteeRow(line, email, found, language))
    if not result.rows and not result.errors:
        raise SpreadsheetError(_("The file has a header row but no invitees."))
    return result


# --- Replies collected with another tool -------------------------------------------------
#
#   upload ──▶ the file is kept in the default storage (imports/<id>.<ext>) beside a job
#              description (imports/<id>.json); nothing is stored as replies yet
#   map    ──▶ ReplyMapping: which column holds the group, the side, the reference, the
#              duration and each topic × axis, and how cell values become levels
#   check  ──▶ every row validated: ReplyCheck (rows ready to store, row-by-row errors)
#   store  ──▶ one transaction of bulk inserts: small files at once, large ones in a Celery
#              task that reports its progress in the cache

# Above this many rows, storing goes to a Celery task and the user watches a progress page.
ASYNC_THRESHOLD = 2_000
# Rows per bulk insert of responses (and their answers) and per progress update.
STORE_BATCH_ROWS = 500
ANSWER_BATCH = 5_000
REPLY_MAX_ROWS = MAX_ROWS
IMPORT_FOLDER = "imports"
# Uploads never finished nor cancelled are deleted after this long (see import_jobs_purge).
IMPORT_LIFETIME = timedelta(days=1)
PROGRESS_TIMEOUT = 7 * 24 * 3600
MAX_REPORTED_ERRORS = 500
MAX_LISTED_VALUES = 60
REFERENCE_MAX_LENGTH = 200  # Response.source_reference

# Targets of an explicit value mapping besides a level or a group code.
DONT_KNOW = "dont-know"
REJECT = "reject"
LEAVE_OUT = "leave-out"


def value_key(raw: str) -> str:
    """How cell values are compared: full-width forms folded (NFKC), case-folded, inner
    spaces collapsed, typographic apostrophes straightened (U+2019 → ')."""
    text = unicodedata.normalize("NFKC", raw).replace("\u2019", "'").casefold()
    return " ".join(text.split())


DONT_KNOW_VALUES = frozenset(
    value_key(text)
    for text in (
        "",
        "N/A",
        "NA",
        "n.a.",
        "-",
        "—",
        "?",
        "Don't know",
        "Dont know",
        "Do not know",
        "Not sure",
        "Unknown",
        "No opinion",
        "不知道",
        "不清楚",
        "不了解",
        "不确定",
        "说不清",
        "无法判断",
        "无意见",
    )
)
INTERNAL_VALUES = frozenset(
    value_key(text)
    for text in (
        "internal",
        "inside",
        "in",
        "yes",
        "内部",
        "内",
        "是",
        "Internal (I work for the company)",
        "内部（在公司工作）",
    )
)
EXTERNAL_VALUES = frozenset(
    value_key(text) for text in ("external", "outside", "out", "no", "外部", "外", "否")
)

# Header words that name the two axes. Topic names are taken out of a header before these
# are looked for: "企业管治" (corporate governance) contains "企业" (company).
COMPANY_WORDS = ("company", "companies", "business", "organisation", "organization", "firm")
COMPANY_WORDS_ZH = ("公司", "企业", "业务", "经营")
STAKEHOLDER_WORDS = ("stakeholder", "stakeholders", "you", "your", "yourself")
STAKEHOLDER_WORDS_ZH = ("利益相关方", "相关方", "利益相关者", "您", "你")
REPLY_GROUP_HEADERS = (
    *GROUP_HEADERS,
    "stakeholder type",
    "respondent group",
    "stakeholder category",
    "利益相关方类型",
    "利益相关方类别",
    "您的身份",
    "身份",
    "您属于哪一类利益相关方",
    "Which stakeholder group do you belong to",
)
SIDE_HEADERS = (
    "internal/external",
    "internal or external",
    "side",
    "respondent side",
    "internal",
    "内部/外部",
    "内外部",
    "内部或外部",
    "您是公司内部还是外部的利益相关方",
    "Are you inside or outside the company",
)
REFERENCE_HEADERS = (
    "id",
    "respondent id",
    "respondent",
    "response id",
    "reference",
    "ref",
    "record id",
    "submission id",
    "编号",
    "答卷编号",
    "问卷编号",
    "答卷id",
)
DURATION_HEADERS = (
    "duration",
    "duration (seconds)",
    "duration in seconds",
    "seconds",
    "time taken",
    "time taken (seconds)",
    "所用时间",
    "答题时长",
    "答题用时",
    "用时",
    "时长",
)
# Small words that a header may spell differently ("&" for "and") or leave out.
STOP_WORDS = frozenset({"and", "of", "the", "for", "to", "in", "on", "a", "an"})
_NON_WORD = re.compile(r"[\W_]+")
_NUMBER = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)(?:\s*[-–—:：.、)）]?\s*[^\d]*)?$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})$")
_SECONDS = re.compile(
    r"^(?:(\d+)\s*(?:分钟|分|min|mins|minutes?)\s*)?"
    r"(?:(\d+(?:\.\d+)?)\s*(?:秒钟|秒|s|sec|secs|seconds?)?)?$"
)


def _spaced(text: str) -> str:
    """Header text for matching: normalised, punctuation turned into spaces, padded with
    spaces so that " word " finds whole words only."""
    words = _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split()
    return " " + " ".join(words) + " "


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" for char in text)


def _without(spaced: str, phrase: str) -> str | None:
    """`spaced` with `phrase` taken out if it holds it (as whole words; anywhere for
    Chinese, which has no spaces between words), else None."""
    needle = _spaced(phrase).strip()
    if not needle:
        return None
    if _has_cjk(needle):
        compact = needle.replace(" ", "")
        if compact in spaced:
            return spaced.replace(compact, " ", 1)
        squeezed = spaced.replace(" ", "")
        if compact in squeezed:
            return " " + squeezed.replace(compact, " ", 1) + " "
        return None
    if f" {needle} " in spaced:
        return spaced.replace(f" {needle} ", " ", 1)
    # "Business ethics & anti-corruption" for "Business ethics and anti-corruption".
    words = [word for word in needle.split() if word not in STOP_WORDS]
    if words and all(f" {word} " in spaced for word in words):
        for word in words:
            spaced = spaced.replace(f" {word} ", " ", 1)
        return spaced
    return None


def _header_in(header: str, names: Sequence[str]) -> bool:
    spaced = _spaced(header)
    return any(spaced == _spaced(name) for name in names)


def column_letter(index: int) -> str:
    """Spreadsheet column name: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


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
        rows = tuple(
            (line, tuple(row))
            for line, row in enumerate(table[1:], start=2)
            if any(cell.strip() for cell in row)
        )
        if not rows:
            raise SpreadsheetError(_("The file has a header row but no replies."))
        if len(rows) > REPLY_MAX_ROWS:
            raise SpreadsheetError(_("At most %(max)d rows per file.") % {"max": REPLY_MAX_ROWS})
        # Spreadsheets often carry empty trailing columns: keep up to the last one used.
        width = 0
        for row in (table[0], *(cells for _line, cells in rows)):
            used = [index for index, cell in enumerate(row) if cell.strip()]
            if used:
                width = max(width, used[-1] + 1)
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
            value = _cell(cells, index)
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
    spaced = _spaced(header)
    best: tuple[int, str, str] | None = None
    for topic in context.topics:
        for name in (*topic.name.values(), topic.code):
            rest = _without(spaced, name)
            strength = len(_spaced(name).replace(" ", ""))
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
        if any(_without(rest, word) is not None for word in words)
        or any(
            _without(rest, label) is not None
            for label in context.axis_labels.get(axis, {}).values()
        )
    }
    # A header that names both axes ("importance to the company's stakeholders") is left
    # for the user to decide.
    return (topic_code, found.pop()) if len(found) == 1 else None


def _share_of_values(sheet: ReplySheet, index: int, accepted: Callable[[str], bool]) -> float:
    values = [value_key(_cell(cells, index)) for _line, cells in sheet.rows[:200]]
    values = [value for value in values if value]
    return sum(map(accepted, values)) / len(values) if values else 0.0


def reply_mapping_suggest(sheet: ReplySheet, context: ImportContext) -> ReplyMapping:
    """A first mapping from the headers (topic names and axis words in Chinese and
    English) and, for the group and side columns, from the values. The user corrects it."""
    columns = range(sheet.width)
    taken: set[int] = set()

    def by_header(names: Sequence[str]) -> int | None:
        index = next(
            (i for i in columns if i not in taken and _header_in(sheet.headers[i], names)), None
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
        for key, _shown, _count in _distinct(sheet, columns)
        if (number := _number(key)) is not None
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


# --- Reading values -------------------------------------------------------------------


@dataclass(frozen=True)
class Rating:
    value: int | None = None
    dont_know: bool = False


def _number(key: str) -> Fraction | None:
    match = _NUMBER.match(key)
    if match is None:
        return None
    return Fraction(Decimal(match.group(1).replace(",", ".")))


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
        if choice == REJECT:
            return _("Refused by your value mapping.")
        return Rating(value=int(choice))

    def automatic(self, key: str) -> Rating | str:
        if key in DONT_KNOW_VALUES:
            return Rating(dont_know=True)
        if key in self.labels:
            return Rating(value=self.labels[key])
        number = _number(key)
        if number is None:
            return _("Not a number, a label of the scale or “don't know”.")
        if self.scale.mode == ScaleMode.LINEAR:
            low, high = self.scale.source_min, self.scale.source_max
            if not low <= number <= high:
                return _("Outside the file's scale %(low)d–%(high)d.") % {
                    "low": low,
                    "high": high,
                }
            position = self.low + (number - low) * (self.high - self.low) / (high - low)
            # Exact arithmetic, halves rounded up: 1–3 onto 1–5 sends 2 to 3, every time.
            return Rating(value=math.floor(position + Fraction(1, 2)))
        if not self.low <= number <= self.high:
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


def _distinct(sheet: ReplySheet, columns: Iterable[int]) -> list[tuple[str, str, int]]:
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for _line, cells in sheet.rows:
        for index in columns:
            raw = _cell(cells, index)
            key = value_key(raw)
            counts[key] += 1
            shown.setdefault(key, raw)
    return [(key, shown[key], count) for key, count in counts.items()]


def column_values(
    sheet: ReplySheet, columns: Iterable[int], limit: int = MAX_LISTED_VALUES
) -> tuple[list[ValueCount], int]:
    """The distinct values of some columns (the most frequent `limit`, numbers first in
    order, then text) and how many distinct values there are in all."""
    found = _distinct(sheet, list(columns))
    common = sorted(found, key=lambda item: -item[2])[:limit]

    def order(item: tuple[str, str, int]) -> tuple[int, Fraction, str]:
        number = _number(item[0])
        return (0, number, "") if number is not None else (1, Fraction(0), item[0])

    return [ValueCount(*item) for item in sorted(common, key=order)], len(found)


# --- Checking every row ---------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the column's letter and header; "" for the row as a whole
    value: str
    message: str


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


def replies_check(
    sheet: ReplySheet, *, context: ImportContext, mapping: ReplyMapping, file_name: str
) -> ReplyCheck:
    """Check every row against the mapping; store nothing. Rows without problems are
    returned ready to store, the others as one RowError per problem."""
    if mapping.group_column is None:
        raise ValueError("A mapping to check replies needs a group column.")
    check = ReplyCheck(skip_errors=mapping.skip_errors)
    lookup = context.group_lookup()
    groups = {group.code: group for group in context.groups}
    reader = RatingReader(context, mapping.scale)
    references: dict[str, int] = {}
    for line, cells in sheet.rows:
        problems: list[RowError] = []
        problem = _problem_recorder(sheet, line, problems)
        group_raw = _cell(cells, mapping.group_column)
        group_key = value_key(group_raw)
        target = mapping.group_values.get(group_key) or lookup.get(group_key)
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
        internal = group.internal if group is not None else False
        side_raw = _cell(cells, mapping.side_column)
        side_key = value_key(side_raw)
        if side_key in INTERNAL_VALUES:
            internal = True
        elif side_key in EXTERNAL_VALUES:
            internal = False
        elif side_key:
            problem(
                mapping.side_column,
                side_raw,
                _("“%(value)s” is neither internal nor external.") % {"value": side_raw},
            )
        reference = _cell(cells, mapping.reference_column) or default_reference(file_name, line)
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
        elif reference in context.existing_references:
            problem(
                mapping.reference_column,
                reference,
                _("This reference was already imported into this assessment."),
            )
        references.setdefault(reference, line)
        duration_raw = _cell(cells, mapping.duration_column)
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
        for cell in mapping.cells:
            raw = _cell(cells, cell.column)
            rating = reader.read(value_key(raw))
            if isinstance(rating, str):
                problem(cell.column, raw, rating)
                unreadable = True
            else:
                ratings.append(CellRating(cell.topic, cell.axis, rating.value, rating.dont_know))
        if not unreadable and all(rating.value is None for rating in ratings):
            problem(None, "", _("The row has no rating: every topic is empty or “don't know”."))
        if problems:
            check.errors.extend(problems)
        elif group is not None:
            check.rows.append(
                ReplyRow(line, reference, group.code, internal, duration, tuple(ratings))
            )
    return check


# --- Storing --------------------------------------------------------------------------


class DuplicateReferences(Exception):
    """Another import stored some of the same references after the file was checked."""

    def __init__(self, references: Sequence[str]) -> None:
        super().__init__(", ".join(references[:10]))
        self.references = list(references)


def replies_store(
    *,
    context: ImportContext,
    rows: Sequence[ReplyRow],
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Store checked rows as submitted, imported responses with their answers, all or
    nothing, in bulk inserts of STORE_BATCH_ROWS rows: the number of queries grows with
    the number of batches, never with the number of rows."""
    now = timezone.now()
    grid_id = context.question_ids[IMPORTANCE_QUESTION]
    group_id = context.question_ids.get(GROUP_QUESTION)
    side_id = context.question_ids.get(SIDE_QUESTION)
    stored = 0
    with transaction.atomic():
        # Imports into one survey queue here, so that the same file uploaded twice at
        # once cannot pass the duplicate check below twice.
        list(Survey.objects.select_for_update().filter(pk=context.survey_id).values_list("pk"))
        taken = set(_imported_references(context.survey_id))
        clash = sorted({row.reference for row in rows} & taken)
        if clash:
            raise DuplicateReferences(clash)
        for start in range(0, len(rows), STORE_BATCH_ROWS):
            batch = rows[start : start + STORE_BATCH_ROWS]
            responses = Response.objects.bulk_create(
                [_response(context, row, now) for row in batch], batch_size=STORE_BATCH_ROWS
            )
            answers: list[Answer] = []
            for response, row in zip(responses, batch, strict=True):
                answers.extend(
                    Answer(
                        response=response,
                        question_id=grid_id,
                        row_code=rating.topic,
                        column_code=rating.axis,
                        value=rating.value,
                        dont_know=rating.dont_know,
                    )
                    for rating in row.ratings
                )
                # The answers that describe the respondent, as the web form stores them.
                if group_id is not None:
                    answers.append(
                        Answer(response=response, question_id=group_id, column_code=row.group)
                    )
                if side_id is not None:
                    side = "internal" if row.internal else "external"
                    answers.append(Answer(response=response, question_id=side_id, column_code=side))
            Answer.objects.bulk_create(answers, batch_size=ANSWER_BATCH)
            stored += len(batch)
            if on_batch is not None:
                on_batch(stored)
    return stored


def _response(context: ImportContext, row: ReplyRow, now: datetime) -> Response:
    ratings = [rating.value for rating in row.ratings if rating.value is not None]
    return Response(
        survey_id=context.survey_id,
        # Nobody holds a token for this hash: an imported response cannot be resumed.
        resume_hash=secrets.token_hex(32),
        status=ResponseStatus.SUBMITTED,
        source=ResponseSource.IMPORT,
        source_reference=row.reference,
        respondent_group=row.group,
        respondent_internal=row.internal,
        respondent_fixed=True,
        started_at=now - timedelta(seconds=row.duration) if row.duration is not None else now,
        submitted_at=now,
        duration_seconds=row.duration,
        straight_lined=is_straight_lined(ratings, context.grid_cells),
    )


# --- Uploads kept between the steps ---------------------------------------------------

_IMPORT_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class ReplyImportJob:
    """An uploaded file waiting to be mapped and imported, described in a JSON file
    beside it in the default storage (a worker reads both from the import id)."""

    id: str
    assessment_id: int
    user_id: int | None
    user_name: str
    file_name: str
    path: str
    language: str
    created_at: str
    mapping: dict[str, Any] | None = None


def _job_path(import_id: str) -> str:
    return f"{IMPORT_FOLDER}/{import_id}.json"


def _job_write(job: ReplyImportJob) -> None:
    path = _job_path(job.id)
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(json.dumps(asdict(job)).encode()))


def import_job_create(
    *, assessment: Assessment, user: Any, file_name: str, content: bytes, language: str
) -> ReplyImportJob:
    """Keep an uploaded file for the mapping step. The caller has read it (read_table)."""
    import_jobs_purge()
    import_id = uuid.uuid4().hex
    extension = ".xlsx" if file_name.lower().endswith(".xlsx") else ".csv"
    path = default_storage.save(f"{IMPORT_FOLDER}/{import_id}{extension}", ContentFile(content))
    job = ReplyImportJob(
        id=import_id,
        assessment_id=assessment.pk,
        user_id=getattr(user, "pk", None),
        user_name=user.get_username() if getattr(user, "pk", None) else "",
        file_name=file_name,
        path=path,
        language=language,
        created_at=timezone.now().isoformat(),
    )
    _job_write(job)
    return job


def import_job_load(import_id: str) -> ReplyImportJob | None:
    if not _IMPORT_ID.match(import_id):
        return None
    try:
        with default_storage.open(_job_path(import_id)) as stored:
            data = json.loads(stored.read())
    except (FileNotFoundError, ValueError):
        return None
    return ReplyImportJob(**data)


def import_job_table(job: ReplyImportJob) -> list[list[str]]:
    with default_storage.open(job.path) as stored:
        return read_table(job.file_name, stored.read())


def import_job_discard(import_id: str) -> None:
    """Delete the uploaded file and its description (after import, or on cancel)."""
    job = import_job_load(import_id)
    for path in (job.path if job else None, _job_path(import_id)):
        if path and default_storage.exists(path):
            default_storage.delete(path)


def import_jobs_purge(now: datetime | None = None) -> int:
    """Delete uploads older than IMPORT_LIFETIME: files people neither imported nor
    cancelled hold personal data and must not stay. Called on every upload."""
    cutoff = (now or timezone.now()) - IMPORT_LIFETIME
    try:
        _folders, names = default_storage.listdir(IMPORT_FOLDER)
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        path = f"{IMPORT_FOLDER}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed


# --- Progress and result --------------------------------------------------------------


class ImportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class ImportProgress:
    """What the progress page shows; kept in the cache, one key per import, so a worker
    can update it per batch while the page reads it (REDIS_URL when workers run apart)."""

    state: str
    file_name: str
    user_name: str = ""
    total: int = 0
    stored: int = 0
    message: str = ""
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    left_out: list[RowError] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)
    finished_at: datetime | None = None
    run_id: int | None = None
    assessment_id: int = 0

    @property
    def percent(self) -> int:
        if self.state == ImportState.DONE:
            return 100
        return math.floor(100 * self.stored / self.total) if self.total else 0

    @property
    def active(self) -> bool:
        return self.state in (ImportState.QUEUED, ImportState.RUNNING)


def _progress_key(import_id: str) -> str:
    return f"materiality:reply-import:{import_id}"


def _progress_save(import_id: str, progress: ImportProgress) -> None:
    cache.set(_progress_key(import_id), asdict(progress), PROGRESS_TIMEOUT)


def import_progress(import_id: str) -> ImportProgress | None:
    data = cache.get(_progress_key(import_id))
    if not isinstance(data, dict):
        return None
    lists = {
        name: [RowError(**error) for error in data.get(name, [])]
        for name in ("errors", "left_out", "skipped")
    }
    return ImportProgress(**{**data, **lists})


def import_progress_forget(import_id: str) -> None:
    cache.delete(_progress_key(import_id))


# --- Running an import ----------------------------------------------------------------


def reply_import_start(
    *, job: ReplyImportJob, mapping: ReplyMapping, context: ImportContext, check: ReplyCheck
) -> ImportProgress:
    """Import a checked file: at once up to ASYNC_THRESHOLD rows, else in a Celery task
    sent after commit (the progress page follows it)."""
    job.mapping = mapping.as_dict()
    _job_write(job)
    if len(check.rows) <= ASYNC_THRESHOLD:
        return reply_import_execute(job.id, context=context, check=check) or ImportProgress(
            state=ImportState.FAILED, file_name=job.file_name, assessment_id=job.assessment_id
        )
    progress = ImportProgress(
        state=ImportState.QUEUED,
        file_name=job.file_name,
        user_name=job.user_name,
        total=len(check.rows),
        assessment_id=job.assessment_id,
    )
    _progress_save(job.id, progress)
    transaction.on_commit(lambda: _enqueue(job.id))
    return progress


def _enqueue(import_id: str) -> None:
    try:
        import_replies.delay(import_id)
    except Exception:  # the broker is unreachable: say so rather than wait for ever
        logger.warning("Could not send reply import %s to the broker", import_id, exc_info=True)
        progress = import_progress(import_id)
        if progress is not None:
            progress.state = ImportState.FAILED
            progress.message = _("The task queue cannot be reached. Nothing was stored; try again.")
            _progress_save(import_id, progress)


def reply_import_execute(
    import_id: str, *, context: ImportContext | None = None, check: ReplyCheck | None = None
) -> ImportProgress | None:
    """Check (again, unless given a fresh check) and store an import, request an
    aggregation run, delete the upload. Safe to run twice: a finished import is not
    stored again, and the duplicate-reference check runs under a lock."""
    current = import_progress(import_id)
    if current is not None and current.state == ImportState.DONE:
        return current
    job = import_job_load(import_id)
    if job is None or job.mapping is None:
        return current
    # A worker writes the report in the language of the person who asked for it.
    with translation.override(job.language or settings.LANGUAGE_CODE):
        return _execute(job, context, check)


def _execute(
    job: ReplyImportJob, context: ImportContext | None, check: ReplyCheck | None
) -> ImportProgress:
    progress = ImportProgress(
        state=ImportState.RUNNING,
        file_name=job.file_name,
        user_name=job.user_name,
        assessment_id=job.assessment_id,
    )
    _progress_save(job.id, progress)
    assessment = Assessment.objects.filter(pk=job.assessment_id).first()
    if assessment is None:
        return _failed(job, progress, None, _("The assessment no longer exists."))
    try:
        if context is None or check is None:
            context = import_context(assessment)
            sheet = ReplySheet.from_table(import_job_table(job))
            mapping = ReplyMapping.from_dict(job.mapping or {})
            check = replies_check(sheet, context=context, mapping=mapping, file_name=job.file_name)
        progress.total = len(check.rows)
        progress.left_out = check.left_out[:MAX_REPORTED_ERRORS]
        if not check.storable:
            return _failed(job, progress, check, _("Nothing was imported: some rows need fixing."))

        def on_batch(stored: int) -> None:
            progress.stored = stored
            _progress_save(job.id, progress)

        user = get_user_model().objects.filter(pk=job.user_id).first() if job.user_id else None
        # The replies, the scores run they call for and the audit entry that records the
        # import (file, rows, who, when) are stored together or not at all.
        with transaction.atomic():
            replies_store(context=context, rows=check.rows, on_batch=on_batch)
            run = aggregation_request(
                assessment=assessment, trigger=RunTrigger.MANUAL, requested_by=user
            )
            audit_record(
                assessment=assessment,
                action=AuditAction.REPLIES_IMPORTED,
                actor=user,
                run=run,
                note=_import_note(job, check),
            )
    except DuplicateReferences as clash:
        current = import_progress(job.id)
        if current is not None and current.state == ImportState.DONE:
            return current  # the same import, delivered twice, already went through
        message = _("Nothing was imported: these references were imported meanwhile: %(refs)s.")
        return _failed(job, progress, None, message % {"refs": ", ".join(clash.references[:10])})
    except SpreadsheetError as error:
        return _failed(job, progress, None, str(error))
    except Exception:
        # Whatever went wrong, the transaction rolled back: say so on the progress page
        # rather than leave it "running" for ever (the worker's log has the details).
        logger.exception("Reply import %s failed", job.id)
        return _failed(
            job, progress, None, _("The import failed unexpectedly. Nothing was stored.")
        )
    progress.state = ImportState.DONE
    progress.skipped = check.errors[:MAX_REPORTED_ERRORS]
    progress.error_count = len(check.error_lines)
    progress.finished_at = timezone.now()
    progress.run_id = run.pk
    _progress_save(job.id, progress)
    logger.info(
        "Imported %d replies into assessment %s from %r for %s (import %s)",
        progress.stored,
        job.assessment_id,
        job.file_name,
        job.user_name,
        job.id,
    )
    import_job_discard(job.id)
    return progress


def _lines(lines: Sequence[int], shown: int = 50) -> str:
    listed = ", ".join(str(line) for line in lines[:shown])
    return listed + (" …" if len(lines) > shown else "")


def _import_note(job: ReplyImportJob, check: ReplyCheck) -> str:
    """The audit trail's record of an import (who and when are the entry's own)."""
    note = _("Imported %(count)d replies from “%(file)s”.") % {
        "count": len(check.rows),
        "file": job.file_name,
    }
    if check.errors:
        note += " " + _("Rows skipped for errors: %(lines)s.") % {
            "lines": _lines(check.error_lines)
        }
    if check.left_out:
        note += " " + _("Rows left out: %(lines)s.") % {
            "lines": _lines([error.line for error in check.left_out])
        }
    return note


def _failed(
    job: ReplyImportJob, progress: ImportProgress, check: ReplyCheck | None, message: str
) -> ImportProgress:
    progress.state = ImportState.FAILED
    progress.message = message
    progress.stored = 0
    if check is not None:
        progress.errors = check.errors[:MAX_REPORTED_ERRORS]
        progress.error_count = len(check.error_lines)
    progress.finished_at = timezone.now()
    _progress_save(job.id, progress)
    return progress


@shared_task
def import_replies(import_id: str) -> str | None:
    """Celery: store a checked import of replies. `materiality.tasks` imports this task
    so that workers find it. Takes the import's id; safe to run twice."""
    progress = reply_import_execute(import_id)
    return progress.state if progress else None
