"""Export jobs: files built in the background, claimed once, recorded in the audit trail."""

from __future__ import annotations

import logging
import re
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext, pgettext

from materiality.audit import audit_record
from materiality.dispatch import send_after_commit
from materiality.models import (
    AggregationRun,
    Assessment,
    AuditAction,
    AuditEntry,
    ExportJob,
    ExportStatus,
)
from materiality.reporting.evidence.contents import TrailEntry
from materiality.reporting.evidence.html import evidence_html
from materiality.reporting.evidence.pdf import evidence_pdf
from materiality.reporting.matrix_files import CONTENT_TYPES as MATRIX_CONTENT_TYPES
from materiality.reporting.matrix_files import MatrixView, matrix_file
from materiality.reporting.response_files import responses_csv, write_responses_xlsx
from materiality.reporting.score_files import scores_csv, write_scores_xlsx
from materiality.reporting.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from materiality.runs.selectors import scored_run

logger = logging.getLogger(__name__)


# --- Built in the background ----------------------------------------------------------------


class ExportKind(StrEnum):
    SCORES_CSV = "scores-csv"
    SCORES_XLSX = "scores-xlsx"
    RESPONSES_CSV = "responses-csv"
    RESPONSES_XLSX = "responses-xlsx"
    MATRIX_PNG = "matrix-png"
    MATRIX_PNG_PRINT = "matrix-png-print"
    MATRIX_SVG = "matrix-svg"
    MATRIX_PDF = "matrix-pdf"
    EVIDENCE_HTML = "evidence-html"
    EVIDENCE_PDF = "evidence-pdf"

    @property
    def of_assessment(self) -> bool:
        """Responses belong to the assessment; everything else to a run."""
        return self in (ExportKind.RESPONSES_CSV, ExportKind.RESPONSES_XLSX)


# What people read instead of the codes: (name, format) per kind, English msgids marked
# for gettext and translated where they are shown, in the reader's language.
EXPORT_KIND_NAMES: dict[ExportKind, tuple[str, str]] = {
    ExportKind.EVIDENCE_PDF: (gettext_noop("Methodology and evidence pack"), "PDF"),
    ExportKind.EVIDENCE_HTML: (gettext_noop("Methodology and evidence pack"), "HTML"),
    ExportKind.SCORES_XLSX: (gettext_noop("Scores, every view"), "XLSX"),
    ExportKind.SCORES_CSV: (gettext_noop("Scores, ranked"), "CSV"),
    ExportKind.RESPONSES_XLSX: (gettext_noop("Anonymised responses"), "XLSX"),
    ExportKind.RESPONSES_CSV: (gettext_noop("Anonymised responses"), "CSV"),
    ExportKind.MATRIX_PDF: (gettext_noop("Matrix"), "PDF"),
    ExportKind.MATRIX_PNG_PRINT: (gettext_noop("Matrix"), gettext_noop("PNG, 300 dpi")),
    ExportKind.MATRIX_PNG: (gettext_noop("Matrix"), "PNG"),
    ExportKind.MATRIX_SVG: (gettext_noop("Matrix"), "SVG"),
}

# A document's language by its code, as a reader of the page calls it.
EXPORT_LANGUAGE_NAMES: dict[str, str] = {
    "zh-hans": gettext_noop("Chinese"),
    "en": gettext_noop("English"),
}


def _kind_words(kind: ExportKind | str) -> tuple[str, str]:
    try:
        name, fmt = EXPORT_KIND_NAMES[ExportKind(kind)]
    except ValueError:  # a kind no longer made: its code, as it is
        return str(kind), ""
    return gettext(name), gettext(fmt)


def export_kind_name(kind: ExportKind | str) -> str:
    """The kind's name in the active language, e.g. "Scores, ranked (CSV)"."""
    name, fmt = _kind_words(kind)
    return pgettext("export kind", "%(name)s (%(format)s)") % {"name": name, "format": fmt}


def export_name(kind: ExportKind | str, language: str) -> str:
    """The kind and the document's language in the active language, e.g.
    "Methodology and evidence pack (PDF, Chinese)"."""
    name, fmt = _kind_words(kind)
    language_name = EXPORT_LANGUAGE_NAMES.get(language)
    return pgettext("export kind and language", "%(name)s (%(format)s, %(language)s)") % {
        "name": name,
        "format": fmt,
        "language": gettext(language_name) if language_name else language,
    }


MATRIX_FORMATS = {
    ExportKind.MATRIX_PNG: "png",
    ExportKind.MATRIX_PNG_PRINT: "png-print",
    ExportKind.MATRIX_SVG: "svg",
    ExportKind.MATRIX_PDF: "pdf",
}


@dataclass(frozen=True)
class BuiltExport:
    filename: str  # what the download should be called
    content_type: str
    path: str  # the file's name in default_storage: exports/<uuid>/<filename>
    size: int


def build_export(
    kind: ExportKind | str,
    object_id: int,
    language: str,
    progress: Callable[[int], None] | None = None,
    *,
    anonymise: bool = True,
    include_comments: bool | None = None,
    trail: Sequence[TrailEntry] = (),
) -> BuiltExport:
    """Build one export and store it under ``exports/<uuid>/``; for a Celery task.

    *object_id* is the assessment's id for the responses exports, the run's for every
    other kind. *progress* gets percentages (0–100) as the work goes on. The file is
    spooled to a temporary file, never held whole in memory, then saved to storage; the
    caller records the path and links to it. Each call writes a new file: safe to run
    twice, at the cost of a second file.
    """
    kind = ExportKind(kind)
    report = progress or (lambda _percent: None)
    report(0)
    with tempfile.TemporaryFile() as spool:
        if kind.of_assessment:
            assessment = Assessment.objects.select_related("survey").get(pk=object_id)
            stem = f"responses-assessment{assessment.pk}-{language}"
            if kind is ExportKind.RESPONSES_CSV:
                filename, content_type = f"{stem}.csv", CSV_CONTENT_TYPE
                for chunk in responses_csv(
                    assessment,
                    language,
                    anonymise=anonymise,
                    include_comments=include_comments,
                    progress=report,
                ):
                    spool.write(chunk)
            else:
                filename, content_type = f"{stem}.xlsx", XLSX_CONTENT_TYPE
                write_responses_xlsx(
                    assessment,
                    language,
                    spool,
                    anonymise=anonymise,
                    include_comments=include_comments,
                    progress=report,
                )
        else:
            run = AggregationRun.objects.select_related("assessment__survey").get(pk=object_id)
            filename, content_type = _build_run_export(kind, run, language, spool, report, trail)
        size = spool.tell()
        spool.seek(0)
        path = default_storage.save(f"exports/{uuid.uuid4().hex}/{filename}", File(spool))
    report(100)
    return BuiltExport(filename=filename, content_type=content_type, path=path, size=size)


def _build_run_export(
    kind: ExportKind,
    run: AggregationRun,
    language: str,
    spool: IO[bytes],
    report: Callable[[int], None],
    trail: Sequence[TrailEntry],
) -> tuple[str, str]:
    stem = f"run{run.pk}-{language}"
    if kind is ExportKind.SCORES_CSV:
        spool.write(scores_csv(run, language))
        return f"scores-{stem}.csv", CSV_CONTENT_TYPE
    if kind is ExportKind.SCORES_XLSX:
        write_scores_xlsx(run, language, spool, report)
        return f"scores-{stem}.xlsx", XLSX_CONTENT_TYPE
    if kind in MATRIX_FORMATS:
        # The results page's files: rendered once per run, language and format, kept.
        fmt, view = MATRIX_FORMATS[kind], MatrixView(language=language)
        scored = scored_run(run)
        spool.write(matrix_file(scored, view, fmt))
        return view.file_name(scored, fmt), MATRIX_CONTENT_TYPES[fmt]
    if kind is ExportKind.EVIDENCE_HTML:
        spool.write(evidence_html(run, language, trail=trail).encode())
        return f"evidence-{stem}.html", "text/html; charset=utf-8"
    spool.write(evidence_pdf(run, language, trail=trail, progress=report))
    return f"evidence-{stem}.pdf", "application/pdf"


def confirmation_trail(assessment: Assessment) -> list[TrailEntry]:
    """The audit trail's review steps, as the evidence pack shows them."""
    steps = (
        AuditAction.SUBMITTED,
        AuditAction.CONFIRMED,
        AuditAction.SENT_BACK,
        # The run's scores stay as they were; the pack says replies went afterwards.
        AuditAction.RESPONSES_ERASED,
        AuditAction.PERSONAL_DATA_EXPIRED,
    )
    return [
        TrailEntry(
            entry.created_at, entry.actor_name, entry.get_action_display(), audit_note(entry)
        )
        for entry in AuditEntry.objects.filter(assessment=assessment, action__in=steps)
    ]


def audit_note(entry: AuditEntry) -> str:
    """What the trail shows as an entry's note, in the reader's language: an export is
    named from the codes kept with it. Entries written before the codes were kept
    have them in their note, as "kind (language)"."""
    if entry.action in (AuditAction.RESPONSES_ERASED, AuditAction.PERSONAL_DATA_EXPIRED):
        count = int(entry.details.get("responses", 0))
        return ngettext("%(n)d response", "%(n)d responses", count) % {"n": count}
    if entry.action != AuditAction.EXPORTED:
        return entry.note
    kind, language = entry.details.get("kind"), entry.details.get("language")
    if kind is None:
        match = _OLD_EXPORT_NOTE.fullmatch(entry.note)
        if match is None:
            return entry.note
        kind, language = match["kind"], match["language"]
    return export_name(kind, language or "")


_OLD_EXPORT_NOTE = re.compile(r"(?P<kind>[a-z0-9-]+) \((?P<language>[A-Za-z-]+)\)")


def export_request(
    *,
    assessment: Assessment,
    kind: ExportKind,
    language: str,
    run: AggregationRun | None,
    user: Any,
) -> ExportJob:
    job = ExportJob.objects.create(
        assessment=assessment,
        run=run,
        kind=kind.value,
        language=language,
        requested_by=user if getattr(user, "pk", None) else None,
    )
    # The codes are kept, not words: the trail names the export in its reader's
    # language (`AuditEntry.note_text`).
    audit_record(
        assessment=assessment,
        action=AuditAction.EXPORTED,
        actor=user,
        run=run,
        details={"kind": kind.value, "language": language},
    )
    job_id = job.pk

    def unsent() -> None:
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
            status=ExportStatus.FAILED,
            # Shown in the reader's language by the export page (`translate job.error`).
            error=gettext_noop("The task queue is unreachable; please try again in a moment."),
        )

    send_after_commit("materiality.tasks.export_build", job_id, on_failure=unsent)
    return job


def export_execute(job_id: int) -> None:
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("assessment").get(pk=job_id)
    kind = ExportKind(job.kind)

    def progress(percent: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(progress=max(0, min(100, percent)))

    try:
        built = build_export(
            kind,
            job.assessment_id if kind.of_assessment else (job.run_id or 0),
            job.language,
            progress,
            trail=confirmation_trail(job.assessment),
        )
    except Exception as error:
        logger.exception("Export job %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportStatus.FAILED, error=str(error)[:1000], finished_at=timezone.now()
        )
        return
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportStatus.DONE,
        progress=100,
        path=built.path,
        filename=built.filename,
        content_type=built.content_type,
        finished_at=timezone.now(),
    )
