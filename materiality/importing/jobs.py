"""Running an import: in the request for small files, on a worker for large ones, with
its progress kept in the cache."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from materiality.dispatch import send_after_commit
from materiality.importing.checking import MAX_REPORTED_ERRORS, ReplyCheck, RowError
from materiality.importing.context import ImportContext, ReplySheet, import_context
from materiality.importing.mapping import ReplyMapping
from materiality.importing.replies import (
    FileCheck,
    ImportRefused,
    reply_file_check,
    reply_file_store,
)
from materiality.importing.tables import SpreadsheetError, limits
from materiality.importing.uploads import (
    ReplyImportJob,
    _job_write,
    import_job_discard,
    import_job_load,
    import_job_table,
)
from materiality.models import Assessment

logger = logging.getLogger(__name__)


# --- Replies collected with another tool -------------------------------------------------
#
#   upload ──▶ the file is kept in the default storage (imports/<id>.<ext>) beside a job
#              description (imports/<id>.json); nothing is stored as replies yet
#   map    ──▶ ReplyMapping: which column holds the group, the side, the reference, the
#              duration and each topic × axis, and how cell values become levels
#   check  ──▶ every row validated: ReplyCheck (rows ready to store, row-by-row errors,
#              rows already imported), the file's digest, the quality rules' counts
#              (replies.py reply_file_check)
#   store  ──▶ one transaction of bulk inserts with the record of the file
#              (replies.py reply_file_store): small files at once, large ones in a Celery
#              task that reports its progress in the cache

# Above this many rows, storing goes to a Celery task and the user watches a progress page.
ASYNC_THRESHOLD = 2_000
PROGRESS_TIMEOUT = 7 * 24 * 3600


# --- Progress and result --------------------------------------------------------------


class ImportStage(StrEnum):
    """What a worker is doing with a file, in order, with its share of the progress bar
    (their shares of the time at 100,000 replies: docs/benchmarks.md, "Reply import")."""

    READING = "reading"
    CHECKING = "checking"
    STORING = "storing"


STAGE_SHARES = {ImportStage.READING: 25, ImportStage.CHECKING: 10, ImportStage.STORING: 65}


class ImportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class ImportProgress:
    """What the progress page shows; kept in the cache, one key per import, so a worker
    can update it per batch while the page reads it (REDIS_URL when workers run apart)."""

    state: str
    file_name: str
    user_name: str = ""
    total: int = 0
    stored: int = 0
    message: str = ""
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    left_out: list[RowError] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)
    already_imported: list[RowError] = field(default_factory=list)
    already_imported_count: int = 0
    finished_at: datetime | None = None
    run_id: int | None = None
    assessment_id: int = 0
    stage: str = ""  # an ImportStage while a worker runs it
    stage_done: float = 0.0  # of the stage, 0 to 1

    @property
    def percent(self) -> int:
        if self.state == ImportState.DONE:
            return 100
        if self.stage in STAGE_SHARES:
            before = 0
            for stage, share in STAGE_SHARES.items():
                if stage == self.stage:
                    return min(math.floor(before + share * self.stage_done), 99)
                before += share
        return math.floor(100 * self.stored / self.total) if self.total else 0

    @property
    def stage_label(self) -> str:
        labels = {
            ImportStage.READING: _("Reading the file"),
            ImportStage.CHECKING: _("Checking every row"),
            ImportStage.STORING: _("Storing the replies"),
        }
        return labels.get(self.stage, "")  # type: ignore[call-overload]

    @property
    def active(self) -> bool:
        return self.state in (ImportState.QUEUED, ImportState.RUNNING)


def _progress_key(import_id: str) -> str:
    return f"materiality:reply-import:{import_id}"


def progress_save(import_id: str, progress: ImportProgress) -> None:
    cache.set(_progress_key(import_id), asdict(progress), PROGRESS_TIMEOUT)


def import_progress(import_id: str) -> ImportProgress | None:
    data = cache.get(_progress_key(import_id))
    if not isinstance(data, dict):
        return None
    lists = {
        name: [RowError(**error) for error in data.get(name, [])]
        for name in ("errors", "left_out", "skipped", "already_imported")
    }
    return ImportProgress(**{**data, **lists})


def import_progress_forget(import_id: str) -> None:
    cache.delete(_progress_key(import_id))


# --- Running an import ----------------------------------------------------------------


def reply_import_start(
    *,
    job: ReplyImportJob,
    mapping: ReplyMapping,
    context: ImportContext,
    checked: FileCheck,
    complete: bool = True,
) -> ImportProgress:
    """Import a checked file: at once up to ASYNC_THRESHOLD rows, else in a Celery task
    sent after commit (the progress page follows it). A file the request read only the
    first rows of (`complete` False: read_table_start) always goes to the task, which
    reads, checks and stores it whole."""
    job.mapping = mapping.as_dict()
    _job_write(job)
    if complete and len(checked.check.rows) <= ASYNC_THRESHOLD:
        return reply_import_execute(job.id, context=context, checked=checked) or ImportProgress(
            state=ImportState.FAILED, file_name=job.file_name, assessment_id=job.assessment_id
        )
    progress = ImportProgress(
        state=ImportState.QUEUED,
        file_name=job.file_name,
        user_name=job.user_name,
        total=len(checked.check.rows) if complete else 0,  # 0: known once read
        assessment_id=job.assessment_id,
    )
    progress_save(job.id, progress)
    import_id = job.id

    def unsent() -> None:  # say so rather than let the page wait for ever
        progress = import_progress(import_id)
        if progress is not None:
            progress.state = ImportState.FAILED
            progress.message = _("The task queue cannot be reached. Nothing was stored; try again.")
            progress_save(import_id, progress)

    send_after_commit("materiality.tasks.import_replies", import_id, on_failure=unsent)
    return progress


def reply_import_execute(
    import_id: str, *, context: ImportContext | None = None, checked: FileCheck | None = None
) -> ImportProgress | None:
    """Check (again, unless given a fresh check) and store an import, request an
    aggregation run, delete the upload. Safe to run twice: a finished import is not
    stored again, and the checks for the file and references imported before run under
    a lock."""
    current = import_progress(import_id)
    if current is not None and current.state == ImportState.DONE:
        return current
    job = import_job_load(import_id)
    if job is None or job.mapping is None:
        return current
    # A worker writes the report in the language of the person who asked for it.
    with translation.override(job.language or settings.LANGUAGE_CODE):
        return _execute(job, context, checked)


def _execute(
    job: ReplyImportJob, context: ImportContext | None, checked: FileCheck | None
) -> ImportProgress:
    progress = ImportProgress(
        state=ImportState.RUNNING,
        file_name=job.file_name,
        user_name=job.user_name,
        assessment_id=job.assessment_id,
    )
    progress_save(job.id, progress)
    assessment = Assessment.objects.filter(pk=job.assessment_id).first()
    if assessment is None:
        return _failed(job, progress, None, _("The assessment no longer exists."))

    def advance(stage: ImportStage, done: float) -> None:
        # Saved when the bar moves by a whole percent, or the stage changes.
        before = progress.percent, progress.stage
        progress.stage, progress.stage_done = stage, done
        if (progress.percent, progress.stage) != before:
            progress_save(job.id, progress)

    try:
        if context is None or checked is None:
            context = import_context(assessment)
            advance(ImportStage.READING, 0.0)
            # The whole file, under the worker's limits (limits.BACKGROUND): the request
            # read its first rows only.
            with limits.reading_under(
                limits.BACKGROUND, lambda done: advance(ImportStage.READING, done)
            ):
                sheet = ReplySheet.from_table(import_job_table(job))
            advance(ImportStage.CHECKING, 0.0)
            checked = reply_file_check(
                assessment=assessment,
                sheet=sheet,
                context=context,
                mapping=ReplyMapping.from_dict(job.mapping or {}),
                file_name=job.file_name,
                preview=False,
                on_rows=lambda done: advance(ImportStage.CHECKING, done / len(sheet.rows)),
            )
            del sheet  # the rows to store are in the check
        check = checked.check
        progress.total = len(check.rows)
        progress.left_out = check.left_out[:MAX_REPORTED_ERRORS]
        _already_imported(progress, check.already_imported)
        refusal = checked.refusal()
        if refusal:
            return _failed(job, progress, check, refusal)

        def on_batch(stored: int) -> None:
            progress.stored = stored
            progress.stage = ImportStage.STORING
            progress.stage_done = stored / max(progress.total, 1)
            progress_save(job.id, progress)

        advance(ImportStage.STORING, 0.0)

        user = get_user_model().objects.filter(pk=job.user_id).first() if job.user_id else None
        result = reply_file_store(
            assessment=assessment, context=context, checked=checked, user=user, on_batch=on_batch
        )
    except ImportRefused as refused:
        current = import_progress(job.id)
        if current is not None and current.state == ImportState.DONE:
            return current  # the same import, delivered twice, already went through
        return _failed(job, progress, None, str(refused))
    except SpreadsheetError as error:
        return _failed(job, progress, None, str(error))
    except Exception:
        # Whatever went wrong, the transaction rolled back: say so on the progress page
        # rather than leave it "running" for ever (the worker's log has the details).
        logger.exception("Reply import %s failed", job.id)
        return _failed(
            job, progress, None, _("The import failed unexpectedly. Nothing was stored.")
        )
    progress.state = ImportState.DONE
    progress.stored = result.stored
    progress.skipped = check.errors[:MAX_REPORTED_ERRORS]
    progress.error_count = len(check.error_lines)
    _already_imported(progress, result.already_imported)
    progress.finished_at = timezone.now()
    progress.run_id = result.run.pk
    progress_save(job.id, progress)
    logger.info(
        "Imported %d replies into assessment %s from %r for %s (import %s)",
        progress.stored,
        job.assessment_id,
        job.file_name,
        job.user_name,
        job.id,
    )
    import_job_discard(job.id)
    return progress


def _already_imported(progress: ImportProgress, rows: Sequence[RowError]) -> None:
    progress.already_imported = sorted(rows, key=lambda row: row.line)[:MAX_REPORTED_ERRORS]
    progress.already_imported_count = len(rows)


def _failed(
    job: ReplyImportJob, progress: ImportProgress, check: ReplyCheck | None, message: str
) -> ImportProgress:
    progress.state = ImportState.FAILED
    progress.message = message
    progress.stored = 0
    if check is not None:
        progress.errors = check.errors[:MAX_REPORTED_ERRORS]
        progress.error_count = len(check.error_lines)
    progress.finished_at = timezone.now()
    progress_save(job.id, progress)
    return progress
