"""Backups: a whole assessment exported to one file and imported again, into a database
where the original is gone, holds the same responses, scores, confirmation and audit
trail, compared by content (ids change). Damaged, foreign and newer files are refused,
with nothing stored (materiality/portability/)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.utils import translation

from materiality.models import (
    AggregationRun,
    Assessment,
    AuditAction,
    AuditEntry,
    GroupScore,
    RunStatus,
    TopicScore,
)
from materiality.portability import format as file_format
from materiality.portability.exporting import assessment_export
from materiality.portability.format import AssessmentFileError
from materiality.portability.restoring import assessment_restore
from materiality.privacy import on_responses_erased
from materiality.runs.confirmation import run_confirm, run_submit_for_confirmation
from surveys.models import Invitation, InvitationKind, Response, Survey
from tests.factories import AggregationRunFactory
from tests.materiality.test_data_protection import personal_reply
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    # The messages are read in English here; the command speaks the site's language.
    with translation.override("en"):
        yield


UNCOMPARED_RUN_FIELDS = {"id", "assessment", "same_as", "requested_by", "frozen_at"}


def content(assessment: Assessment) -> dict[str, Any]:
    """What a person would call the assessment's content: everything but ids."""
    assessment = Assessment.objects.select_related("survey").get(pk=assessment.pk)
    survey = assessment.survey
    responses = [
        (
            r.status,
            r.source,
            r.language,
            r.respondent_group,
            r.respondent_internal,
            r.started_at,
            r.submitted_at,
            r.duration_seconds,
            r.straight_lined,
            r.contact_email,
            sorted(
                r.answers.values_list(
                    "question__code", "row_code", "column_code", "value", "dont_know", "text"
                )
            ),
        )
        for r in Response.objects.filter(survey=survey).prefetch_related("answers")
    ]
    runs = list(AggregationRun.objects.filter(assessment=assessment).order_by("created_at", "pk"))
    index = {run.pk: position for position, run in enumerate(runs)}
    run_rows = []
    for run in runs:
        fields = {
            f.name: getattr(run, f.attname)
            for f in AggregationRun._meta.concrete_fields
            if f.name not in UNCOMPARED_RUN_FIELDS
        }
        fields["same_as"] = index[run.same_as_id] if run.same_as_id else None
        fields["topic_scores"] = list(
            TopicScore.objects.filter(run=run)
            .order_by("rank")
            .values_list("topic__code", "rank", "combined", "material", "tier", "company")
        )
        fields["group_scores"] = sorted(
            GroupScore.objects.filter(run=run).values_list(
                "topic__code", "group__code", "axis", "n", "mean"
            )
        )
        run_rows.append(fields)
    audit = [
        (e.created_at, e.actor_name, e.action, e.note, e.details, index.get(e.run_id or 0))
        for e in AuditEntry.objects.filter(assessment=assessment).order_by("created_at", "pk")
    ]
    return {
        "title": survey.title,
        "survey": (survey.status, survey.anonymous, survey.languages, survey.created_at),
        "questions": sorted(survey.questions.values_list("code", "kind", "text", "order")),
        "period": (assessment.period_start, assessment.period_end, assessment.scoring),
        "topics": list(assessment.assessmenttopic_set.values_list("topic__code", "order")),
        "groups": list(assessment.assessmentgroup_set.values_list("group__code", "weight")),
        "invitations": sorted(
            survey.invitations.values_list(
                "kind", "respondent_group", "email", "label", "created_at", "responded_at"
            )
        ),
        "responses": sorted(responses, key=repr),
        "runs": run_rows,
        "published": index.get(assessment.published_run_id or 0),
        "audit": audit,
    }


def remove(assessment: Assessment) -> None:
    """The original gone entirely: the import finds a database without it."""
    Assessment.objects.filter(pk=assessment.pk).update(published_run=None)
    survey_id = assessment.survey_id
    Assessment.objects.filter(pk=assessment.pk).delete()
    Survey.objects.filter(pk=survey_id).delete()


@pytest.fixture
def confirmed(open_assessment: Assessment, esg_user: Any, decider_user: Any) -> Assessment:
    """Replies, a group link, two runs (the second unchanged), one confirmed, an
    erasure in the trail."""
    InvitationFactory(survey=open_assessment.survey, kind=InvitationKind.SHARED)
    run: AggregationRun = AggregationRunFactory(  # type: ignore[assignment]
        assessment=open_assessment, requested_by=esg_user
    )
    again: AggregationRun = AggregationRunFactory(  # type: ignore[assignment]
        assessment=open_assessment, replies=None, scoring=None
    )
    assert again.status == RunStatus.UNCHANGED
    run_submit_for_confirmation(run=run, user=esg_user, note="Looks right.")
    run_confirm(run=run, user=decider_user, note="Confirmed for the 2026 report.")
    on_responses_erased({open_assessment.survey_id: 2}, esg_user)
    return open_assessment


# Committed for real: the confirmation's after-commit freezing writes the files whose
# names, sizes and digests the file lists, and the import's freezing renders new ones.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_exported_assessment_imports_with_the_same_content(
    confirmed: Assessment, tmp_path: Path
) -> None:
    path = tmp_path / "assessment.zip"
    counts = assessment_export(assessment_id=confirmed.pk, path=path)
    assert counts["responses"] == Response.objects.filter(survey=confirmed.survey).count() > 0
    assert counts["runs"] == 2
    before = content(confirmed)
    remove(confirmed)

    restored = assessment_restore(path=path)

    after = content(restored)
    restored_entry = after["audit"].pop()
    assert restored_entry[2] == AuditAction.RESTORED
    assert restored_entry[4]["original_assessment"] == confirmed.pk
    # Links cannot work without their tokens: they come back revoked.
    assert not restored.survey.invitations.filter(revoked_at__isnull=True).exists()
    assert after == before
    assert after["published"] == 0
    # The original's frozen files are listed in the trail; the restored run has its own.
    published = restored.published_run
    assert published is not None
    listed = restored_entry[4]["frozen_files"][str(published.pk)]
    assert listed
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in listed)
    assert published.frozen_at is not None


def test_importing_never_overwrites_a_second_import_is_a_new_assessment(
    confirmed: Assessment, tmp_path: Path
) -> None:
    path = tmp_path / "assessment.zip"
    assessment_export(assessment_id=confirmed.pk, path=path)
    first = assessment_restore(path=path)
    second = assessment_restore(path=path)
    assert len({confirmed.pk, first.pk, second.pk}) == 3
    original = content(confirmed)
    for copy in (first, second):
        copied = content(copy)
        copied["audit"].pop()
        assert copied == original


def test_an_anonymous_assessments_file_ties_no_response_to_a_person(
    open_assessment: Assessment, tmp_path: Path
) -> None:
    personal_reply(open_assessment, "li.wei@example.com")
    assert open_assessment.survey.anonymous
    path = tmp_path / "assessment.zip"
    assessment_export(assessment_id=open_assessment.pk, path=path)
    with zipfile.ZipFile(path) as archive:
        written = b"".join(archive.read(name) for name in archive.namelist())
    assert b"li.wei@example.com" not in written
    assert b"Li Wei" not in written
    with zipfile.ZipFile(path) as archive:
        rows = [json.loads(line) for line in archive.read(file_format.RESPONSES).splitlines()]
    assert [(r["invitation"], r["personal_invitation"]) for r in rows] == [(None, None)]


def test_a_named_surveys_file_keeps_who_answered(
    open_assessment: Assessment, tmp_path: Path
) -> None:
    Survey.objects.filter(pk=open_assessment.survey_id).update(anonymous=False)
    personal_reply(open_assessment, "li.wei@example.com")
    path = tmp_path / "assessment.zip"
    assessment_export(assessment_id=open_assessment.pk, path=path)
    restored = assessment_restore(path=path)
    response = Response.objects.get(survey=restored.survey)
    assert response.personal_invitation is not None
    assert response.personal_invitation.email == "li.wei@example.com"
    assert Invitation.objects.filter(email="li.wei@example.com").count() == 2


def rewrite(path: Path, target: Path, change: Any) -> None:
    """A copy of the file with its manifest changed by *change*, the members as they are."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as copy:
        for name in source.namelist():
            data = source.read(name)
            if name == file_format.MANIFEST:
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
            copy.writestr(name, data)


def test_a_newer_format_version_is_refused_with_a_clear_message(
    open_assessment: Assessment, tmp_path: Path
) -> None:
    path, newer = tmp_path / "a.zip", tmp_path / "newer.zip"
    assessment_export(assessment_id=open_assessment.pk, path=path)
    rewrite(path, newer, lambda m: m.update(version=file_format.FORMAT_VERSION + 1))
    surveys = Survey.objects.count()
    with pytest.raises(AssessmentFileError, match="newer release of Materia"):
        assessment_restore(path=newer)
    assert Survey.objects.count() == surveys


def test_a_damaged_file_is_refused_and_nothing_is_stored(
    confirmed: Assessment, tmp_path: Path
) -> None:
    path = tmp_path / "a.zip"
    assessment_export(assessment_id=confirmed.pk, path=path)
    counts = (Survey.objects.count(), Response.objects.count(), AuditEntry.objects.count())

    # A member changed after export (its digest no longer matches).
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as copy:
        for name in source.namelist():
            data = source.read(name)
            if name == file_format.RUNS:
                data = data.replace(b'"material":true', b'"material":false', 1)
            copy.writestr(name, data)
    with pytest.raises(AssessmentFileError, match="damaged"):
        assessment_restore(path=tampered)

    # Cut short, as a copy that stopped half-way.
    cut = tmp_path / "cut.zip"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(AssessmentFileError, match="damaged"):
        assessment_restore(path=cut)

    # A row that lacks what it must hold, with digests that match: rolled back whole.
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as copy:
        manifest = json.loads(source.read(file_format.MANIFEST))
        for name in source.namelist():
            data = source.read(name)
            if name == file_format.AUDIT:
                data += b'{"id": 1}\n'
                manifest["members"][name] = hashlib.sha256(data).hexdigest()
            if name != file_format.MANIFEST:
                copy.writestr(name, data)
        copy.writestr(file_format.MANIFEST, json.dumps(manifest))
    with pytest.raises(AssessmentFileError, match="damaged"):
        assessment_restore(path=broken)

    assert (Survey.objects.count(), Response.objects.count(), AuditEntry.objects.count()) == counts


def test_the_command_exports_and_imports(
    confirmed: Assessment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "backup.zip"
    call_command("assessment_file", "export", str(confirmed.pk), str(path))
    assert "written to" in capsys.readouterr().out
    call_command("assessment_file", "import", str(path))
    assert "Imported as assessment" in capsys.readouterr().out
    assert Assessment.objects.filter(~Q(pk=confirmed.pk)).count() == 1

    with pytest.raises(CommandError, match="no assessment"):
        call_command("assessment_file", "export", "999999", str(path))
    not_a_file = tmp_path / "notes.zip"
    not_a_file.write_text("hello")
    with pytest.raises(CommandError, match="not an assessment file"):
        call_command("assessment_file", "import", str(not_a_file))
