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

from django.utils.translation import gettext as _

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
    "cell_text",
    "column_letter",
    "read_table",
]


def read_table(name: str, content: bytes) -> list[list[str]]:
    """The file's cells as text, row by row: item n - 1 is row n of the file (the first
    one: the headers). A row ends at its last cell with a value, a blank row is an empty
    list, and blank rows after the last row with a value are left out. A file that
    passes a limit raises SpreadsheetError, with a message for the person who sent it."""
    if len(content) > MAX_BYTES:
        raise SpreadsheetError(_("The file is larger than 5 MB."))
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        return xlsx_rows(content)
    if lowered.endswith((".csv", ".txt")):
        return csv_rows(content)
    raise SpreadsheetError(_("Upload a .csv or .xlsx file."))


def cell_text(row: Sequence[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""
