"""The register as XLSX: names not codes, both header rows, and back again."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook

from materiality.double.models import DoubleAssessment, Iro
from materiality.double.register import iro_create
from materiality.double.spreadsheet import PATH_SEPARATOR, register_import, register_xlsx
from tests.double.conftest import risk_input

pytestmark = pytest.mark.django_db


def sheet_rows(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_export_names_things_in_the_language_asked_for(
    dma: DoubleAssessment, impact: Iro, risk: Iro
) -> None:
    english = sheet_rows(register_xlsx(dma, "en"))
    codes, labels, first = english[0], english[1], english[2]
    assert codes[:4] == ["reference", "matter", "matter_reference", "kind"]
    assert labels[:4] == ["Reference", "Matter", "Paragraph or article", "Kind"]
    row = dict(zip(codes, first, strict=True))
    assert row["matter"] == PATH_SEPARATOR.join(
        [
            "Consumers and end-users",
            "Information-related impacts for consumers and/or end-users",
            "Privacy",
        ]
    )
    assert (row["kind"], row["polarity"], row["human_rights"]) == ("Impact", "Negative", "Yes")
    assert row["horizons"] == "Short term; Medium term"
    assert (row["title_en"], row["title_zh-hans"]) == ("Leak of customer data", "客户数据泄露")
    chinese = sheet_rows(register_xlsx(dma, "zh-hans"))
    assert chinese[2][1].startswith("消费者和终端用户" + PATH_SEPARATOR)
    assert len(english) == 4  # two header rows, two IROs


def test_a_formula_in_a_title_is_written_as_text(dma: DoubleAssessment) -> None:
    iro_create(dma=dma, data=risk_input(title={"en": '=HYPERLINK("http://x")'}))
    sheet = load_workbook(io.BytesIO(register_xlsx(dma, "en"))).worksheets[0]
    cell = next(c for c in sheet[3] if c.value and str(c.value).startswith("="))
    assert cell.data_type == "s"


def test_the_export_reads_back_unchanged_and_an_edited_row_updates_its_iro(
    dma: DoubleAssessment, impact: Iro, risk: Iro, esg_user: Any
) -> None:
    content = register_xlsx(dma, "zh-hans")
    result = register_import(dma=dma, name="register.xlsx", content=content, actor=esg_user)
    assert (result.created, result.updated, result.errors) == (0, 2, [])
    impact.refresh_from_db()
    assert impact.horizons == ["short", "medium"]
    assert impact.human_rights is True

    rows = sheet_rows(register_xlsx(dma, "en"))
    rows[2][rows[0].index("actuality")] = "Actual"
    rows[2][rows[0].index("stakeholders")] = "Customers; Nature"
    new = list(rows[3])
    new[0] = None  # no reference: a new IRO
    new[rows[0].index("title_en")] = "Green bond demand"
    new[rows[0].index("kind")] = "opportunity"
    rows.append(new)
    result = register_import(dma=dma, name="register.xlsx", content=workbook(rows))
    assert (result.created, result.updated, result.errors) == (1, 2, [])
    impact.refresh_from_db()
    assert (impact.actuality, impact.stakeholders) == ("actual", ["Customers", "nature"])
    added = dma.iros.get(reference="IRO-003")
    assert (added.kind, added.title["en"]) == ("opportunity", "Green bond demand")


def test_row_mistakes_are_reported_by_row_and_nothing_is_stored(
    dma: DoubleAssessment, impact: Iro
) -> None:
    rows = sheet_rows(register_xlsx(dma, "en"))
    header = rows[0]
    rows[2][header.index("polarity")] = "Sideways"
    rows[2][header.index("title_en")] = "Changed"
    wrong_matter = list(rows[2])
    wrong_matter[0] = "NEW-1"
    wrong_matter[header.index("matter")] = "Privacy"  # three matters have that name
    wrong_matter[header.index("polarity")] = "Negative"
    rows.append(wrong_matter)
    result = register_import(dma=dma, name="register.xlsx", content=workbook(rows))
    assert [(e.row, e.messages) for e in result.errors] == [
        (
            3,
            [
                "“Sideways” is not a choice of Negative or positive.",
                "Say whether the impact is negative or positive.",
            ],
        ),
        (
            4,
            [
                "“Privacy” names several matters: give its full path, such as "
                + PATH_SEPARATOR.join(["Own workforce", "Other work-related rights", "Privacy."])
            ],
        ),
    ]
    impact.refresh_from_db()
    assert impact.title["en"] == "Leak of customer data"
    assert not dma.iros.filter(reference="NEW-1").exists()


def test_a_file_without_the_needed_columns_or_not_a_workbook_is_refused(
    dma: DoubleAssessment,
) -> None:
    with pytest.raises(ValidationError) as caught:
        register_import(dma=dma, name="x.xlsx", content=workbook([["Reference", "Notes"]]))
    assert caught.value.messages == [
        "The file has no column for: matter, kind, source, title. Start from an exported register."
    ]
    with pytest.raises(ValidationError) as caught:
        register_import(dma=dma, name="x.xlsx", content=b"not a zip")
    assert caught.value.messages == ["The file is not a readable .xlsx workbook."]
