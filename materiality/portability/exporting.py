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
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zipfile import ZipFile

from django.core.files.storage import default_storage

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
from materiality.portability.archive import (
    RowSource,
    archive_write,
    manifest_write,
    members_write,
    username,
)
from materiality.portability.format import (
    ASSESSMENT,
    ASSESSMENT_FILE,
    AUDIT,
    INVITATIONS,
    RESPONSES,
    RUNS,
    row_fields,
)
from materiality.portability.vocabulary import topic_rows
from surveys.models import Answer, Invitation, InvitationKind, Question, Response

CHUNK = 2000
# Never in the file (see the module's docstring).
INVITATION_SECRETS = ("token_hash", "token_salt")
RESPONSE_SECRETS = ("resume_hash", "limit_address", "limit_device", "tally_batch")
PERSONAL_INVITATION_FIELDS = ("email", "label", "send_error")
ANSWER_FIELDS = ("row_code", "column_code", "value", "dont_know", "text")


def assessment_export(*, assessment_id: int, path: Path) -> dict[str, int]:
    """Write the assessment to *path* (via a temporary file beside it, so that a file
    at *path* is always whole). Returns the rows written per kind."""

    def fill(archive: ZipFile) -> dict[str, int]:
        assessment = Assessment.objects.select_related(
            "survey", "previous__survey", "created_by"
        ).get(pk=assessment_id)
        counts, digests = members_write(archive, _sources(assessment))
        manifest_write(
            archive,
            ASSESSMENT_FILE,
            subject=("assessment", {"id": assessment.pk, "title": assessment.survey.title}),
            counts=counts,
            digests=digests,
        )
        return counts

    return archive_write(path, fill)


def _sources(assessment: Assessment) -> list[RowSource]:
    questions = {q.pk: q.code for q in Question.objects.filter(survey=assessment.survey)}
    return [
        (ASSESSMENT, lambda: [_assessment_document(assessment)]),
        (INVITATIONS, lambda: _invitations(assessment)),
        (RESPONSES, lambda: _responses(assessment, questions)),
        (RUNS, lambda: _runs(assessment)),
        (AUDIT, lambda: _audit(assessment)),
    ]


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
    return {
        "survey": row_fields(survey),
        "questions": questions,
        "assessment": {
            **row_fields(assessment),
            "id": assessment.pk,
            "published_run": assessment.published_run_id,
            "previous": assessment.previous.survey.title if assessment.previous else None,
            "created_by": username(assessment.created_by),
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
            "topics": topic_rows(topic_ids),
            "groups": [row_fields(g) for g in StakeholderGroup.objects.filter(pk__in=group_ids)],
        },
        "imported_files": [
            {**row_fields(f), "imported_by": username(f.imported_by)}
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
            "requested_by": username(run.requested_by),
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
