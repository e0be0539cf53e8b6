"""An assessment file (format.py) read back as a new assessment: every row gets a new
id, nothing that exists is changed, and it all happens in one transaction, so a file
that turns out damaged half-way leaves nothing behind.

Before any row is written the file is checked whole: a zip, a manifest of this format
and of a version this release reads, every member present with the SHA-256 the
manifest gives. Rows are then read a batch at a time, never the whole file at once.

What comes back differs from the original only where it must: links cannot work (their
tokens were never in the file), so every invitation comes back revoked and every reply
in progress cannot be resumed; people are named as recorded (`actor_name`), not linked
to accounts of another site; a run that was still going is failed; a confirmed run's
matrix files are rendered again after commit (they name the run's new number). The
trail gets one more entry, *Restored from an assessment file*, with the original's
frozen files' names, sizes and SHA-256.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zipfile import ZipFile

from django.db import transaction
from django.utils.translation import gettext_noop

from materiality.audit import audit_record
from materiality.dispatch import send_after_commit
from materiality.models import (
    AggregationRun,
    Assessment,
    AssessmentGroup,
    AssessmentTopic,
    AuditAction,
    AuditEntry,
    GroupScore,
    ImportedFile,
    ReviewStatus,
    RunStatus,
    StakeholderGroup,
    TopicScore,
)
from materiality.portability.archive import archive_read, batches, lines
from materiality.portability.format import (
    ASSESSMENT,
    ASSESSMENT_FILE,
    AUDIT,
    INVITATIONS,
    RESPONSES,
    RUNS,
    model_values,
)
from materiality.portability.vocabulary import topics_ensure
from surveys.models import Survey
from surveys.recreating import (
    invitations_recreate,
    responses_recreate,
    survey_recreate,
    times_restore,
)

UNFINISHED_RUN = gettext_noop(
    "The run had not finished when its assessment was exported; no scores were stored."
)


def assessment_restore(*, path: Path, actor: Any = None) -> Assessment:
    """Read the file at *path* into a new assessment; AssessmentFileError, with nothing
    stored, when it cannot be read."""
    return archive_read(
        path,
        ASSESSMENT_FILE,
        lambda archive, manifest: _restore(archive, manifest, actor, file_name=path.name),
    )


@transaction.atomic
def _restore(
    archive: ZipFile, manifest: dict[str, Any], actor: Any, *, file_name: str
) -> Assessment:
    document = json.loads(archive.read(ASSESSMENT))
    topics, groups = _vocabulary(document)
    assessment, questions = _assessment(document, topics, groups)
    invitations = _invitations(archive, assessment.survey)
    responses = _responses(archive, assessment.survey, questions, invitations)
    runs, files = _runs(archive, assessment, topics, groups)
    _audit(archive, assessment, runs)
    published = document["assessment"].get("published_run")
    if published is not None:
        Assessment.objects.filter(pk=assessment.pk).update(published_run_id=runs[published])
        # Its files are rendered again, under its new number (and the sweep sends this
        # again should the broker be down now).
        send_after_commit("materiality.tasks.matrix_freeze", runs[published])
    audit_record(
        assessment=assessment,
        action=AuditAction.RESTORED,
        actor=actor,
        note=file_name,
        details={
            "format_version": manifest["version"],
            "exported_at": manifest.get("exported_at"),
            "original_assessment": document["assessment"].get("id"),
            "responses": responses,
            "frozen_files": {str(runs[old]): listed for old, listed in files.items()},
        },
    )
    assessment.refresh_from_db()
    return assessment


def _vocabulary(document: dict[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    """The topics and groups by code: those this site has stay as they are; the others
    are added as the file describes them."""
    vocabulary = document["vocabulary"]
    topics = topics_ensure(vocabulary["topics"])
    groups = dict(StakeholderGroup.objects.values_list("code", "pk"))
    for row in vocabulary["groups"]:
        if row["code"] not in groups:
            group = StakeholderGroup.objects.create(**model_values(StakeholderGroup, row))
            groups[group.code] = group.pk
    return topics, groups


def _assessment(
    document: dict[str, Any], topics: dict[str, int], groups: dict[str, int]
) -> tuple[Assessment, dict[str, int]]:
    survey, questions = survey_recreate(survey=document["survey"], questions=document["questions"])
    row = document["assessment"]
    assessment = Assessment.objects.create(survey=survey, **model_values(Assessment, row))
    times_restore([assessment], [row], "created_at")
    AssessmentTopic.objects.bulk_create(
        AssessmentTopic(assessment=assessment, topic_id=topics[t["topic"]], order=t["order"])
        for t in document["topics"]
    )
    AssessmentGroup.objects.bulk_create(
        AssessmentGroup(
            assessment=assessment, group_id=groups[g["group"]], weight=g["weight"], order=g["order"]
        )
        for g in document["groups"]
    )
    ImportedFile.objects.bulk_create(
        ImportedFile(assessment=assessment, **model_values(ImportedFile, f))
        for f in document["imported_files"]
    )
    return assessment, questions


def _invitations(archive: ZipFile, survey: Survey) -> dict[int, int]:
    """Old id -> new id (surveys.recreating: the links come back revoked)."""
    ids: dict[int, int] = {}
    for rows in batches(lines(archive, INVITATIONS, ASSESSMENT_FILE)):
        created = invitations_recreate(survey=survey, rows=rows)
        ids.update((row["id"], new.pk) for row, new in zip(rows, created, strict=True))
    return ids


def _responses(
    archive: ZipFile, survey: Survey, questions: dict[str, int], invitations: dict[int, int]
) -> int:
    count = 0
    for rows in batches(lines(archive, RESPONSES, ASSESSMENT_FILE)):
        responses_recreate(survey=survey, rows=rows, questions=questions, invitations=invitations)
        count += len(rows)
    return count


def _runs(
    archive: ZipFile, assessment: Assessment, topics: dict[str, int], groups: dict[str, int]
) -> tuple[dict[int, int], dict[int, list[dict[str, Any]]]]:
    """Old id -> new id, and the frozen files' metadata by old id."""
    ids: dict[int, int] = {}
    files: dict[int, list[dict[str, Any]]] = {}
    for row in lines(archive, RUNS, ASSESSMENT_FILE):
        values = model_values(AggregationRun, row)
        # Its files are written again on this site (restoring.py's docstring).
        values["frozen_at"] = None
        if values.get("status") in (RunStatus.PENDING, RunStatus.RUNNING):
            values.update(status=RunStatus.FAILED, error=UNFINISHED_RUN)
        run = AggregationRun.objects.create(
            assessment=assessment,
            same_as_id=ids.get(row["same_as"]) if row["same_as"] else None,
            **values,
        )
        times_restore([run], [row], "created_at")
        TopicScore.objects.bulk_create(
            TopicScore(run=run, topic_id=topics[s["topic"]], **model_values(TopicScore, s))
            for s in row["topic_scores"]
        )
        GroupScore.objects.bulk_create(
            GroupScore(
                run=run,
                topic_id=topics[s["topic"]],
                group_id=groups[s["group"]],
                **model_values(GroupScore, s),
            )
            for s in row["group_scores"]
        )
        ids[row["id"]] = run.pk
        if row.get("files") or values.get("review") == ReviewStatus.CONFIRMED:
            files[row["id"]] = row.get("files") or []
    return ids, files


def _audit(archive: ZipFile, assessment: Assessment, runs: dict[int, int]) -> None:
    for rows in batches(lines(archive, AUDIT, ASSESSMENT_FILE)):
        AuditEntry.objects.bulk_create(
            AuditEntry(
                assessment=assessment,
                run_id=runs.get(row["run"]) if row["run"] else None,
                **model_values(AuditEntry, row),
            )
            for row in rows
        )
