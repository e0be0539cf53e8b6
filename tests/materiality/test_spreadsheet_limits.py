"""Small files that describe huge ones are refused with a message, and the work spent on
them is bounded: zip bombs, millions of shared strings, sheets that declare 16,384
columns, values beyond the last column read, blank rows by the hundred thousand, CSV
lines of a million commas. Each hostile file is built here, sent through the real upload
views (replies and invitees), and the test checks what was read (the parts unpacked,
the rows kept, the memory taken), never how long it took.

Also: what the reader gives for a cell is what openpyxl's read-only mode gave before it
(numbers, dates by their format, booleans, texts shared, inline or rich), so that files
imported before keep their digests."""

from __future__ import annotations

import io
import random
import re
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from materiality.importing import tables as tables_package
from materiality.importing.tables import limits, read_table, workbooks
from materiality.models import Assessment
from tests.materiality.test_reply_import import logged_in, replies_table, xlsx_bytes

# The limits' messages are read in English.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
MB = 1024 * 1024


# --- Files ----------------------------------------------------------------------------


def base_workbook() -> bytes:
    """A workbook as openpyxl writes it: one sheet, an invitee under its header."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["email", "group"])
    sheet.append(["a@example.com", "employees"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_xml(rows: bytes, dimension: str | None = None) -> bytes:
    """A worksheet of these rows; it declares its size only when given one (openpyxl
    trusts a declared size: rows and columns beyond it are not read)."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    head = f'<worksheet xmlns="{MAIN}">{declared}<sheetData>'
    return head.encode() + rows + b"</sheetData></worksheet>"


def strings_xml(items: bytes) -> bytes:
    return f'<sst xmlns="{MAIN}">'.encode() + items + b"</sst>"


def inline_row(number: int, *cells: tuple[str, str]) -> bytes:
    """A row of inline-text cells, each given as (reference, text)."""
    inner = "".join(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>' for ref, text in cells)
    return f'<row r="{number}">{inner}</row>'.encode()


def rebuilt(
    content: bytes,
    replaced: dict[str, bytes],
    *,
    transform: Callable[[str, bytes], bytes] = lambda _name, data: data,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """The workbook with some parts replaced or added (shared strings are declared in
    the content types, where openpyxl and Materia look for them)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", compression, compresslevel=9) as target,
    ):
        names = source.namelist()
        for name in names:
            data = replaced.get(name, source.read(name))
            if name == "[Content_Types].xml" and STRINGS in replaced and STRINGS not in names:
                override = f'<Override PartName="/{STRINGS}" ContentType="{STRINGS_TYPE}"/>'
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            target.writestr(name, transform(name, data))
        for name, data in replaced.items():
            if name not in names:
                target.writestr(name, data)
    return out.getvalue()


def workbook(rows: bytes, *, dimension: str | None = None, strings: bytes | None = None) -> bytes:
    parts = {SHEET: sheet_xml(rows, dimension)}
    if strings is not None:
        parts[STRINGS] = strings_xml(strings)
    return rebuilt(base_workbook(), parts)


def invitee_rows(count: int, start: int = 2) -> bytes:
    return inline_row(1, ("A1", "email"), ("B1", "group")) + b"".join(
        inline_row(line, (f"A{line}", f"p{line}@example.com"), (f"B{line}", "employees"))
        for line in range(start, start + count)
    )


# --- Through the pages ----------------------------------------------------------------


def post_file(client: Any, url: str, name: str, content: bytes) -> Any:
    file = io.BytesIO(content)
    file.name = name
    return client.post(url, {"file": file})


def reply_upload(user: Any, assessment: Assessment, name: str, content: bytes) -> Any:
    url = reverse("materiality:replies-import", args=[assessment.pk])
    return post_file(logged_in(user), url, name, content)


def invitee_upload(user: Any, assessment: Assessment, name: str, content: bytes) -> Any:
    url = reverse("materiality:invitations-upload", args=[assessment.pk])
    return post_file(logged_in(user), url, name, content)


def refused(response: Any, message: str) -> None:
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page, re.sub(r"\s+", " ", page)[-3000:]


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The workbook parts the reader unpacks and parses, in order."""
    names: list[str] = []
    parse = workbooks._parse

    def spy(archive: zipfile.ZipFile, name: str, part: Any) -> None:
        names.append(name)
        parse(archive, name, part)

    monkeypatch.setattr(workbooks, "_parse", spy)
    return names


@pytest.fixture
def added_rows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The numbers of the rows the reader kept, as it kept them."""
    lines: list[int] = []
    add = limits.Rows.add

    def spy(self: limits.Rows, line: int, cells: list[str]) -> None:
        add(self, line, cells)
        lines.append(line)

    monkeypatch.setattr(limits.Rows, "add", spy)
    return lines


@pytest.fixture
def tables_read(monkeypatch: pytest.MonkeyPatch) -> list[list[list[str]]]:
    """Every table the reply import reads: at the upload and on the mapping page."""
    tables: list[list[list[str]]] = []
    # The pages read through read_table_start, which reads with the package's read_table.
    read = tables_package.read_table

    def spy(name: str, content: bytes) -> list[list[str]]:
        table = read(name, content)
        tables.append(table)
        return table

    monkeypatch.setattr(tables_package, "read_table", spy)
    return tables


def memory_peak(work: Callable[[], object]) -> int:
    """The most memory Python held at once while doing `work`, in bytes."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- Zip bombs and shared strings -----------------------------------------------------


def test_a_zip_bomb_is_refused_from_the_zips_directory_before_any_part_is_unpacked(
    esg_user: Any, open_assessment: Assessment, parsed: list[str]
) -> None:
    # 5 MB of one row repeated: it packs into a few kilobytes.
    row = b'<row><c t="inlineStr"><is><t>5</t></is></c><c><v>5</v></c></row>'
    content = workbook(row * (5 * MB // len(row)))
    assert len(content) < 64 * 1024

    response = reply_upload(esg_user, open_assessment, "replies.xlsx", content)

    refused(response, "The workbook is packed more tightly than a spreadsheet can be")
    assert parsed == []


def test_two_million_shared_strings_are_refused_before_one_is_read(
    esg_user: Any, open_assessment: Assessment, parsed: list[str]
) -> None:
    # The invitee list of the report: 2,000,000 shared strings in about 100 KB.
    content = workbook(invitee_rows(3), strings=b"<si><t>x</t></si>" * 2_000_000)
    assert len(content) < 200 * 1024

    response = invitee_upload(esg_user, open_assessment, "people.xlsx", content)

    refused(response, "The workbook is packed more tightly than a spreadsheet can be")
    assert parsed == []


@pytest.mark.parametrize(
    ("limit", "value", "strings", "message"),
    [
        (
            "MAX_SHARED_STRINGS",
            1_000,
            b"".join(b"<si><t>%d</t></si>" % number for number in range(1_001)),
            "The workbook holds more than 1,000 texts.",
        ),
        (
            "MAX_SHARED_CHARS",
            10_000,
            b"<si><t>" + b"x" * 10_001 + b"</t></si>",
            "The texts of the workbook hold more than 10,000 characters together.",
        ),
    ],
)
def test_shared_strings_are_counted_as_they_are_read_and_the_sheet_is_then_not_read(
    monkeypatch: pytest.MonkeyPatch,
    esg_user: Any,
    open_assessment: Assessment,
    parsed: list[str],
    limit: str,
    value: int,
    strings: bytes,
    message: str,
) -> None:
    monkeypatch.setattr(limits, limit, value)  # the real limits take seconds to reach
    content = workbook(inline_row(1, ("A1", "email")), strings=strings)

    response = invitee_upload(esg_user, open_assessment, "people.xlsx", content)

    refused(response, message)
    assert STRINGS in parsed
    assert SHEET not in parsed


# --- Declared sizes, columns, rows ----------------------------------------------------


def declaring(dimension: str) -> Callable[[str, bytes], bytes]:
    def transform(name: str, data: bytes) -> bytes:
        return re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), data)

    return transform


def test_a_sheet_declaring_16384_columns_is_read_by_its_cells_at_upload_and_on_each_visit(
    esg_user: Any, open_assessment: Assessment, tables_read: list[list[list[str]]]
) -> None:
    # As the reply file of the report (18 KB, 2,001 rows, whose mapping page timed out on
    # every visit): 2,000 replies in a sheet that says it spans A1:XFD2001.
    table = replies_table(open_assessment, 2_000)
    content = rebuilt(xlsx_bytes(table), {}, transform=declaring("A1:XFD2001"))
    client = logged_in(esg_user)
    url = reverse("materiality:replies-import", args=[open_assessment.pk])

    response = post_file(client, url, "replies.xlsx", content)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert client.get(response["Location"]).status_code == 200

    assert len(tables_read) == 2  # at the upload, and again on the mapping page
    for read in tables_read:
        assert len(read) == 2_001
        assert max(len(row) for row in read) == len(table[0])  # not 16,384


def test_a_sheet_declaring_16384_columns_takes_the_memory_of_its_cells() -> None:
    content = workbook(invitee_rows(299), dimension="A1:XFD300")
    tables: list[list[list[str]]] = []

    peak = memory_peak(lambda: tables.append(read_table("people.xlsx", content)))

    assert len(tables[0]) == 300
    # A row of 16,384 cells takes 128 KB: 300 of them, 38 MB.
    assert peak < 4 * MB


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_value_beyond_the_last_column_read_is_refused_with_where_it_is(
    esg_user: Any, open_assessment: Assessment, kind: str
) -> None:
    if kind == "xlsx":
        far = inline_row(3, ("A3", "b@example.com"), ("B3", "employees"), ("XFD3", "x"))
        content = workbook(invitee_rows(1) + far, dimension="A1:XFD3")
        where = "Column XFD has a value in row 3"
    else:
        content = b"email,group\na@example.com,employees" + b",x" * 300 + b"\n"
        where = "Column IW has a value in row 2"  # the 257th column

    response = invitee_upload(esg_user, open_assessment, f"people.{kind}", content)

    refused(response, where)
    refused(response, "at most 256 columns are read (up to column IV)")


def test_rows_past_the_limit_are_refused_and_no_row_after_it_is_read(
    esg_user: Any, open_assessment: Assessment, added_rows: list[int]
) -> None:
    # A file may hold its header, the label row of Materia's own export and 10,000 rows:
    # 10,002 rows with a value. This one has 10,006, and the 10,003rd stops the reading.
    content = workbook(invitee_rows(limits.MAX_ROWS + 5))

    response = invitee_upload(esg_user, open_assessment, "people.xlsx", content)

    refused(response, "At most 10000 rows per file.")
    assert added_rows == list(range(1, limits.MAX_ROWS + limits.HEADER_ROWS + 1))


def test_the_largest_file_allowed_is_read_whole() -> None:
    rows = read_table("people.xlsx", workbook(invitee_rows(limits.MAX_ROWS + 1)))
    assert len(rows) == limits.MAX_ROWS + limits.HEADER_ROWS
    assert rows[-1] == [f"p{limits.MAX_ROWS + 2}@example.com", "employees"]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_row_far_below_the_others_is_refused_not_dropped(
    esg_user: Any, open_assessment: Assessment, added_rows: list[int], kind: str
) -> None:
    # A row 500,000 (openpyxl stopped at row 10,002 and dropped it without a word).
    if kind == "xlsx":
        far = inline_row(500_000, ("A500000", "z@example.com"), ("B500000", "employees"))
        content = workbook(invitee_rows(1) + far)
    else:
        content = b"email,group\na@example.com,employees\n" + b"\n" * 499_997
        content += b"z@example.com,employees\n"

    response = invitee_upload(esg_user, open_assessment, f"people.{kind}", content)

    refused(response, "The file has more than 10,000 blank rows between its rows")
    assert added_rows == [1, 2]


def test_blank_rows_after_the_last_row_are_left_out() -> None:
    content = b"email,group\na@example.com,employees\n" + b",\n" * 200_000
    assert read_table("people.csv", content) == [["email", "group"], ["a@example.com", "employees"]]


# --- CSV ------------------------------------------------------------------------------


def test_a_csv_line_of_a_million_commas_is_refused_before_it_is_split(
    esg_user: Any, open_assessment: Assessment, added_rows: list[int]
) -> None:
    content = b"Respondent ID,Stakeholder group\nR1," + b"," * 1_000_000 + b"x\n"

    response = reply_upload(esg_user, open_assessment, "replies.csv", content)

    refused(response, "Line 2 of the CSV file is longer than 100,000 characters.")
    assert added_rows == [1]


def test_a_csv_cell_longer_than_csv_reads_is_refused_not_an_error(
    esg_user: Any, open_assessment: Assessment
) -> None:
    # A quotation mark opened and never closed: the rest of the file is one cell.
    lines = b"".join(b"p%d@example.com,employees\n" % number for number in range(20_000))
    content = b'email,group\n"a@example.com,employees\n' + lines

    response = invitee_upload(esg_user, open_assessment, "people.csv", content)

    refused(response, "Line ")
    refused(response, "of the CSV file cannot be read: a cell is too long")


def test_a_cell_longer_than_excel_allows_is_refused(
    esg_user: Any, open_assessment: Assessment
) -> None:
    content = b"Respondent ID,Comment\nR1," + b"x" * 40_000 + b"\n"

    response = reply_upload(esg_user, open_assessment, "replies.csv", content)

    refused(response, "The cell in row 2, column B, holds more than 32,767 characters.")


# --- The other limits, one by one -----------------------------------------------------


def random_cells(rows: int) -> bytes:
    """Rows of numbers that do not pack well (about 10 times, like real sheets)."""
    rng = random.Random(3)
    return b"".join(
        b"<row>"
        + b"".join(b"<c><v>%d</v></c>" % rng.randrange(10**9) for _ in range(20))
        + b"</row>"
        for _ in range(rows)
    )


@pytest.mark.parametrize(
    ("limit", "value", "content", "message"),
    [
        ("MAX_CELLS", 100, lambda: workbook(invitee_rows(60)), "more than 100 cells with a value"),
        (
            "MAX_XML_ELEMENTS",
            1_000,
            lambda: workbook(invitee_rows(200)),
            "its parts hold more than 1,000 XML elements",
        ),
        ("MAX_PART_BYTES", MB, lambda: workbook(random_cells(5_000)), "unpacks to more than 1 MB"),
        ("MAX_UNPACKED_BYTES", MB, lambda: workbook(random_cells(5_000)), "more than 1 MB"),
        ("MAX_PARTS", 5, lambda: workbook(invitee_rows(1)), "has more than 5 parts"),
    ],
)
def test_each_limit_refuses_a_workbook_with_its_message(
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
    value: int,
    content: Callable[[], bytes],
    message: str,
) -> None:
    data = content()
    monkeypatch.setattr(limits, limit, value)
    with pytest.raises(limits.SpreadsheetError, match=re.escape(message)):
        read_table("file.xlsx", data)


def test_a_part_packed_other_than_by_deflate_is_not_unpacked(parsed: list[str]) -> None:
    # bzip2 unpacks a whole block at once, however large it turns out to be.
    content = rebuilt(base_workbook(), {}, compression=zipfile.ZIP_BZIP2)
    with pytest.raises(limits.SpreadsheetError, match=r"not a readable \.xlsx workbook"):
        read_table("people.xlsx", content)
    assert parsed == []


def test_entities_are_not_expanded(added_rows: list[int]) -> None:
    laughs = (
        b'<!DOCTYPE worksheet [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    rows = b'<row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c></row>'
    content = rebuilt(base_workbook(), {SHEET: laughs + sheet_xml(rows)})
    with pytest.raises(limits.SpreadsheetError, match=r"not a readable \.xlsx workbook"):
        read_table("people.xlsx", content)
    assert added_rows == []


# --- One token, one cell, nesting -----------------------------------------------------


def long_token(kind: str, size: int) -> bytes:
    """A row holding one XML token of about `size` bytes, of the given kind."""
    cell = b'<c r="A2" t="inlineStr"><is><t>x</t></is></c>'
    if kind == "comment":
        return b'<row r="2">' + cell + b"<!--" + b"a" * size + b"--></row>"
    if kind == "comment with markup":  # never a long run without "<" or ">"
        return b'<row r="2">' + cell + b"<!--" + b"<b>a</b>" * (size // 8) + b"--></row>"
    if kind == "attribute":
        value = b"a>" * (size // 2)
        return b'<row r="2"><c r="A2" t="inlineStr" x="' + value + b'"><is><t>x</t></is></c></row>'
    if kind == "attributes":
        many = b"".join(b' a%d="1"' % number for number in range(size // 8))
        return b'<row r="2"' + many + b">" + cell + b"</row>"
    if kind == "processing instruction":
        return b'<row r="2">' + cell + b"<?x " + b"<a>" * (size // 3) + b"?></row>"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["comment", "comment with markup", "attribute", "attributes", "processing instruction"]
)
def test_an_xml_token_longer_than_any_cell_is_refused_as_it_is_read(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # expat 2.5.0 scans an unfinished token again on every chunk: a 1 MB file holding a
    # 95 MB comment kept a web worker for 72 s. Here: chunks of 1 KB, tokens over 8 KB
    # refused, a token of 64 KB.
    monkeypatch.setattr(workbooks, "READ_CHUNK", 1024)
    monkeypatch.setattr(limits, "MAX_XML_TOKEN_BYTES", 8 * 1024)
    content = workbook(inline_row(1, ("A1", "email")) + long_token(kind, 64 * 1024))

    with pytest.raises(limits.SpreadsheetError, match="holds a value too long for a spreadsheet"):
        read_table("people.xlsx", content)


def test_a_workbook_holding_a_long_comment_is_refused_at_the_upload(
    esg_user: Any, open_assessment: Assessment
) -> None:
    # The real limit (256 KB); the comment packs into a few kilobytes.
    content = workbook(invitee_rows(1) + long_token("comment", 900 * 1024))
    assert len(content) < 64 * 1024

    response = invitee_upload(esg_user, open_assessment, "people.xlsx", content)

    refused(response, "The workbook holds a value too long for a spreadsheet cell")


def test_elements_nested_deeper_than_a_spreadsheets_are_refused_as_they_open(
    esg_user: Any, open_assessment: Assessment, added_rows: list[int]
) -> None:
    # expat keeps every open element: 5 million of them nested took 1.9 GB.
    nested = b"<x>" * 70 + b"</x>" * 70
    deep = b'<row r="3"><c r="A3" t="inlineStr"><is>' + nested + b"</is></c></row>"
    content = workbook(invitee_rows(1) + deep)

    response = reply_upload(esg_user, open_assessment, "replies.xlsx", content)

    refused(response, "elements nested more than 64 levels deep")
    assert added_rows == [1, 2]


def test_a_huge_cell_is_refused_before_it_is_held() -> None:
    # 1.5 million characters in one cell, packed no tighter than a real sheet: the cell
    # was held whole, and joined, before its length was checked (a 420 MB cell took a
    # worker to 970 MB). Now it is refused once past 32,767 characters.
    text = random.Random(5).randbytes(3 * MB // 4).hex().encode()
    content = workbook(inline_row(1, ("A1", "email")) + inline_row(2, ("A2", text.decode())))
    errors: list[str] = []

    def read() -> None:
        try:
            read_table("people.xlsx", content)
        except limits.SpreadsheetError as error:
            errors.append(str(error))

    peak = memory_peak(read)

    assert errors == ["The cell in row 2, column A, holds more than 32,767 characters."]
    assert peak < MB


def test_a_shared_text_longer_than_any_cell_is_refused() -> None:
    strings = b"<si><t>email</t></si><si><t>" + b"x" * 40_000 + b"</t></si>"
    content = workbook(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>', strings=strings)

    message = "A text of the workbook holds more than 32,767 characters"
    with pytest.raises(limits.SpreadsheetError, match=message):
        read_table("people.xlsx", content)


@pytest.mark.parametrize("shared", [True, False])
def test_a_cell_as_long_as_excel_allows_is_read(shared: bool) -> None:
    # 32,767 characters, among them ones written longest in the XML: "&" as "&amp;",
    # Chinese in three bytes, a line break.
    text = ("中&<\n" * 8_192)[:32_767]
    if shared:
        content = xlsx_bytes([["Comment"], [text]])
    else:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;")
        row = f'<row r="2"><c r="A2" t="inlineStr"><is><t>{escaped}</t></is></c></row>'
        content = workbook(inline_row(1, ("A1", "Comment")) + row.encode())

    assert read_table("replies.xlsx", content) == [["Comment"], [text]]


# --- The values, as openpyxl read them ------------------------------------------------


def openpyxl_table(content: bytes) -> list[list[str]]:
    """The table as read_table read it with openpyxl's read-only mode (rows as wide as
    their last value, no blank rows at the end)."""
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    table = []
    for values in book.worksheets[0].iter_rows(values_only=True):
        row = ["" if value is None else str(value).strip() for value in values]
        while row and not row[-1]:
            row.pop()
        table.append(row)
    while table and not table[-1]:
        table.pop()
    return table


@pytest.mark.parametrize("epoch", ["1900", "1904"])
def test_cells_read_as_openpyxl_reads_them(epoch: str) -> None:
    book = Workbook()
    if epoch == "1904":
        book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    assert sheet is not None
    sheet.append(["Text", "整数", "Decimal", "Large", "Yes", "When", "Day", "Hour"])
    sheet.append(["  padded  ", 5, 4.5, 12345678901234567890, True, datetime(2021, 5, 1, 9, 5, 37)])
    sheet.append(["中文", -3, 0.1, 1e20, False, date(2021, 5, 1), time(9, 5), timedelta(hours=30)])
    sheet.append([None, None, "=SUM(B2:B3)", None, None, None, None, "N/A"])
    sheet.append([])
    sheet.append(["after a blank row", 7.0, 2.5e-7])
    sheet["C6"].number_format = "0.00%"
    sheet["B6"].number_format = "yyyy/m/d h:mm"  # a workbook's own date format
    out = io.BytesIO()
    book.save(out)
    content = out.getvalue()

    assert read_table("file.xlsx", content) == openpyxl_table(content)


def test_shared_rich_and_inline_texts_read_as_openpyxl_reads_them() -> None:
    # As Excel and WPS write: shared strings (one of them rich text with a phonetic
    # reading), a prefixed namespace, cells without references, errors, formula texts.
    strings = (
        b"<x:si><x:t>Group</x:t></x:si>"
        b'<x:si><x:r><x:t xml:space="preserve">Very </x:t></x:r><x:r><x:rPr><x:b/></x:rPr>'
        b'<x:t>important</x:t></x:r><x:rPh sb="0" eb="1"><x:t>ignored</x:t></x:rPh></x:si>'
        b"<x:si><x:t>a_x005F_x000D_b</x:t></x:si>"
    )
    rows = (
        b'<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c>'
        b'<x:c r="D1" t="inlineStr"><x:is><x:r><x:t>in</x:t></x:r><x:r><x:t>line</x:t></x:r>'
        b"</x:is></x:c></x:row>"
        b'<x:row r="3"><x:c r="B3" t="e"><x:v>#N/A</x:v></x:c><x:c r="C3" t="str">'
        b'<x:f>A1&amp;A1</x:f><x:v>GroupGroup</x:v></x:c><x:c r="D3" t="s"><x:v>2</x:v>'
        b'</x:c><x:c r="E3" t="b"><x:v>1</x:v></x:c><x:c r="F3" t="d">'
        b'<x:v>2021-05-01T09:05:00</x:v></x:c><x:c r="G3"/><x:c r="H3"><x:v></x:v></x:c>'
        b"</x:row>"
    )
    sheet = (
        f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>'.encode()
        + rows
        + b"</x:sheetData></x:worksheet>"
    )
    content = rebuilt(
        base_workbook(),
        {SHEET: sheet, STRINGS: f'<x:sst xmlns:x="{MAIN}">'.encode() + strings + b"</x:sst>"},
    )

    table = read_table("file.xlsx", content)

    assert table == openpyxl_table(content)
    assert table[0] == ["Group", "Very important", "", "inline"]
