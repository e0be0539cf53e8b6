"""Reading an uploaded CSV or XLSX file into rows of text, within size limits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from itertools import islice

from django.utils.translation import gettext as _

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024


class SpreadsheetError(Exception):
    """The file as a whole cannot be read (wrong type, no header, too large)."""


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


def column_letter(index: int) -> str:
    """Spreadsheet column name: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def cell_text(row: Sequence[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""
