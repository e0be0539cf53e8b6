"""Reading an uploaded CSV or XLSX file into rows of text, within limits.

Every spreadsheet the site reads goes through `read_table`: the reply import (the upload,
and the mapping page, which reads the kept file again on every visit), the invitee list
and `manage.py import_replies`. A small file can describe a huge one: a sheet of repeated
cells packed into a few kilobytes, two million shared strings, a sheet that declares
16,384 columns, a CSV line of a million commas. So each limit (`limits.py`) is checked
while the file is read, before what it limits is held: a refused file costs a bounded
amount of work and memory, and so does a file that passed, each time a page reads it
again. CSV in `delimited.py`, XLSX in `workbooks.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from materiality.importing.tables import limits
from materiality.importing.tables.delimited import csv_rows
from materiality.importing.tables.limits import (
    MAX_BYTES,
    MAX_ROWS,
    SpreadsheetError,
    column_letter,
)
from materiality.importing.tables.workbooks import xlsx_rows

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "SpreadsheetError",
    "TableStart",
    "cell_text",
    "column_letter",
    "read_table",
    "read_table_start",
]


def read_table(name: str, content: bytes) -> list[list[str]]:
    """The file's cells as text, row by row: item n - 1 is row n of the file (the first
    one: the headers). A row ends at its last cell with a value, a blank row is an empty
    list, and blank rows after the last row with a value are left out. A file that
    passes a limit raises SpreadsheetError, with a message for the person who sent it.

    Under the request's limits, unless called within `limits.reading_under` (a worker
    task reading a large reply file: `limits.BACKGROUND`)."""
    scale = limits.current()
    if len(content) > scale.bytes:
        raise SpreadsheetError(
            _("The file is larger than %(max)d MB.") % {"max": scale.bytes // (1024 * 1024)}
        )
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        return xlsx_rows(content)
    if lowered.endswith((".csv", ".txt")):
        return csv_rows(content)
    raise SpreadsheetError(_("Upload a .csv or .xlsx file."))


@dataclass(frozen=True)
class TableStart:
    """The first rows of a file, as a request reads a file too large for it: `rows`
    as read_table gives them, `complete` False when the file has more (a worker reads
    it whole, under limits.BACKGROUND)."""

    rows: list[list[str]]
    complete: bool


def read_table_start(name: str, content: bytes) -> TableStart:
    """The file whole if it has at most MAX_ROWS rows, else its first MAX_ROWS rows
    (after the header), read once under limits.preview_scale(): the request's limits,
    except for the size of the file and of its parts, which may be a worker's (the
    sheet is a stream read up to those rows). A bounded amount of work either way, and
    hostile files are refused as read_table refuses them."""
    with limits.reading_under(limits.preview_scale()):
        try:
            return TableStart(read_table(name, content), complete=True)
        except limits.ReadEnough as enough:
            return TableStart(enough.rows, complete=False)


def cell_text(row: Sequence[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""
