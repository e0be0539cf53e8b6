"""A reply file checked against a mapping, and stored: the one path that the import
pages, the worker and the `import_replies` command share, so that they check the same
things and say the same words.

    reply_file_check  the rows (ReplyCheck), the digest and any earlier import of the
                      same rows, and what the quality rules would leave out; stores nothing
    reply_file_store  the rows, the record of the file, a scores run and the audit entry,
                      in one transaction; ImportRefused (nothing stored) when it cannot
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from materiality.audit import audit_record
from materiality.importing.checking import ReplyCheck, RowError, replies_check
from materiality.importing.context import ImportContext, ReplySheet
from materiality.importing.duplicates import (
    already_imported_message,
    imported_before_message,
    imported_file_find,
    sheet_digest,
)
from materiality.importing.mapping import ReplyMapping, ScaleMode
from materiality.importing.quality import QualityPreview, quality_preview, stored_durations
from materiality.importing.storing import FileImportedBefore, replies_store
from materiality.models import (
    AXES,
    AggregationRun,
    Assessment,
    AuditAction,
    ImportedFile,
    RunTrigger,
)
from materiality.runs.options import run_options
from materiality.runs.requests import aggregation_request

# --- Checking a file ------------------------------------------------------------------


@dataclass(frozen=True)
class FileCheck:
    file_name: str
    digest: str
    check: ReplyCheck
    imported_before: ImportedFile | None = None
    quality: QualityPreview | None = None

    def refusal(self) -> str:
        """Why nothing can be stored, or "" when the file can be imported."""
        check = self.check
        if self.imported_before is not None:
            return imported_before_message(self.imported_before)
        if check.errors and not check.skip_errors:
            return _("Nothing was imported: some rows need fixing.")
        if not check.rows and check.already_imported and not check.errors:
            return _("Nothing to import: every reply in the file was already imported.")
        if not check.rows:
            return _("Nothing to import: no row of the file is ready to store.")
        return ""

    @property
    def storable(self) -> bool:
        return not self.refusal()


def reply_file_check(
    *,
    assessment: Assessment,
    sheet: ReplySheet,
    context: ImportContext,
    mapping: ReplyMapping,
    file_name: str,
    preview: bool = True,
    on_rows: Callable[[int], None] | None = None,
) -> FileCheck:
    """Check every row and look for an earlier import of the same rows; with `preview`,
    count what the quality rules as set now would leave out. Stores nothing. `on_rows`
    is told how many rows are checked, now and then (a worker's progress)."""
    check = replies_check(
        sheet, context=context, mapping=mapping, file_name=file_name, on_rows=on_rows
    )
    digest = sheet_digest(sheet)
    quality = None
    if preview:
        quality = quality_preview(
            check.rows,
            grid_cells=context.grid_cells,
            stored=stored_durations(context.survey_id),
            options=run_options(assessment),
        )
    return FileCheck(
        file_name=file_name,
        digest=digest,
        check=check,
        imported_before=imported_file_find(assessment_id=assessment.pk, digest=digest),
        quality=quality,
    )


def mapping_problems(mapping: ReplyMapping, sheet: ReplySheet, context: ImportContext) -> list[str]:
    """What makes a mapping given as a file (not built by the page's forms) unusable
    for this sheet and assessment."""
    problems: list[str] = []
    if mapping.group_column is None:
        problems.append(_("The mapping names no stakeholder group column (group_column)."))
    columns = {
        "group_column": mapping.group_column,
        "side_column": mapping.side_column,
        "reference_column": mapping.reference_column,
        "duration_column": mapping.duration_column,
    }
    columns.update({f"cells: {cell.topic} {cell.axis}": cell.column for cell in mapping.cells})
    seen: dict[int, str] = {}
    for use, column in columns.items():
        if column is None:
            continue
        if not 0 <= column < sheet.width:
            problems.append(
                _(
                    "Column %(column)d (%(use)s) is not in the file: its columns are "
                    "numbered 0 to %(last)d."
                )
                % {"column": column, "use": use, "last": sheet.width - 1}
            )
        elif column in seen:
            problems.append(
                _("Column %(column)d is used twice: for %(first)s and for %(second)s.")
                % {"column": column, "first": seen[column], "second": use}
            )
        else:
            seen[column] = use
    if not mapping.cells:
        problems.append(_("The mapping names no rating column (cells)."))
    topics = {topic.code for topic in context.topics}
    for cell in mapping.cells:
        if cell.topic not in topics:
            problems.append(
                _("“%(topic)s” is not a topic of this assessment.") % {"topic": cell.topic}
            )
        if cell.axis not in AXES:
            problems.append(
                _("“%(axis)s” is not an axis: use one of %(axes)s.")
                % {"axis": cell.axis, "axes": ", ".join(AXES)}
            )
    scale = mapping.scale
    if scale.mode == ScaleMode.LINEAR and scale.source_min >= scale.source_max:
        problems.append(_("The file's scale needs a lowest value under its highest value (scale)."))
    return problems


# --- Storing a file -------------------------------------------------------------------


class ImportRefused(Exception):
    """Nothing was stored, for the reason given (in the user's language)."""


@dataclass(frozen=True)
class ImportResult:
    run: AggregationRun
    stored: int
    # The rows not stored because their reference was imported before: found by the
    # check, or imported by someone else between the check and the store.
    already_imported: list[RowError]


def reply_file_store(
    *,
    assessment: Assessment,
    context: ImportContext,
    checked: FileCheck,
    user: Any = None,
    trigger: str = RunTrigger.MANUAL,
    on_batch: Callable[[int], None] | None = None,
) -> ImportResult:
    """Store a checked file's rows with the record of the file, ask for a scores run and
    record the import in the audit trail (file, rows, who, when), together or not at
    all. Raises ImportRefused, storing nothing, for a file that cannot be imported: one
    the check refused, or whose rows were imported meanwhile."""
    refusal = checked.refusal()
    if refusal:
        raise ImportRefused(refusal)
    check = checked.check
    with transaction.atomic():
        try:
            stored = replies_store(
                context=context,
                rows=check.rows,
                digest=checked.digest,
                file_name=checked.file_name,
                imported_by=user,
                on_batch=on_batch,
            )
        except FileImportedBefore as before:
            raise ImportRefused(imported_before_message(before.record)) from None
        if not stored.stored:
            raise ImportRefused(
                _("Nothing was imported: every reply in the file was imported meanwhile.")
            )
        already = check.already_imported + [
            RowError(row.line, "", row.reference, already_imported_message())
            for row in stored.imported_meanwhile
        ]
        run = aggregation_request(assessment=assessment, trigger=trigger, requested_by=user)
        audit_record(
            assessment=assessment,
            action=AuditAction.REPLIES_IMPORTED,
            actor=user,
            run=run,
            note=import_note(checked.file_name, stored.stored, check, already),
        )
    return ImportResult(run=run, stored=stored.stored, already_imported=already)


def listed_lines(lines: Sequence[int], shown: int = 50) -> str:
    listed = ", ".join(str(line) for line in lines[:shown])
    return listed + (" …" if len(lines) > shown else "")


def import_note(
    file_name: str, stored: int, check: ReplyCheck, already_imported: Sequence[RowError]
) -> str:
    """The audit trail's record of an import (who and when are the entry's own)."""
    note = _("Imported %(count)d replies from “%(file)s”.") % {"count": stored, "file": file_name}
    if check.errors:
        note += " " + _("Rows skipped for errors: %(lines)s.") % {
            "lines": listed_lines(check.error_lines)
        }
    if check.left_out:
        note += " " + _("Rows left out: %(lines)s.") % {
            "lines": listed_lines([error.line for error in check.left_out])
        }
    if already_imported:
        note += " " + _("Rows already imported before: %(lines)s.") % {
            "lines": listed_lines(sorted(error.line for error in already_imported))
        }
    return note
