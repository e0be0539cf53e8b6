"""Reading spreadsheets people bring: a list of invitees (e-mail + stakeholder group).

Every row is checked before anything is stored; the result says, row by row, what is
wrong, so the ESG team can fix the file and upload it again. CSV (UTF-8, with or without
BOM, comma or semicolon) and XLSX are accepted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from materiality.models import StakeholderGroup

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
    except Exception:
        raise SpreadsheetError(_("The file is not a readable .xlsx workbook.")) from None
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(values_only=True):
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
