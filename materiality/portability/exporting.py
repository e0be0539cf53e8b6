"""An assessment written to one file (format.py), row by row: responses, answers and the
rest are read through database cursors in chunks and written as they come, so a large
assessment is never held in memory, and never twice.

What the file leaves out, on purpose: tokens (only their digests are kept, and a digest
restored elsewhere would be a live link nobody asked for), the network and device
digests of replies in progress, the counting bookkeeping (rebuilt by the first run), and
the matrix files themselves (their names, sizes and SHA-256 are kept: a restored run
renders its own, which name its new run number). In an anonymous survey nothing in the
file ties a response to an invitation, and personal invitations lose their address and
name: the file keeps the survey's promise (materiality/privacy.py, surveys/privacy.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZipFile

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from materiality.models import (
    AggregationRun,
    Assessment,
    AuditEntry,
    GroupScore,
    ImportedFile,
    ReviewStatus,
    StakeholderGroup,
    Topic,
    TopicScore,
)
from materiality.portability.format import (
    ASSESSMENT,
    AUDIT,
    FORMAT_NAME,
    FORMAT_VERSION,
    INVITATIONS,
    MANIFEST,
    RESPONSES,
    RUNS,
    row_fields,
)
from surveys.models import Answer, Invitation, InvitationKind, Question, Response

CHUNK = 2000
# Never in the file (see the module's docstring).
INVITATION_SECRETS = ("token_hash", "token_salt")
RESPONSE_SECRETS = ("resume_hash", "limit_address", "limit_device", "tally_batch")
PERSONAL_INVITATION_FIELDS = ("email", "label", "send_error")
ANSWER_FIELDS = ("row_code", "column_code", "value", "dont_know", "text")


class _Member:
    """One member of the zip, written as it goes, with its SHA-256 and row count."""

    def __init__(self, archive: Any, name: str) -> None:
        self.stream: IO[bytes] = archive.open(name, "w", force_zip64=True)
        self.digest = hashlib.sha256()
        self.rows = 0

    def write(self, row: Any) -> None:
        data = json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        self.stream.write(data)
        self.digest.update(data)
        self.rows += 1

    def close(self) -> str:
        self.stream.close()
        return self.digest.hexdigest()


def assessment_export(*, assessment_id: int, path: Path) -> dict[str, int]:
    """Write the assessment to *path* (via a temporary file beside it, so that a file
    at *path* is always whole). Returns the rows written per kind."""
    partial = path.with_name(path.name + ".part")
    fresh = not connection.in_atomic_block
    try:
        with transaction.atomic(), ZipFile(partial, "w", ZIP_DEFLATED) as archive:
            # One snapshot for the whole file on PostgreSQL: a run that ends meanwhile is
            # in it entirely, or not at all (SQLite's transaction is one already). Inside
            # a caller's transaction (a test's), the snapshot is that transaction's.
            if connection.vendor == "postgresql" and fresh:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            assessment = Assessment.objects.select_related(
                "survey", "previous__survey", "created_by"
            ).get(pk=assessment_id)
            counts, digests = _write(archive, assessment)
            archive.writestr(
                MANIFEST, json.dumps(_manifest(assessment, counts, digests), ensure_ascii=False)
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return counts


def _manifest(
    assessment: Assessment, counts: dict[str, int], digests: dict[str, str]
) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "software": {"python": platform.python_version(), "site": settings.SITE_URL},
        "assessment": {"id": assessment.pk, "title": assessment.survey.title},
        "counts": counts,
        "members": digests,
    }


def _write(archive: Any, assessment: Assessment) -> tuple[dict[str, int], dict[str, str]]:
    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    survey = assessment.survey
    questions = {q.pk: q.code for q in Question.objects.filter(survey=survey)}
    writers = (
        (ASSESSMENT, lambda: [_assessment_document(assessment)]),
        (INVITATIONS, lambda: _invitations(assessment)),
        (RESPONSES, lambda: _responses(assessment, questions)),
        (RUNS, lambda: _runs(assessment)),
        (AUDIT, lambda: _audit(assessment)),
    )
    for name, rows in writers:
        member = _Member(archive, name)
        for row in rows():
            member.write(row)
        digests[name] = member.close()
        counts[name.split(".")[0]] = member.rows
    return counts, digests


def _username(user: Any) -> str:
    return user.get_username() if user is not None else ""


def _assessment_document(assessment: Assessment) -> dict[str, Any]:
    survey = assessment.survey
    questions = [
        {**row_fields(q), "options": [row_fields(o) for o in q.options.all()]}
        for q in Question.objects.filter(survey=survey).prefetch_related("options")
    ]
    topic_ids = set(assessment.topics.values_list("pk", flat=True))
    topic_ids |= set(
        TopicScore.objects.filter(run__assessment=assessment).values_list("topic_id", flat=True)
    )
    group_ids = set(assessment.groups.values_list("pk", flat=True))
    group_ids |= set(
        GroupScore.objects.filter(run__assessment=assessment).values_list("group_id", flat=True)
    )
    topics = Topic.objects.filter(pk__in=topic_ids).prefetch_related("references")
    return {
        "survey": row_fields(survey),
        "questions": questions,
        "assessment": {
            **row_fields(assessment),
            "id": assessment.pk,
            "published_run": assessment.published_run_id,
            "previous": assessment.previous.survey.title if assessment.previous else None,
            "created_by": _username(assessment.created_by),
        },
        "topics": [
            {"topic": code, "order": order}
            for code, order in assessment.assessmenttopic_set.values_list("topic__code", "order")
        ],
        "groups": [
            {"group": code, "weight": str(weight), "order": order}
            for code, weight, order in assessment.assessmentgroup_set.values_list(
                "group__code", "weight", "order"
            )
        ],
        "vocabulary": {
            "topics": [
                {**row_fields(t), "references": [row_fields(r) for r in t.references.all()]}
                for t in topics
            ],
            "groups": [row_fields(g) for g in StakeholderGroup.objects.filter(pk__in=group_ids)],
        },
        "imported_files": [
            {**row_fields(f), "imported_by": _username(f.imported_by)}
            for f in ImportedFile.objects.filter(assessment=assessment).select_related(
                "imported_by"
            )
        ],
    }


def _invitations(assessment: Assessment) -> Iterator[dict[str, Any]]:
    anonymous = assessment.survey.anonymous
    rows = Invitation.objects.filter(survey_id=assessment.survey_id).order_by("pk")
    for invitation in rows.iterator(chunk_size=CHUNK):
        row = {"id": invitation.pk, **row_fields(invitation, INVITATION_SECRETS)}
        if anonymous and invitation.kind == InvitationKind.PERSONAL:
            row.update(dict.fromkeys(PERSONAL_INVITATION_FIELDS, ""))
        yield row


def _responses(assessment: Assessment, questions: dict[int, str]) -> Iterator[dict[str, Any]]:
    """Each response with its answers: two cursors in the same order, merged."""
    anonymous = assessment.survey.anonymous
    survey_id = assessment.survey_id
    responses = Response.objects.filter(survey_id=survey_id).order_by("pk")
    answers = (
        Answer.objects.filter(response__survey_id=survey_id)
        .order_by("response_id", "pk")
        .values_list("response_id", "question_id", *ANSWER_FIELDS)
        .iterator(chunk_size=CHUNK * 10)
    )
    pending = next(answers, None)
    for response in responses.iterator(chunk_size=CHUNK):
        own: list[dict[str, Any]] = []
        while pending is not None and pending[0] <= response.pk:
            if pending[0] == response.pk:
                own.append(
                    {
                        "question": questions[pending[1]],
                        **dict(zip(ANSWER_FIELDS, pending[2:], strict=True)),
                    }
                )
            pending = next(answers, None)
        row = {"id": response.pk, **row_fields(response, RESPONSE_SECRETS), "answers": own}
        # An anonymous survey's reply in progress may still point at its invitation
        # (cut at submit): never in the file.
        row["invitation"] = None if anonymous else response.invitation_id
        row["personal_invitation"] = None if anonymous else response.personal_invitation_id
        yield row


def _runs(assessment: Assessment) -> Iterator[dict[str, Any]]:
    topics = dict(Topic.objects.values_list("pk", "code"))
    groups = dict(StakeholderGroup.objects.values_list("pk", "code"))
    runs = AggregationRun.objects.filter(assessment=assessment).order_by("pk")
    for run in runs.select_related("requested_by").iterator(chunk_size=100):
        yield {
            "id": run.pk,
            **row_fields(run),
            "same_as": run.same_as_id,
            "requested_by": _username(run.requested_by),
            "topic_scores": [
                {**row_fields(score), "topic": topics[score.topic_id]}
                for score in TopicScore.objects.filter(run=run).order_by("rank", "pk")
            ],
            "group_scores": [
                {
                    **row_fields(score),
                    "topic": topics[score.topic_id],
                    "group": groups[score.group_id],
                }
                for score in GroupScore.objects.filter(run=run).order_by("pk")
            ],
            "files": _frozen_files(run) if run.review == ReviewStatus.CONFIRMED else [],
        }


def _frozen_files(run: AggregationRun) -> list[dict[str, Any]]:
    """The confirmed run's rendered files, as they are in storage: what the restored
    run's own files can be held against."""
    found: list[dict[str, Any]] = []
    for folder in (f"runs/{run.pk}", f"runs/{run.pk}/groups"):
        try:
            _folders, names = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        for name in sorted(names):
            digest = hashlib.sha256()
            with default_storage.open(f"{folder}/{name}", "rb") as stored:
                for block in iter(lambda: stored.read(1 << 16), b""):
                    digest.update(block)
            found.append(
                {
                    "path": f"{folder}/{name}",
                    "size": default_storage.size(f"{folder}/{name}"),
                    "sha256": digest.hexdigest(),
                }
            )
    return found


def _audit(assessment: Assessment) -> Iterator[dict[str, Any]]:
    entries = AuditEntry.objects.filter(assessment=assessment).order_by("created_at", "pk")
    for entry in entries.iterator(chunk_size=CHUNK):
        yield {"id": entry.pk, **row_fields(entry), "run": entry.run_id}
