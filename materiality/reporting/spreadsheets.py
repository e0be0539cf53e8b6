"""CSV and XLSX writing shared by every file the site produces, with the one
spreadsheet-formula guard: a cell that a spreadsheet would read as a formula is written
as text; and every text cell under the control-character rule (`surveys.plaintext`)."""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from materiality.reporting.tables import Column, Table
from surveys.plaintext import plain_text

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_ROWS_PER_CHUNK = 500  # rows per streamed chunk: a few hundred kB at most


HEADER_FONT = Font(bold=True)
CODE_FONT = Font(color="666666", size=9)
HEADER_FILL = PatternFill("solid", fgColor="EEF2F0")


def table_sheet(workbook: Workbook, title: str, table: Table, *, freeze: str) -> None:
    sheet = workbook.create_sheet(sheet_title(title))
    write_table(sheet, table, first_row=1)
    sheet.freeze_panes = freeze


def write_table(sheet: Any, table: Table, *, first_row: int) -> None:
    """Two header rows (codes, labels), then the rows: numbers stay numbers."""
    for index, column in enumerate(table.columns, start=1):
        code = sheet.cell(row=first_row, column=index, value=column.code)
        code.font = CODE_FONT
        label = sheet.cell(row=first_row + 1, column=index, value=xlsx_value(column.label))
        label.font = HEADER_FONT
        label.fill = HEADER_FILL
        label.alignment = Alignment(wrap_text=True, vertical="top")
    for offset, row in enumerate(table.rows, start=first_row + 2):
        for index, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            cell = sheet.cell(row=offset, column=index, value=xlsx_value(value))
            if isinstance(value, str):
                cell.data_type = "s"  # text that starts with "=" stays text, never a formula
            elif column.number_format != "General":
                cell.number_format = column.number_format
    for index, width in enumerate(column_widths(table.columns, table.rows), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[first_row + 1].height = 45


def xlsx_value(value: Any) -> Any:
    """A value as XLSX can hold it: no NaN or infinity, and no control characters, which
    the format forbids (one pasted into a comment would make the whole file fail)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return plain_text(value, multiline=True)
    return value


def sheet_title(title: str) -> str:
    # Excel forbids these characters in sheet names and allows at most 31 characters.
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in plain_text(title))
    return cleaned[:31]


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def column_widths(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], sample: int = 200
) -> list[float]:
    """Column widths from the code, the label (which wraps, so counts for less) and the
    first rows' values; clamped so that no column swallows the screen."""
    widths = [max(display_width(c.code), min(display_width(c.label) * 0.6, 30)) for c in columns]
    for count, row in enumerate(rows):
        if count >= sample:
            break
        for index, value in enumerate(row):
            if isinstance(value, float):
                shown = 8
            elif isinstance(value, bool) or value is None:
                shown = 5
            else:
                shown = display_width(str(value))
            widths[index] = max(widths[index], shown)
    return [min(max(width + 2, 6), 60) for width in widths]


# --- CSV writing ---------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell for CSV. Booleans as true/false, None as empty; text that a spreadsheet
    would run as a formula (a comment starting with "=", say) gets a leading apostrophe,
    the usual defence against CSV injection. Codes and numbers never need it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        value = plain_text(value, multiline=True)
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    return value


def csv_chunks(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, per_chunk: int = CSV_ROWS_PER_CHUNK
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")  # byte-order mark: spreadsheet programs then read UTF-8
    writer.writerow([c.code for c in columns])
    writer.writerow([csv_cell(c.label) for c in columns])
    pending = 0
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
        pending += 1
        if pending >= per_chunk:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()


def header_cell(sheet: Any, value: str, font: Font) -> Any:
    cell = text_cell(sheet, value)
    cell.font = font
    return cell


def text_cell(sheet: Any, value: str) -> Any:
    cell = WriteOnlyCell(sheet, value=xlsx_value(value))
    cell.data_type = "s"  # a comment starting with "=" stays text, never a formula
    return cell


def xlsx_cell(sheet: Any, value: Any) -> Any:
    """A cell of a write-only sheet: text always as text (the formula guard), the rest
    as it is."""
    return text_cell(sheet, value) if isinstance(value, str) else xlsx_value(value)


# --- Plain tables: one header row ------------------------------------------------------------


def plain_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A table with one header row as CSV (UTF-8 with a byte-order mark), every cell
    through the formula guard."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(label) for label in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode()


def plain_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A table with one header row as an XLSX workbook of one sheet."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.append([header_cell(sheet, label, HEADER_FONT) for label in header])
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
