"""The outputs as one XLSX workbook per document, a sheet per output, every cell through
the site's formula and control-character guard (`reporting/spreadsheets.py`)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils import translation
from openpyxl import Workbook

from materiality.double.outputs.selectors import DmaOutputs
from materiality.double.outputs.wording import labels, yes_no
from materiality.reporting.spreadsheets import HEADER_FONT, header_cell, sheet_title, xlsx_cell


def _sheet(
    workbook: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.append([header_cell(sheet, label, HEADER_FONT) for label in header])
    for row in rows:
        sheet.append([xlsx_cell(sheet, float(v) if isinstance(v, Decimal) else v) for v in row])


def outputs_xlsx(outputs: DmaOutputs, document: str) -> bytes:
    """`document` is "esrs" or "exchanges"; the caller checks it is not refused."""
    with translation.override(outputs.language):
        t = labels()
        workbook = Workbook(write_only=True)
        if document == "esrs":
            _esrs(workbook, outputs, t)
        else:
            _exchanges(workbook, outputs, t)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


def _esrs(workbook: Workbook, outputs: DmaOutputs, t: dict[str, str]) -> None:
    _sheet(
        workbook,
        t["results_sheet"],
        [
            t["matter"],
            t["framework"],
            t["reference"],
            t["impact_score"],
            t["financial_score"],
            t["impact_material"],
            t["financial_material"],
            t["computed"],
            t["final"],
            t["notes"],
        ],
        (
            [
                "    " * row.depth + row.name,
                row.framework,
                row.reference,
                row.impact_score,
                row.financial_score,
                yes_no(row.impact_final, t),
                yes_no(row.financial_final, t),
                t["material"] if row.computed else t["not_material"],
                t["material"] if row.material else t["not_material"],
                "\n".join(row.notes),
            ]
            for row in outputs.matters
        ),
    )
    _sheet(
        workbook,
        "SBM-3",
        [
            t["iro_reference"],
            t["title"],
            t["description"],
            t["kind"],
            t["character"],
            t["matter"],
            t["value_chain"],
            t["horizons"],
            t["stakeholders"],
            t["financial_effect"],
            t["source"],
            t["score"],
        ],
        (
            [
                r.reference,
                r.title,
                r.description,
                r.kind,
                r.character,
                r.matter,
                r.value_chain,
                r.horizons,
                r.stakeholders,
                r.financial_effect,
                r.source,
                r.score,
            ]
            for r in outputs.register
        ),
    )
    _sheet(
        workbook,
        "IRO-1",
        [t["point"], t["title"], t["known"], t["team_adds"]],
        ([f"§53 ({p.code})", p.title, "\n".join(p.known), p.team_adds] for p in outputs.iro1),
    )
    iro2 = outputs.iro2
    rows: list[list[Any]] = []
    if iro2 is not None:
        rows = [[m.name, m.framework, m.reference] for m in iro2.matters]
        rows.append([])
        rows.append([t["e1"], t["e1_material"] if iro2.e1_material else t["e1_not_material"]])
        if not iro2.e1_material:
            rows.append(["", iro2.e1_explanation])
    _sheet(workbook, "IRO-2", [t["matter"], t["framework"], t["reference"]], rows)


def _exchanges(workbook: Workbook, outputs: DmaOutputs, t: dict[str, str]) -> None:
    exchange = outputs.exchange
    if exchange is None:
        return
    _sheet(
        workbook,
        t["topics_sheet"],
        [
            t["topic"],
            t["article"],
            t["result"],
            t["prefill"],
            t["prefill_source"],
            t["reason"],
            t["set_by_team"],
        ],
        (
            [
                row.name,
                row.reference,
                row.outcome_label,
                row.prefill_label,
                row.prefill_source,
                row.reason,
                yes_no(row.set_by_team, t),
            ]
            for row in exchange.topics
        ),
    )
    article5 = [[exchange.article5]]
    if not exchange.article5_written:
        article5.insert(0, [t["article5_draft"]])
    _sheet(workbook, t["article5_sheet"], [t["article5"]], article5)
    _sheet(
        workbook,
        t["checklist_sheet"],
        [t["topic"], t["part"], t["discloses"], t["note"]],
        (
            [row.name, item.title, item.discloses, item.note]
            for row in exchange.topics
            for item in row.checklist
        ),
    )
