"""Reading a CSV file (comma, semicolon or tab separated) within the limits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from materiality.importing.tables import limits
from materiality.importing.tables.limits import Rows, SpreadsheetError, grouped

PROGRESS_LINES = 5_000  # a progress report every so many rows


def csv_rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")  # what Excel in Chinese saves as "CSV"
        except UnicodeDecodeError:
            raise SpreadsheetError(_("The CSV file is not UTF-8 or GB18030 text.")) from None
    try:
        dialect: type[csv.Dialect] = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = Rows()
    # One cell is bounded by csv.field_size_limit (131,072 characters, set for the whole
    # process: left as it is), one line by _lines before csv splits it, so that a line of
    # a million commas is refused before it becomes a million cells.
    reader = csv.reader(_lines(text), dialect)
    progress = limits.reading_progress()
    lines = max(text.count("\n"), 1) if progress is not None else 1
    try:
        shared = rows.shared
        for line, row in enumerate(reader, start=1):
            if progress is not None and line % PROGRESS_LINES == 0:
                progress(min(reader.line_num / lines, 1.0))
            cells = [shared(cell.strip()) for cell in row]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                rows.check_row(line, cells)
                rows.add(line, cells)
    except csv.Error:
        raise SpreadsheetError(
            _(
                "Line %(line)d of the CSV file cannot be read: a cell is too long, or a "
                "quotation mark is not closed."
            )
            % {"line": reader.line_num}
        ) from None
    return rows.rows


def _lines(text: str) -> Iterator[str]:
    # newline="": lines end at \n, \r\n or \r and keep their ends, as csv expects.
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > limits.MAX_LINE_CHARS:
            raise SpreadsheetError(
                _("Line %(line)d of the CSV file is longer than %(max)s characters.")
                % {"line": number, "max": grouped(limits.MAX_LINE_CHARS)}
            )
        yield line
