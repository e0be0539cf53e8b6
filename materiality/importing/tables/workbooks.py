"""Reading the first worksheet of an XLSX file within the limits, as a stream.

The zip's directory is checked first (how many parts, how large unpacked, how tightly
packed), before any part is unpacked. Then the few parts needed are read with the
standard library's expat parser, element by element, never as a whole tree: the
content types, the workbook and its relationships, the number formats, the shared
strings (counted while they are read) and the sheet, whose cells are checked one by one
against the limits. A document type declaration is refused, so no entity is expanded;
so are a token of XML longer than any cell (expat would scan it again on every chunk)
and elements nested deeper than a spreadsheet's (expat keeps every open one).

Not openpyxl: it reads every shared string before the first row, makes every row as
wide as the sheet declares itself (`A1:XFD10001`: 16,384 cells a row, whatever the
cells), and reads the largest sheet allowed three to five times slower. The values are
those of openpyxl's read-only mode (the `str()` of its value, numbers turned into dates
by its own helpers and the cell's number format), so that the digests of files imported
before still match; tests/materiality/test_spreadsheet_limits.py compares the two.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from xml.parsers import expat

from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601
from openpyxl.xml.constants import SHARED_STRINGS, XLSM, XLSX, XLTM, XLTX

from materiality.importing.tables import limits
from materiality.importing.tables.limits import Rows, SpreadsheetError, grouped, place

READ_CHUNK = 64 * 1024
PROGRESS_CHUNKS = 64  # a progress report every 4 MB unpacked
_DIGITS = "0123456789"

# What a damaged or foreign file raises on the way: the zip, the XML, a part or a
# relationship missing, a number or a shared-string index that is not one.
_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    expat.ExpatError,
    EOFError,
    OSError,
    KeyError,
    IndexError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)
_WORKBOOK_TYPES = (XLTM, XLTX, XLSM, XLSX)  # in openpyxl's order of preference


def xlsx_rows(content: bytes) -> list[list[str]]:
    try:
        archive = _archive(content)
        names = set(archive.namelist())
        counted = 0  # the elements of the parts read so far, against one budget

        def read(name: str, part: _P, progress: Callable[[float], None] | None = None) -> _P:
            nonlocal counted
            part.elements = counted
            part.max_elements = limits.current().xml_elements
            part.max_depth = limits.MAX_XML_DEPTH
            part.progress = progress
            _parse(archive, name, part)
            counted = part.elements
            return part

        types = read("[Content_Types].xml", _ContentTypes())
        workbook_path = types.workbook_path()
        relationships = _Relationships(posixpath.dirname(workbook_path))
        read(_relationships_path(workbook_path), relationships)
        workbook = read(workbook_path, _Workbook(relationships.sheets, names))
        if workbook.sheet is None:
            raise KeyError("no worksheet")
        styles = _Styles()
        if "xl/styles.xml" in names:  # where openpyxl looks for it
            read("xl/styles.xml", styles)
        strings: list[str] = []
        if SHARED_STRINGS in types.parts:
            strings = read(types.parts[SHARED_STRINGS], _SharedStrings()).strings
        epoch = CALENDAR_MAC_1904 if workbook.date1904 else WINDOWS_EPOCH
        sheet = _Sheet(strings, styles, epoch=epoch)
        return read(workbook.sheet, sheet, limits.reading_progress()).rows.rows
    except _UNREADABLE:
        raise SpreadsheetError(_("The file is not a readable .xlsx workbook.")) from None


def _archive(content: bytes) -> zipfile.ZipFile:
    """The zip, once its parts' sizes are known to be within the limits. The sizes come
    from the zip's directory; zipfile never unpacks more than a part says it holds (and
    then fails on its checksum), so what the parts say bounds what they cost."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    scale = limits.current()
    parts = archive.infolist()
    if len(parts) > limits.MAX_PARTS:
        raise SpreadsheetError(
            _(
                "The workbook has more than %(max)s parts (sheets, images…). Save the sheet "
                "to import in a workbook of its own."
            )
            % {"max": grouped(limits.MAX_PARTS)}
        )
    total = 0
    for part in parts:
        # Deflate unpacks a bounded amount per call; bzip2 and LZMA, which no
        # spreadsheet program writes, would not.
        if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise NotImplementedError(part.compress_type)
        total += part.file_size
        for size, limit in (
            (part.file_size, scale.part_bytes),
            (total, scale.unpacked_bytes),
        ):
            if size > limit:
                raise SpreadsheetError(
                    _(
                        "The workbook unpacks to more than %(max)d MB. Save the sheet to "
                        "import in a workbook of its own, or as CSV."
                    )
                    % {"max": limit // (1024 * 1024)}
                )
        packed = max(part.compress_size, 1)
        if part.file_size > limits.RATIO_FROM_BYTES and part.file_size > limits.MAX_RATIO * packed:
            raise SpreadsheetError(
                _(
                    "The workbook is packed more tightly than a spreadsheet can be (a part "
                    "unpacks to more than %(ratio)d times its size): it is not read."
                )
                % {"ratio": limits.MAX_RATIO}
            )
    return archive


def _local(tag: str) -> str:
    """An element's name without its namespace ("…/main}c" → "c")."""
    return tag[tag.rfind("}") + 1 :]


class _Part:
    """What is kept of one XML part while expat reads it. Every start handler counts
    the elements it is given, after those of the parts read before, against the limit
    of the reading (`limits.current()`), and the elements open, against the depth
    allowed; every end handler closes one."""

    elements = 0
    max_elements = limits.MAX_XML_ELEMENTS
    depth = 0  # the elements open
    max_depth = limits.MAX_XML_DEPTH
    progress: Callable[[float], None] | None = None  # told the fraction read (the sheet)

    def count(self) -> None:
        self.elements += 1
        self.depth += 1
        if self.elements > self.max_elements:
            _too_complex()
        if self.depth > self.max_depth:
            _too_deep()

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.count()

    def end(self, tag: str) -> None:
        self.depth -= 1

    def text(self, data: str) -> None:
        pass


def _too_complex() -> None:
    raise SpreadsheetError(
        _(
            "The workbook is too complex to read: its parts hold more than %(max)s XML "
            "elements. Keep only the rows and columns to import, or save them as CSV."
        )
        % {"max": grouped(limits.current().xml_elements)}
    )


def _too_deep() -> None:
    raise SpreadsheetError(
        _(
            "The workbook's XML has elements nested more than %(max)d levels deep, which no "
            "spreadsheet has: it is not read."
        )
        % {"max": limits.MAX_XML_DEPTH}
    )


def _too_long_token() -> None:
    raise SpreadsheetError(
        _(
            "The workbook holds a value too long for a spreadsheet cell (more than %(max)d KB "
            "of XML in one piece): it is not read."
        )
        % {"max": limits.MAX_XML_TOKEN_BYTES // 1024}
    )


_P = TypeVar("_P", bound=_Part)


def _refuse_doctype(*_args: object) -> None:
    raise ValueError("a document type declaration")  # spreadsheet parts have none


def _parse(archive: zipfile.ZipFile, name: str, part: _Part) -> None:
    """Read one part with expat; its `progress` is told the fraction read every 4 MB.

    Between chunks, what expat holds unfinished (the bytes fed since the start of the
    token it is in: `CurrentByteIndex`, the last event's place, is that start) is kept
    under MAX_XML_TOKEN_BYTES, since expat 2.5.0 scans it again from its start on every
    chunk. Whatever the token (a comment, an attribute, a tag, a processing instruction,
    with or without "<" and ">" in it), a huge one is refused after a few chunks.
    Text is handed over as it comes, so a cell of any length costs a bounded amount
    here; the sheet measures its cells as they grow."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.StartElementHandler = part.start
    parser.EndElementHandler = part.end
    parser.CharacterDataHandler = part.text
    size = max(archive.getinfo(name).file_size, 1)
    progress = part.progress
    longest = limits.MAX_XML_TOKEN_BYTES
    done = fed = 0
    with archive.open(name) as stream:
        while chunk := stream.read(READ_CHUNK):
            parser.Parse(chunk, False)
            fed += len(chunk)
            if fed - parser.CurrentByteIndex > longest:
                _too_long_token()
            done += 1
            if progress is not None and done % PROGRESS_CHUNKS == 0:
                progress(min(done * READ_CHUNK / size, 1.0))
    parser.Parse(b"", True)


def _keep_listing(count: int) -> None:
    if count > limits.MAX_LISTED:
        raise ValueError("too many sheets, relationships or formats")


class _ContentTypes(_Part):
    """Where the workbook and its shared strings are (as openpyxl finds them)."""

    def __init__(self) -> None:
        self.parts: dict[str, str] = {}  # content type → first part of it
        self.defaults: set[str] = set()

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.count()
        local = _local(tag)
        kind = attributes.get("ContentType", "")
        if local == "Override" and kind in (*_WORKBOOK_TYPES, SHARED_STRINGS):
            self.parts.setdefault(kind, attributes.get("PartName", "")[1:])
        elif local == "Default" and kind in _WORKBOOK_TYPES:
            self.defaults.add(kind)

    def workbook_path(self) -> str:
        for kind in _WORKBOOK_TYPES:
            if kind in self.parts:
                return self.parts[kind]
        if self.defaults:
            return "xl/workbook.xml"
        raise KeyError("no workbook")


def _relationships_path(path: str) -> str:
    folder, name = posixpath.split(path)
    return posixpath.join(folder, "_rels", f"{name}.rels")


class _Relationships(_Part):
    """The workbook's sheets by relationship id, as paths in the zip (chart sheets and
    external targets left out)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.sheets: dict[str, str] = {}
        self.listed = 0

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.count()
        if _local(tag) != "Relationship" or attributes.get("TargetMode") == "External":
            return
        self.listed += 1
        _keep_listing(self.listed)
        if "chartsheet" in attributes.get("Type", ""):
            return
        target = attributes.get("Target", "")
        # As openpyxl: from the workbook's folder, or from the root after a "/".
        if target.startswith("/"):
            target = target[1:]
        else:
            target = posixpath.normpath(posixpath.join(self.folder, target))
        self.sheets[attributes.get("Id", "")] = target


class _Workbook(_Part):
    """The first worksheet (openpyxl's `worksheets[0]`) and the date system."""

    def __init__(self, sheets: dict[str, str], names: set[str]) -> None:
        self.sheets = sheets
        self.names = names
        self.sheet: str | None = None
        self.date1904 = False

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.count()
        local = _local(tag)
        if local == "workbookPr":
            self.date1904 = attributes.get("date1904", "false") not in ("false", "f", "0")
        elif local == "sheet" and self.sheet is None:
            for key, value in attributes.items():
                if key.endswith("}id") and self.sheets.get(value) in self.names:
                    self.sheet = self.sheets[value]


class _Styles(_Part):
    """Which cell formats show numbers as dates, times or durations."""

    def __init__(self) -> None:
        self.formats: dict[int, str] = {}  # the workbook's own number formats
        self.cell_formats: list[int] = []  # the number format of each cell format
        self.inside = ""  # "numFmts" or "cellXfs" while in one

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.count()
        local = _local(tag)
        if local in ("numFmts", "cellXfs"):
            self.inside = local
        elif local == "numFmt" and self.inside == "numFmts":
            _keep_listing(len(self.formats) + 1)
            self.formats[int(attributes["numFmtId"])] = attributes.get("formatCode", "")
        elif local == "xf" and self.inside == "cellXfs":
            _keep_listing(len(self.cell_formats) + 1)
            self.cell_formats.append(int(attributes.get("numFmtId", "0")))

    def end(self, tag: str) -> None:
        self.depth -= 1
        if _local(tag) == self.inside:
            self.inside = ""

    def styles(self, test: Callable[[str | None], bool]) -> frozenset[int]:
        """The cell formats (the cells' "s") whose number format passes `test`."""
        return frozenset(
            index
            for index, number in enumerate(self.cell_formats)
            if test(self.formats.get(number, BUILTIN_FORMATS.get(number)))
        )


class _SharedStrings(_Part):
    """The workbook's table of texts, which cells of type "s" point into."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.chars = 0
        self.pieces: list[str] = []
        self.length = 0  # the characters of the text read now
        self.keep = False  # in a <t> of the text (not of a phonetic reading)
        self.phonetic = 0

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.count()
        local = _local(tag)
        if local == "si":
            if len(self.strings) >= limits.current().shared_strings:
                raise SpreadsheetError(
                    _(
                        "The workbook holds more than %(max)s texts. Keep only the rows "
                        "and columns to import, or save them as CSV."
                    )
                    % {"max": grouped(limits.current().shared_strings)}
                )
            self.pieces = []
            self.length = 0
        elif local == "t":
            self.keep = not self.phonetic
        elif local == "rPh":
            self.phonetic += 1

    def end(self, tag: str) -> None:
        self.depth -= 1
        local = _local(tag)
        if local == "t":
            self.keep = False
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "si":
            self.strings.append("".join(self.pieces).replace("x005F_", ""))  # as openpyxl

    def text(self, data: str) -> None:
        if self.keep:
            self.chars += len(data)
            if self.chars > limits.current().shared_chars:
                raise SpreadsheetError(
                    _(
                        "The texts of the workbook hold more than %(max)s characters together. "
                        "Keep only the rows and columns to import, or save them as CSV."
                    )
                    % {"max": grouped(limits.current().shared_chars)}
                )
            self.length += len(data)
            if self.length > limits.MAX_CELL_CHARS:  # no cell could show it
                raise SpreadsheetError(
                    _(
                        "A text of the workbook holds more than %(max)s characters, more "
                        "than a spreadsheet cell can hold: it is not read."
                    )
                    % {"max": grouped(limits.MAX_CELL_CHARS)}
                )
            self.pieces.append(data)


class _Sheet(_Part):
    """The rows of a worksheet, cell by cell. Only cells with a value take room: the
    sheet's declared size is not read, and empty cells are skipped."""

    def __init__(self, strings: list[str], styles: _Styles, *, epoch: datetime) -> None:
        self.rows = Rows()
        self.strings = strings
        self.dates = styles.styles(is_date_format)
        self.durations = styles.styles(is_timedelta_format)
        self.epoch = epoch
        self.line = 0  # the row's number
        self.cells: list[str] = []
        self.column = -1  # the cell's column, from 0
        self.kind = "n"
        self.style = 0
        self.value: list[str] | None = None  # the text of its <v>
        self.inline: list[str] | None = None  # the text of its <is>
        self.target: list[str] | None = None  # where the text read now goes
        self.length = 0  # the characters of the cell's text so far
        self.phonetic = 0
        self.names: dict[str, str] = {}  # element name → without its namespace
        self.letters: dict[str, int] = {}  # column letters → column: "AB" → 27
        self.numbers: dict[str, str] = {}  # a number cell's <v> → its text

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.elements += 1  # as count(), inline: a sheet has millions of elements
        self.depth += 1
        if self.elements > self.max_elements:
            _too_complex()
        if self.depth > self.max_depth:
            _too_deep()
        local = self.names.get(tag) or self._name(tag)
        if local == "c":
            reference = attributes.get("r")
            if reference is None:
                self.column += 1
            else:
                letters = reference.rstrip(_DIGITS)
                column = self.letters.get(letters)
                if column is None:
                    column = _column(letters)
                    if len(letters) <= 3:  # at most 18,278 of them
                        self.letters[letters] = column
                self.column = column
            self.kind = attributes.get("t", "n")
            style = attributes.get("s")
            self.style = int(style) if style else 0
            self.value = self.inline = None
            self.length = 0
        elif local == "v":
            self.value = self.target = []
        elif local == "row":
            number = attributes.get("r")
            self.line = _row_number(number) if number else self.line + 1
            self.cells = []
            self.column = -1
        elif local == "is":
            self.inline = []
        elif local == "t":
            if self.inline is not None and not self.phonetic:
                self.target = self.inline
        elif local == "rPh":
            self.phonetic += 1

    def end(self, tag: str) -> None:
        self.depth -= 1
        local = self.names.get(tag) or self._name(tag)
        if local == "c":
            value = self.rows.shared(self._cell().strip())
            if value:
                self.rows.check_cell(self.line, self.column, value)
                if self.column == len(self.cells):
                    self.cells.append(value)
                else:
                    place(self.cells, self.column, value)
        elif local in ("v", "t"):
            self.target = None
        elif local == "row":
            if self.cells:
                self.rows.add(self.line, self.cells)
                self.cells = []
        elif local == "rPh":
            self.phonetic -= 1

    def text(self, data: str) -> None:
        if self.target is not None:
            # Measured as it grows, not once whole: a cell of 400 MB is refused before
            # it is held.
            self.length += len(data)
            if self.length > limits.MAX_CELL_CHARS:
                limits.refuse_long_cell(self.line, self.column)
            self.target.append(data)

    def _name(self, tag: str) -> str:
        local = _local(tag)
        if len(self.names) < 100:  # a sheet uses a few dozen names
            self.names[tag] = local
        return local

    def _cell(self) -> str:
        """The cell's value as text, as `str()` of openpyxl's value (data only)."""
        kind = self.kind
        if kind == "inlineStr":
            return "" if self.inline is None else "".join(self.inline)
        raw = "" if self.value is None else "".join(self.value)
        if not raw:
            return ""
        if kind == "n":
            if self.style not in self.dates:
                text = self.numbers.get(raw)
                if text is None:
                    text = str(_number(raw))
                    if len(self.numbers) < 1_000:
                        self.numbers[raw] = text
                return text  # one "5" for every rating 5, not a million copies
            number = _number(raw)
            try:
                when = from_excel(number, self.epoch, timedelta=self.style in self.durations)
            except (OverflowError, ValueError):
                return "#VALUE!"
            return str(when)
        if kind == "s":
            return self.strings[int(raw)]
        if kind == "b":
            return str(bool(int(raw)))
        if kind == "d":
            return str(from_ISO8601(raw))
        return raw  # "str" (a formula's text), "e" (an error such as #N/A)


def _number(raw: str) -> int | float:
    return float(raw) if "." in raw or "e" in raw or "E" in raw else int(raw)  # as openpyxl


def _column(reference: str) -> int:
    """The column of a cell reference, from 0 ("B7" → 1). Stops counting past the
    widest sheet, so that a reference of a million letters costs no more."""
    index = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            index = index * 26 + ord(char) - 96
        elif char != "$":
            break
        if index > 16_384:
            break
    if not index:
        raise ValueError(f"not a cell reference: {reference[:20]!r}")
    return index - 1


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text)  # some programs write "5.0"; openpyxl reads it
        if not number.is_integer():
            raise
        return int(number)
