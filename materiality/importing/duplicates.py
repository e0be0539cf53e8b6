"""Files and replies imported before: the digest that knows a file again whatever it is
called or saved as, the record of the files an assessment took in, and what the user is
told about them."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from materiality.importing.context import ReplySheet
from materiality.models import ImportedFile

# --- The digest of a sheet ------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?\d+\.\d+$")
# A date and time as a CSV writes it (2021/5/1 9:05:37, 2021-05-01 09:05) or as a
# workbook's date cell is read (2021-05-01 09:05:37).
_DATE_TIME = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?$"
)


def _normalised(cell: str) -> str:
    """A cell's text as it reads, whatever saved it: full-width forms folded, spaces
    collapsed, "4.0" as "4" and "1.50" as "1.5" (a workbook's number cell against a CSV's
    text), dates and times to the minute (Excel rewrites them when it saves a CSV)."""
    text = " ".join(unicodedata.normalize("NFKC", cell).split())
    if _NUMBER.match(text):
        text = text.rstrip("0").rstrip(".")
    date = _DATE_TIME.match(text)
    if date:
        year, month, day, hour, minute = date.groups()
        text = f"{year}-{int(month):02d}-{int(day):02d}"
        if hour is not None and (int(hour), minute) != (0, "00"):  # a date cell is at 0:00
            text += f" {int(hour):02d}:{minute}"
    return text


def _normalised_row(cells: Sequence[str], width: int) -> list[str]:
    row = [_normalised(cell) for cell in cells[:width]]
    while row and not row[-1]:
        row.pop()
    return row


def sheet_digest(sheet: ReplySheet) -> str:
    """SHA-256 of the sheet's header and rows, cell by cell, normalised: the same rows
    saved as .csv or as .xlsx, or under another name, have the same digest. Blank rows
    and empty trailing columns do not count; the order of the rows does."""
    table = [_normalised_row(sheet.headers, sheet.width)]
    table += [_normalised_row(cells, sheet.width) for _line, cells in sheet.rows]
    payload = json.dumps(table, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


# --- Files imported before ------------------------------------------------------------


def imported_file_find(*, assessment_id: int, digest: str) -> ImportedFile | None:
    """The import of these rows into the assessment, if there was one (one query)."""
    return (
        ImportedFile.objects.filter(assessment_id=assessment_id, digest=digest)
        .select_related("imported_by")
        .first()
    )


def imported_before_message(record: ImportedFile) -> str:
    """Why a file is refused: when, by whom and as what it was imported before."""
    values = {
        "when": date_format(timezone.localtime(record.created_at), "Y-m-d H:i"),
        "file": record.file_name,
        "rows": record.rows,
    }
    if record.imported_by is not None:
        return _(
            "This file was already imported into this assessment on %(when)s by %(user)s "
            "(“%(file)s”, %(rows)d replies). The same rows are not imported twice."
        ) % {**values, "user": record.imported_by.get_username()}
    return (
        _(
            "This file was already imported into this assessment on %(when)s (“%(file)s”, "
            "%(rows)d replies). The same rows are not imported twice."
        )
        % values
    )


def already_imported_message() -> str:
    """A row whose reference the assessment holds already: reported, not stored again."""
    return _("Already imported into this assessment: not stored again.")
