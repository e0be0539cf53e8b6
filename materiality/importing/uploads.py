"""Uploads kept between the import's steps (a private file per import, purged after a day)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from materiality.importing.tables import TableStart, read_table, read_table_start
from materiality.models import (
    Assessment,
)

IMPORT_FOLDER = "imports"
# Uploads never finished nor cancelled are deleted after this long (see import_jobs_purge).
IMPORT_LIFETIME = timedelta(days=1)


# --- Uploads kept between the steps ---------------------------------------------------

_IMPORT_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class ReplyImportJob:
    """An uploaded file waiting to be mapped and imported, described in a JSON file
    beside it in the default storage (a worker reads both from the import id)."""

    id: str
    assessment_id: int
    user_id: int | None
    user_name: str
    file_name: str
    path: str
    language: str
    created_at: str
    mapping: dict[str, Any] | None = None


def job_path(import_id: str) -> str:
    return f"{IMPORT_FOLDER}/{import_id}.json"


def _job_write(job: ReplyImportJob) -> None:
    path = job_path(job.id)
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(json.dumps(asdict(job)).encode()))


def import_job_create(
    *, assessment: Assessment, user: Any, file_name: str, content: bytes, language: str
) -> ReplyImportJob:
    """Keep an uploaded file for the mapping step. The caller has read it (read_table)."""
    import_jobs_purge()
    import_id = uuid.uuid4().hex
    extension = ".xlsx" if file_name.lower().endswith(".xlsx") else ".csv"
    path = default_storage.save(f"{IMPORT_FOLDER}/{import_id}{extension}", ContentFile(content))
    job = ReplyImportJob(
        id=import_id,
        assessment_id=assessment.pk,
        user_id=getattr(user, "pk", None),
        user_name=user.get_username() if getattr(user, "pk", None) else "",
        file_name=file_name,
        path=path,
        language=language,
        created_at=timezone.now().isoformat(),
    )
    _job_write(job)
    return job


def import_job_load(import_id: str) -> ReplyImportJob | None:
    if not _IMPORT_ID.match(import_id):
        return None
    try:
        with default_storage.open(job_path(import_id)) as stored:
            data = json.loads(stored.read())
    except (FileNotFoundError, ValueError):
        return None
    return ReplyImportJob(**data)


def import_job_table(job: ReplyImportJob) -> list[list[str]]:
    """The whole file, under the limits of the caller (a worker: limits.BACKGROUND)."""
    with default_storage.open(job.path) as stored:
        return read_table(job.file_name, stored.read())


def import_job_start(job: ReplyImportJob) -> TableStart:
    """What a request reads of the file: the whole file, or its first rows when it is
    too large for a request (the worker reads it whole at the import)."""
    with default_storage.open(job.path) as stored:
        return read_table_start(job.file_name, stored.read())


def import_job_discard(import_id: str) -> None:
    """Delete the uploaded file and its description (after import, or on cancel)."""
    job = import_job_load(import_id)
    for path in (job.path if job else None, job_path(import_id)):
        if path and default_storage.exists(path):
            default_storage.delete(path)


def import_jobs_purge(now: datetime | None = None) -> int:
    """Delete uploads older than IMPORT_LIFETIME: files people neither imported nor
    cancelled hold personal data and must not stay. Called on every upload."""
    cutoff = (now or timezone.now()) - IMPORT_LIFETIME
    try:
        _folders, names = default_storage.listdir(IMPORT_FOLDER)
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        path = f"{IMPORT_FOLDER}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed
