"""The limits of an uploaded table, and the rows read so far, checked against them.

What a real reply file holds sets the limits: 问卷星's export of a 17-topic survey rated
on two axes has 34 rating columns, a dozen of its own (number, start and end times, time
taken, source, IP address…) and one column per option of each choice question, 50 to 100
columns in all. The largest real file, 10,000 replies of 100 columns, holds 1,000,000
cells; as XLSX its sheet unpacks to about 35 MB (70 MB if every cell is inline text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import NoReturn

from django.utils.formats import number_format
from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024  # the file as uploaded
MAX_ROWS = 10_000  # rows of replies or invitees, after the header
HEADER_ROWS = 2  # the header, and the second header row of Materia's own export
MAX_BLANK_ROWS = 10_000  # blank rows between rows (blank rows at the end are left out)
MAX_COLUMNS = 256  # 2.5 times the widest real export (and Excel 2003's whole width)
MAX_CELLS = 1_200_000  # cells with a value: 10,000 rows of 120 columns
MAX_CELL_CHARS = 32_767  # one cell: Excel's own limit
MAX_LINE_CHARS = 100_000  # one line of a CSV file: 256 columns of ~400 characters

# An XLSX file is a zip of XML parts.
MAX_PARTS = 1_000  # a workbook of one sheet has about ten
MAX_PART_BYTES = 100 * 1024 * 1024  # one part unpacked (the largest sheet allowed: 35-70 MB)
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # all parts unpacked
MAX_RATIO = 100  # unpacked over packed size of a part: real sheets pack 10 to 15 times
RATIO_FROM_BYTES = 1024 * 1024  # smaller parts may pack as tightly as they like
MAX_XML_ELEMENTS = 6_000_000  # in all parts read (the largest sheet allowed: at most 5 million)
MAX_SHARED_STRINGS = MAX_CELLS  # as many texts as cells: some programs share none
MAX_SHARED_CHARS = 20_000_000  # all shared texts: 10,000 replies × a 2,000-character comment
MAX_LISTED = 65_536  # sheets, relationships or cell formats of a workbook (Excel: 64,000)
# One token of XML (a tag with its attributes, a comment, a processing instruction), as
# bytes: expat 2.5.0, the one in Python 3.11, scans a token it has not seen the end of
# again from its start on every chunk it is given, so one huge token costs the square of
# its length (a 1 MB file holding a 95 MB comment took 72 s). A real part's longest token
# is a tag of a few hundred bytes, and a cell's text is not one token (expat hands it over
# as it comes); the limit is still above the longest cell value, however written: 32,767
# characters (Excel's limit, which counts one beyond U+FFFF as two), 3 bytes each in UTF-8
# or 7 escaped as _xHHHH_, at most 229,369 bytes.
MAX_XML_TOKEN_BYTES = 256 * 1024
# Elements within elements: a sheet's deepest (a rich text cell, a conditional format of
# an extension) is 7 to 10 levels. expat keeps every open element (a 5-million-deep sheet
# took 1.9 GB), so depth is refused as it grows, not counted among the elements.
MAX_XML_DEPTH = 64


@dataclass(frozen=True)
class Scale:
    """The limits that grow with the number of rows. A web request reads under
    request_scale();
    a worker task reads a reply file under BACKGROUND, raised deliberately for the
    largest survey (200,000 replies: no web worker ever reads such a file whole). The
    limits of one cell, one line, the columns, the blank rows, the parts of the zip and
    how tightly they pack stay the same for both: they stop hostile files, not large
    ones."""

    rows: int
    cells: int
    bytes: int
    part_bytes: int
    unpacked_bytes: int
    xml_elements: int
    shared_strings: int
    shared_chars: int
    # Stop (without an error) after this many rows: a request's look at a large file.
    stop_after: int | None = None


# A worker task: 20 times the rows (200,000 replies; 100,000 as Materia's XLSX export
# of 17 topics on two axes is ~15 MB, its sheet ~130 MB unpacked), 10 times the cells.
BACKGROUND = Scale(
    rows=200_000,
    cells=12_000_000,  # 200,000 rows of 60 columns
    bytes=50 * 1024 * 1024,
    part_bytes=600 * 1024 * 1024,  # the largest sheet allowed: about 500 MB
    unpacked_bytes=700 * 1024 * 1024,
    xml_elements=30_000_000,  # 12 million cells of two elements, and their rows
    shared_strings=12_000_000,
    shared_chars=100_000_000,  # 200,000 replies × a 500-character comment
)


def request_scale() -> Scale:
    """The limits of a web request (the module's constants, read when called)."""
    return Scale(
        rows=MAX_ROWS,
        cells=MAX_CELLS,
        bytes=MAX_BYTES,
        part_bytes=MAX_PART_BYTES,
        unpacked_bytes=MAX_UNPACKED_BYTES,
        xml_elements=MAX_XML_ELEMENTS,
        shared_strings=MAX_SHARED_STRINGS,
        shared_chars=MAX_SHARED_CHARS,
    )


def preview_scale() -> Scale:
    """A request's look at a file too large for it (the upload and mapping pages): the
    first MAX_ROWS rows, read under the request's limits, the size of the file and of
    its parts under the worker's (the zip's directory is checked before anything is
    read, and the sheet is read as a stream that stops after those rows)."""
    return replace(
        request_scale(),
        bytes=BACKGROUND.bytes,
        part_bytes=BACKGROUND.part_bytes,
        unpacked_bytes=BACKGROUND.unpacked_bytes,
        stop_after=MAX_ROWS + 1,  # the header and MAX_ROWS rows
    )


_scale: ContextVar[Scale | None] = ContextVar("table_limits", default=None)
_progress: ContextVar[Callable[[float], None] | None] = ContextVar("table_progress", default=None)


def current() -> Scale:
    """The limits of the reading going on: a request's, unless within reading_under."""
    return _scale.get() or request_scale()


@contextmanager
def reading_under(scale: Scale, progress: Callable[[float], None] | None = None) -> Iterator[None]:
    """Read tables under `scale` within the block; `progress` is told the fraction of
    the sheet read so far (0 to 1), now and then."""
    token, told = _scale.set(scale), _progress.set(progress)
    try:
        yield
    finally:
        _scale.reset(token)
        _progress.reset(told)


def reading_progress() -> Callable[[float], None] | None:
    return _progress.get()


class SpreadsheetError(Exception):
    """The file as a whole cannot be read (wrong type, no header, too large)."""


class ReadEnough(Exception):
    """A preview read the rows it wanted; the file has more."""

    def __init__(self, rows: list[list[str]]) -> None:
        super().__init__()
        self.rows = rows


def column_letter(index: int) -> str:
    """Spreadsheet column name: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def grouped(value: int) -> str:
    """A limit as people read it: 1,000,000."""
    return number_format(value, force_grouping=True)


class Rows:
    """The rows read so far. Each cell with a value is checked before it is kept, and
    each row before it is added, so that reading stops at the first limit passed."""

    def __init__(self) -> None:
        self.scale = current()
        self.rows: list[list[str]] = []
        self.kept = 0  # rows with a value
        self.blank = 0  # blank rows kept between them
        self.filled = 0  # cells with a value
        self.texts: dict[str, str] = {}  # short values met, each kept once

    def check_cell(self, line: int, column: int, text: str) -> None:
        """A cell with a value, in row `line` (from 1) and column `column` (from 0)."""
        if column >= MAX_COLUMNS:
            raise SpreadsheetError(
                _(
                    "Column %(column)s has a value in row %(row)d, but at most %(max)d "
                    "columns are read (up to column %(last)s). Delete the columns you do "
                    "not import."
                )
                % {
                    "column": column_letter(column),
                    "row": line,
                    "max": MAX_COLUMNS,
                    "last": column_letter(MAX_COLUMNS - 1),
                }
            )
        if len(text) > MAX_CELL_CHARS:
            refuse_long_cell(line, column)
        self._count(1)

    def check_row(self, line: int, cells: list[str]) -> None:
        """A whole row at once (its last cell has a value), as check_cell checks each."""
        if len(cells) > MAX_COLUMNS:
            column = next(index for index in range(MAX_COLUMNS, len(cells)) if cells[index])
            self.check_cell(line, column, cells[column])
        longest = max(cells, key=len)
        if len(longest) > MAX_CELL_CHARS:
            self.check_cell(line, cells.index(longest), longest)
        self._count(len(cells) - cells.count(""))

    def _count(self, filled: int) -> None:
        self.filled += filled
        if self.filled > self.scale.cells:
            raise SpreadsheetError(
                _(
                    "The file has more than %(max)s cells with a value. Delete the columns "
                    "you do not import, or split the rows into several files."
                )
                % {"max": grouped(self.scale.cells)}
            )

    def shared(self, text: str) -> str:
        """The value as met before, the same object: a million ratings of seven values
        then take the room of seven strings, not of a million."""
        found = self.texts.get(text)
        if found is not None:
            return found
        if len(text) <= 32 and len(self.texts) < 10_000:
            self.texts[text] = text
        return text

    def add(self, line: int, cells: list[str]) -> None:
        """A row with a value (its cells checked), numbered from 1. The blank rows before
        it are kept as empty lists, so that row n of the file is item n - 1."""
        gap = line - len(self.rows) - 1
        if gap < 0:
            return  # a row number given twice, or going back: the first row stays
        self.blank += gap
        if self.blank > MAX_BLANK_ROWS:
            raise SpreadsheetError(
                _("The file has more than %(max)s blank rows between its rows: delete them.")
                % {"max": grouped(MAX_BLANK_ROWS)}
            )
        self.kept += 1
        if self.scale.stop_after is not None and self.kept > self.scale.stop_after:
            raise ReadEnough(self.rows)
        if self.kept > self.scale.rows + HEADER_ROWS:
            raise SpreadsheetError(_("At most %(max)d rows per file.") % {"max": self.scale.rows})
        self.rows.extend([] for _gap in range(gap))
        self.rows.append(cells)


def refuse_long_cell(line: int, column: int) -> NoReturn:
    """The cell in row `line` (from 1) and column `column` (from 0) holds more than a
    cell may."""
    raise SpreadsheetError(
        _("The cell in row %(row)d, column %(column)s, holds more than %(max)s characters.")
        % {"row": line, "column": column_letter(column), "max": grouped(MAX_CELL_CHARS)}
    )


def place(cells: list[str], column: int, text: str) -> None:
    """Put a value in its column of a row (checked: the column is within the limit)."""
    if column < len(cells):
        cells[column] = text
    else:
        cells.extend([""] * (column - len(cells)))
        cells.append(text)
