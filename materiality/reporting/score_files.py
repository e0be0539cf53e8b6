"""A run's scores as CSV and XLSX."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment

from materiality.models import (
    AXES,
    AggregationRun,
)
from materiality.reporting.spreadsheets import csv_chunks, sheet_title, table_sheet, write_table
from materiality.reporting.tables import (
    Column,
    Table,
    axis_source_view,
    group_table,
    overall_table,
    run_record,
)
from materiality.reporting.wording import word
from materiality.runs.inputs import replay_input
from materiality.runs.selectors import scored_run

# --- Scores: CSV and XLSX -----------------------------------------------------------------


def scores_csv(run: AggregationRun, language: str) -> bytes:
    """The overall view: every topic in rank order with all its statistics."""
    table = overall_table(run, language)
    return b"".join(csv_chunks(table.columns, table.rows))


def scores_xlsx(run: AggregationRun, language: str) -> bytes:
    """Every view of a run: Overall, By group, By axis source, Run."""
    buffer = io.BytesIO()
    write_scores_xlsx(run, language, buffer)
    return buffer.getvalue()


def write_scores_xlsx(
    run: AggregationRun,
    language: str,
    target: IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> None:
    report = progress or (lambda _percent: None)
    run = scored_run(run)
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.creator = "Materia"
    workbook.properties.title = f"{run.assessment.get_title(language)} · {run.pk}"
    overall = overall_table(run, language)
    table_sheet(workbook, word("sheet_overall", language), overall, freeze="D3")
    report(20)
    table_sheet(workbook, word("sheet_groups", language), group_table(run, language), freeze="C3")
    report(40)
    run_input = replay_input(run)
    report(60)
    view = axis_source_view(run, language, run_input)
    sheet = workbook.create_sheet(sheet_title(word("sheet_axis_source", language)))
    sheet.append([view.note])
    sheet["A1"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[1].height = 90
    if view.table is not None:
        sheet.merge_cells(
            start_row=1, start_column=1, end_row=1, end_column=len(view.table.columns)
        )
        sheet.append(
            [
                word("note_thresholds", language)
                % {
                    axis: "—"
                    if view.thresholds.get(axis) is None
                    else f"{view.thresholds[axis]:.4f}"
                    for axis in AXES
                }
            ]
        )
        write_table(sheet, view.table, first_row=3)
        sheet.freeze_panes = "F5"
    else:
        sheet.column_dimensions["A"].width = 100
    report(85)
    record = run_record(run, language, run_input)
    table_sheet(
        workbook,
        word("sheet_run", language),
        Table(
            [
                Column("code", word("code", language)),
                Column("item", word("run_item", language)),
                Column("value", word("run_value", language)),
            ],
            [[item.code, item.label, item.value] for item in record],
        ),
        freeze="A3",
    )
    workbook.save(target)
    report(100)
