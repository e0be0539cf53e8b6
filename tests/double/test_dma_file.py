"""A double materiality assessment as one file: exported and imported again into a
database where the original is gone, it holds the same matters, register, ratings (on
the same methodology versions), decisions, approval, report texts and trail, compared
by content (ids change). Foreign, newer and damaged files, and files needing a rule
pack the site lacks, are refused with nothing stored (materiality/double/portability/)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import translation

from materiality.double.company_matters import matter_add
from materiality.double.decisions import (
    DecisionInput,
    decision_record,
    decisions_in_force,
    needs_note,
)
from materiality.double.matrix_files import dma_matrix_points
from materiality.double.methodology import dma_start_rating, methodology_freeze
from materiality.double.models import (
    Coverage,
    DmaAction,
    DmaEvent,
    DoubleAssessment,
    Iro,
    Matter,
    MatterTopic,
    Perspective,
    Rater,
    RaterRole,
    Rating,
    RulePack,
    TopicOutcome,
)
from materiality.double.outputs.guidance import ARTICLE5_KEY, E1_KEY
from materiality.double.outputs.selectors import dma_outputs
from materiality.double.outputs.services import TopicChoice, disclosure_save, topic_results_save
from materiality.double.portability import format as file_format
from materiality.double.portability.exporting import dma_export
from materiality.double.portability.format import DmaFileError
from materiality.double.portability.restoring import dma_restore
from materiality.double.ratings import rating_add
from materiality.double.register import iro_create
from materiality.double.results import dma_results
from materiality.double.review import dma_approve, dma_close_rating, dma_submit_for_review
from materiality.double.scoring import Settings
from materiality.models import Assessment, Topic
from materiality.portability.exporting import assessment_export
from materiality.roles import Role
from tests.double.conftest import iro_input, matter, risk_input
from tests.factories import TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- A DMA with something of every kind ---------------------------------------------------


def _rate(iro: Iro, rater: Rater, level: int) -> None:
    if iro.kind == "impact":
        rating_add(
            iro=iro, rater=rater, rationale=f"Seen at {level}.", scale=level, scope=level,
            irremediability=level, likelihood=level,
        )  # fmt: skip
    else:
        rating_add(
            iro=iro, rater=rater, rationale="Priced.", magnitude=level, likelihood=level,
            amount="2500000.50",
        )  # fmt: skip


@pytest.fixture
def reviewed(
    dma: DoubleAssessment, esg_user: Any, decider_user: Any, open_assessment: Assessment
) -> DoubleAssessment:
    """Own matters (one below another, one below a pack matter) with a crosswalk link,
    IROs on pack and own matters, two raters (one with an account) rating under two
    methodology versions, decision notes and an override approved by "decider",
    submitted for review; every step in the trail. Linked to a survey assessment."""
    DoubleAssessment.objects.filter(pk=dma.pk).update(survey_assessment=open_assessment)
    fintech = matter_add(
        dma=dma, name={"en": "Fintech innovation", "zh-hans": "金融科技创新"}, dimension="G",
        actor=esg_user,
    )  # fmt: skip
    banking = matter_add(dma=dma, name={"en": "Open banking"}, parent=fintech, actor=esg_user)
    matter_add(dma=dma, name={"en": "Branch closures"}, parent=matter("S4.1"), actor=esg_user)
    topic = TopicFactory(code="fintech")
    MatterTopic.objects.create(topic=topic, matter=fintech, coverage=Coverage.PARTIAL)
    impact = iro_create(dma=dma, data=iro_input(), actor=esg_user)
    risk = iro_create(dma=dma, data=risk_input(), actor=esg_user)
    own = iro_create(
        dma=dma,
        data=iro_input(matter=banking, title={"en": "Exclusion of older customers"}),
        actor=esg_user,
    )
    expert = Rater.objects.create(dma=dma, user=esg_user, name="Wang", role=RaterRole.FINANCE_RISK)
    panel = Rater.objects.create(dma=dma, name="Customer panel", role=RaterRole.STAKEHOLDER)
    dma_start_rating(dma=dma, actor=esg_user)
    _rate(impact, expert, 4)
    _rate(impact, panel, 2)
    _rate(risk, expert, 5)
    methodology_freeze(
        dma=dma,
        settings=Settings().as_dict() | {"resamples": 4000},
        actor=esg_user,
        note="More resamples.",
    )
    _rate(impact, expert, 3)  # a change of mind, under version 2
    _rate(own, panel, 4)
    dma_close_rating(dma=dma, actor=esg_user)
    for row in needs_note(dma_results(dma)):
        decision_record(
            dma=dma, data=DecisionInput(matter=row.matter, note="Judged."), actor=esg_user
        )
    climate = matter("E1.2")
    for note in ("Priced in already.", "Priced in by contract."):  # the second is in force
        decision_record(
            dma=dma,
            data=DecisionInput(
                matter=climate,
                note=note,
                perspective=Perspective.FINANCIAL,
                material_final=False,
                reason="The carbon price is passed on to customers.",
                approver=decider_user,
            ),
            actor=esg_user,
        )
    dma_submit_for_review(dma=dma, actor=esg_user)
    dma.refresh_from_db()
    return dma


@pytest.fixture
def whole(reviewed: DoubleAssessment, esg_user: Any, decider_user: Any) -> DoubleAssessment:
    """The reviewed DMA approved by "decider", with report texts and an exchange topic
    result."""
    dma = reviewed
    dma_approve(dma=dma, actor=decider_user, note="Approved for the 2025 report.")
    disclosure_save(dma=dma, key=ARTICLE5_KEY, text={"en": "Our process."}, actor=esg_user)
    rural = Matter.objects.get(pack__code="cn-exchanges-2024", code="rural-revitalisation")
    topic_results_save(
        dma=dma,
        choices=[TopicChoice(rural, TopicOutcome.NOT_APPLICABLE, "Urban only.")],
        language="en",
        actor=esg_user,
    )
    dma.refresh_from_db()
    return dma


# --- What a person would call its content: everything but ids -------------------------------


def fields(obj: models.Model) -> dict[str, Any]:
    return {
        f.name: f.value_from_object(obj)
        for f in obj._meta.concrete_fields
        if not f.primary_key and not f.is_relation
    }


def ref(matter: Matter | None) -> tuple[str | None, str] | None:
    if matter is None:
        return None
    return (matter.pack.code if matter.pack else None, matter.code)


def content(dma: DoubleAssessment) -> dict[str, Any]:
    dma = DoubleAssessment.objects.get(pk=dma.pk)
    raters = list(dma.raters.order_by("pk"))
    rater_index = {r.pk: i for i, r in enumerate(raters)}
    approvals = list(dma.approvals.order_by("pk"))
    approval_index = {a.pk: i for i, a in enumerate(approvals)}
    ratings = Rating.objects.filter(iro__dma=dma).select_related("iro", "methodology_version")
    events = []
    for event in dma.events.order_by("created_at", "pk"):
        row = fields(event)
        if "approval" in row["details"]:
            row["details"] = row["details"] | {
                "approval": approval_index[row["details"]["approval"]]
            }
        events.append(row)
    return {
        "dma": fields(dma),
        "packs": sorted(dma.packs.values_list("code", flat=True)),
        "versions": [fields(v) for v in dma.methodology_versions.order_by("number")],
        "own_matters": sorted(
            (
                (fields(m), ref(m.parent))
                for m in Matter.objects.filter(dma=dma).select_related("parent__pack")
            ),
            key=repr,
        ),
        "crosswalk": sorted(
            MatterTopic.objects.filter(matter__dma=dma).values_list(
                "matter__code", "topic__code", "coverage"
            )
        ),
        "iros": [
            (fields(iro), ref(iro.matter))
            for iro in dma.iros.select_related("matter__pack").order_by("reference")
        ],
        "raters": [fields(r) for r in raters],
        "ratings": [
            (fields(r), r.iro.reference, rater_index[r.rater_id], r.methodology_version.number)
            for r in ratings.order_by("pk")
        ],
        "decisions": [
            (fields(d), ref(d.matter))
            for d in dma.decisions.select_related("matter__pack").order_by("pk")
        ],
        "approvals": [fields(a) for a in approvals],
        "texts": [fields(t) for t in dma.disclosure_texts.order_by("key")],
        "topic_results": [
            (fields(r), ref(r.matter))
            for r in dma.topic_results.select_related("matter__pack").order_by("pk")
        ],
        "events": events,
    }


def outputs_content(dma: DoubleAssessment) -> dict[str, Any]:
    """What the approved outputs say."""
    outputs = dma_outputs(dma, dma.approvals.get(), "en")
    assert outputs.exchange is not None
    assert outputs.iro2 is not None
    return {
        "approved_by": outputs.approved_by,
        "approved_at": outputs.approved_at,
        "methodology": outputs.methodology,
        "matters": [
            (r.name, r.framework, r.depth, r.impact_score, r.financial_score, r.material)
            for r in outputs.matters
        ],
        "register": [row.reference for row in outputs.register],
        "exchange": [
            (row.matter.code, row.outcome, row.reason, row.set_by_team)
            for row in outputs.exchange.topics
        ],
        "exchange_missing": outputs.exchange.missing,
        "article5": outputs.exchange.article5,
        "iro2_missing": outputs.iro2.missing,
        # IRO-1 (a) and (h): each methodology version, when and by whom it was frozen.
        "versions": [(p.code, p.known) for p in outputs.iro1 if p.code in ("a", "h")],
    }


def remove(dma: DoubleAssessment) -> None:
    """The original gone entirely: the import finds a database without it."""
    Rating.objects.filter(iro__dma=dma).delete()
    DmaEvent.objects.filter(dma=dma).delete()
    dma.decisions.all().delete()
    dma.topic_results.all().delete()
    dma.iros.all().delete()
    for own in Matter.objects.filter(dma=dma).order_by("-level"):
        own.delete()
    DoubleAssessment.objects.filter(pk=dma.pk).delete()


def stored() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (DoubleAssessment, Matter, Iro, Rater, Rating, DmaEvent, Topic)
    )


# --- Round trip -------------------------------------------------------------------------------


# Committed for real, so that on PostgreSQL the export takes its own REPEATABLE READ
# snapshot (inside a test's transaction the snapshot is that transaction's).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_exported_dma_imports_with_the_same_content(
    whole: DoubleAssessment, open_assessment: Assessment, tmp_path: Path
) -> None:
    path = tmp_path / "dma.zip"
    counts = dma_export(dma_id=whole.pk, path=path)
    assert counts["ratings"] == 5
    assert counts["iros"] == 3
    assert counts["raters"] == 2
    assert counts["approvals"] == 1
    assert not (tmp_path / "dma.zip.part").exists()
    before = content(whole)
    points = dma_matrix_points(whole, "en")
    outputs = outputs_content(whole)
    remove(whole)
    Topic.objects.filter(code="fintech").delete()  # the site lacks it: the file adds it

    restored = dma_restore(path=path)

    after = content(restored)
    last = after["events"].pop()
    assert last["action"] == DmaAction.RESTORED
    assert last["actor_name"] == ""
    assert last["details"]["original_dma"] == whole.pk
    assert last["details"]["file"] == "dma.zip"
    assert last["details"]["ratings"] == 5
    # Accounts are not carried: whom the DMA named, where no restored row names them
    # as text (a rater's account), is in the restore entry.
    assert last["details"]["not_linked"] == {"raters": {"Wang": "esg-member"}}
    assert after == before  # approvers', freezers' and recorders' names included
    # Its own matters and their crosswalk came with it, the topic included.
    assert Topic.objects.filter(code="fintech").exists()
    # People are names, not accounts, on this site.
    assert not restored.raters.filter(user__isnull=False).exists()
    assert not restored.decisions.filter(approver__isnull=False).exists()
    assert not restored.approvals.filter(approved_by__isnull=False).exists()
    assert [d.approver_name for d in restored.decisions.order_by("pk") if d.overridden] == [
        "decider",
        "decider",
    ]
    assert restored.approvals.get().approved_by_name == "decider"
    assert not restored.methodology_versions.filter(created_by__isnull=False).exists()
    assert not restored.decisions.filter(created_by__isnull=False).exists()
    versions = restored.methodology_versions.order_by("number")
    assert [v.created_by_name for v in versions] == ["esg-member", "esg-member"]
    assert set(restored.decisions.values_list("created_by_name", flat=True)) == {"esg-member"}
    assert restored.events.exclude(actor_name="").exists()
    # The approved matrix is drawn again from the approval's frozen results, the same.
    assert dma_matrix_points(restored, "en") == points
    assert outputs_content(restored) == outputs
    assert outputs["approved_by"] == "decider"
    assert "by esg-member" in " ".join(outputs["versions"][0][1])
    assert restored.status == "approved"


# --- Who approved, named without the accounts ----------------------------------------------


def page(user: Any, name: str, dma: DoubleAssessment) -> str:
    """The page's text as a person reads it (whitespace run together)."""
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    response = client.get(reverse(name, args=[dma.pk]))
    assert response.status_code == 200
    return " ".join(response.text.split())


OVERRIDE_SHOWN = "Reason: The carbon price is passed on to customers. · approved by decider"


def test_a_restored_dma_still_names_who_approved(
    whole: DoubleAssessment, esg_user: Any, tmp_path: Path
) -> None:
    path = tmp_path / "dma.zip"
    dma_export(dma_id=whole.pk, path=path)
    restored = dma_restore(path=path)

    results = page(esg_user, "double:results", restored)
    assert "by decider, scored with methodology version 2" in results  # the banner
    assert OVERRIDE_SHOWN in results  # the approved decisions
    outputs = page(esg_user, "double:outputs", restored)
    approved_at = restored.approvals.get().approved_at
    assert f"Approved on {approved_at:%Y-%m-%d} by decider" in outputs
    for text in (results, outputs):
        assert "approved by —" not in text.lower()
        assert "by None" not in text


def test_a_restored_dma_still_names_who_froze_each_methodology_version(
    whole: DoubleAssessment, esg_user: Any, tmp_path: Path
) -> None:
    path = tmp_path / "dma.zip"
    dma_export(dma_id=whole.pk, path=path)
    restored = dma_restore(path=path)

    methodology = page(esg_user, "double:methodology", restored)
    assert len(re.findall(r"Frozen [\d-]+ [\d:]+ by esg-member", methodology)) == 2
    detail = page(esg_user, "double:dma", restored)
    for number in (1, 2):  # the DMA page's table of versions: number, when, by whom
        assert re.search(rf'<th scope="row">{number}</th><td>[^<]+</td><td>esg-member</td>', detail)
    outputs = page(esg_user, "double:outputs", restored)
    assert len(re.findall(r"Methodology version \d, frozen [\d-]+ by esg-member", outputs)) == 2
    assert len(re.findall(r"Version \d \([\d-]+, esg-member\)", outputs)) == 2
    for text in (methodology, detail, outputs):
        assert "by —" not in text
        assert ", —)" not in text
    # The ESRS workbook's IRO-1 sheet says the same (once climate's judgement is explained).
    disclosure_save(dma=restored, key=E1_KEY, text={"en": "No data centres."}, actor=esg_user)
    client = Client()
    client.force_login(esg_user)
    url = reverse("double:outputs-file", args=[restored.pk, "esrs", "xlsx"])
    workbook = client.get(f"{url}?lang=en")
    assert workbook.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["IRO-1"]
    known = "\n".join(str(row[2]) for row in sheet.values)
    assert len(re.findall(r"frozen [\d-]+ by esg-member", known)) == 2
    assert "by —" not in known


def test_a_restored_dma_exported_again_still_names_its_people(
    whole: DoubleAssessment, tmp_path: Path
) -> None:
    first_file, second_file = tmp_path / "first.zip", tmp_path / "second.zip"
    dma_export(dma_id=whole.pk, path=first_file)
    first = dma_restore(path=first_file)

    dma_export(dma_id=first.pk, path=second_file)
    second = dma_restore(path=second_file)

    # The file names them as before, by username, in rows of the same shape.
    with zipfile.ZipFile(second_file) as archive:
        approvals = [json.loads(line) for line in archive.read(file_format.APPROVALS).splitlines()]
        decisions = [json.loads(line) for line in archive.read(file_format.DECISIONS).splitlines()]
        versions = json.loads(archive.read(file_format.DMA))["methodology_versions"]
    assert [row["approved_by"] for row in approvals] == ["decider"]
    assert {row["approver"] for row in decisions} == {"", "decider"}
    assert {row["created_by"] for row in decisions} == {"esg-member"}
    assert [row["created_by"] for row in versions] == ["esg-member", "esg-member"]
    kept = {"approved_by_name", "approver_name", "created_by_name"}
    assert not kept & {*approvals[0], *decisions[0], *versions[0]}
    copied = content(second)
    assert copied["events"].pop()["action"] == DmaAction.RESTORED
    assert copied == content(first)
    assert second.approvals.get().approved_by_name == "decider"
    assert dma_outputs(second, second.approvals.get(), "en").approved_by == "decider"
    assert {v.created_by_username for v in second.methodology_versions.all()} == {"esg-member"}
    assert {d.created_by_username for d in second.decisions.all()} == {"esg-member"}


def test_a_restored_dma_under_review_shows_and_freezes_the_overrides_approver(
    reviewed: DoubleAssessment, esg_user: Any, tmp_path: Path
) -> None:
    path = tmp_path / "dma.zip"
    dma_export(dma_id=reviewed.pk, path=path)
    restored = dma_restore(path=path)
    assert restored.status == "review"

    results = page(esg_user, "double:results", restored)
    assert OVERRIDE_SHOWN in results  # the decision, with its approver's name
    assert "approved by —" not in results
    assert "None" not in results
    # Who recorded each decision in force, as the account had it.
    assert results.count("· esg-member</p>") == len(decisions_in_force(restored))

    # Approved on this site by someone else: the override keeps its own approver.
    second = UserFactory(username="second-decider", roles=[Role.DECISION_GROUP])
    approval = dma_approve(dma=restored, actor=second)
    climate = next(m for m in approval.results["matters"] if m["matter"] == "E1.2")
    assert climate["decisions"]["financial"]["approver"] == "decider"
    assert climate["decisions"]["financial"]["recorded_by"] == "esg-member"
    assert approval.approved_by_name == "second-decider"
    results = page(esg_user, "double:results", restored)
    assert "by second-decider, scored with methodology version 2" in results
    assert OVERRIDE_SHOWN in results
    assert "· esg-member</p>" in results  # the frozen decisions name who recorded them


def test_the_restored_trail_says_the_survey_assessment_was_not_linked(
    whole: DoubleAssessment, open_assessment: Assessment, tmp_path: Path
) -> None:
    path = tmp_path / "dma.zip"
    dma_export(dma_id=whole.pk, path=path)
    restored = dma_restore(path=path)
    assert whole.survey_assessment_id == open_assessment.pk
    assert restored.survey_assessment is None
    entry = restored.events.order_by("-created_at", "-pk").first()
    assert entry is not None
    assert entry.details["survey_assessment_not_linked"] == {
        "id": open_assessment.pk,
        "title": open_assessment.survey.title,
    }


def test_importing_never_overwrites_a_second_import_is_a_new_dma(
    whole: DoubleAssessment, tmp_path: Path
) -> None:
    path = tmp_path / "dma.zip"
    dma_export(dma_id=whole.pk, path=path)
    original = content(whole)
    first = dma_restore(path=path)
    second = dma_restore(path=path)
    assert len({whole.pk, first.pk, second.pk}) == 3
    assert content(whole) == original
    for copy in (first, second):
        copied = content(copy)
        assert copied["events"].pop()["action"] == DmaAction.RESTORED
        assert copied == original
    # Own matters are each copy's own.
    assert Matter.objects.filter(dma__in=[first, second], code="C001").count() == 2


# --- Files that cannot be read ----------------------------------------------------------------


def rewrite(
    path: Path, target: Path, change: Callable[[str, bytes], bytes], *, matching: bool = False
) -> None:
    """A copy of the file with each member changed by *change*; the manifest's digests
    made to match the changed members when *matching*, else kept as they were."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as copy:
        manifest = json.loads(source.read(file_format.MANIFEST))
        for name in source.namelist():
            data = change(name, source.read(name))
            if name != file_format.MANIFEST:
                copy.writestr(name, data)
                if matching:
                    manifest["members"][name] = hashlib.sha256(data).hexdigest()
            elif not matching:
                manifest = json.loads(data)
        copy.writestr(file_format.MANIFEST, json.dumps(manifest))


def test_the_approvals_frozen_results_name_this_sites_packs(
    whole: DoubleAssessment, tmp_path: Path
) -> None:
    # Packs have other ids on another site: the file's ids are mapped by pack code.
    path, moved = tmp_path / "dma.zip", tmp_path / "moved.zip"
    dma_export(dma_id=whole.pk, path=path)

    def shift(name: str, data: bytes) -> bytes:
        if name == file_format.DMA:
            document = json.loads(data)
            for pack in document["packs"]:
                pack["id"] += 1000
            return json.dumps(document).encode()
        if name == file_format.APPROVALS:
            rows = [json.loads(line) for line in data.splitlines()]
            for row in rows:
                for m in row["results"]["matters"]:
                    if m["pack"] is not None:
                        m["pack"] += 1000
            return b"".join(json.dumps(row).encode() + b"\n" for row in rows)
        return data

    rewrite(path, moved, shift, matching=True)
    restored = dma_restore(path=moved)
    packs = set(RulePack.objects.values_list("pk", flat=True))
    approval = restored.approvals.get()
    named = {m["pack"] for m in approval.results["matters"]} - {None}
    assert named
    assert named <= packs
    assert approval.results == whole.approvals.get().results


def test_a_missing_rule_pack_is_refused_with_how_to_load_it(
    whole: DoubleAssessment, tmp_path: Path
) -> None:
    path = tmp_path / "dma.zip"
    dma_export(dma_id=whole.pk, path=path)
    # This site does not hold the exchange guidelines' pack.
    RulePack.objects.filter(code="cn-exchanges-2024").update(code="cn-exchanges-old")
    before = stored()
    with pytest.raises(DmaFileError) as refused:
        dma_restore(path=path)
    message = str(refused.value)
    assert "cn-exchanges-2024 (" in message
    assert "manage.py load_rule_packs" in message
    assert "Nothing was imported" in message
    assert stored() == before

    # A pack this site holds, without a matter the file uses.
    RulePack.objects.filter(code="cn-exchanges-old").update(code="cn-exchanges-2024")
    Matter.objects.filter(pack__code="esrs-2023", code="E1.2").update(code="E1.2-old")
    with pytest.raises(DmaFileError, match=r"esrs-2023 on this site has no matter E1\.2"):
        dma_restore(path=path)
    assert stored() == before


def test_a_newer_format_version_is_refused_with_a_clear_message(
    whole: DoubleAssessment, tmp_path: Path
) -> None:
    path, newer = tmp_path / "dma.zip", tmp_path / "newer.zip"
    dma_export(dma_id=whole.pk, path=path)

    def later(name: str, data: bytes) -> bytes:
        if name != file_format.MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["version"] = file_format.FORMAT_VERSION + 1
        return json.dumps(manifest).encode()

    rewrite(path, newer, later)
    before = stored()
    with pytest.raises(DmaFileError, match="newer release of Materia"):
        dma_restore(path=newer)
    assert stored() == before


def test_a_damaged_file_is_refused_and_nothing_is_stored(
    whole: DoubleAssessment, tmp_path: Path
) -> None:
    path = tmp_path / "dma.zip"
    dma_export(dma_id=whole.pk, path=path)
    before = stored()

    # A member changed after export (its digest no longer matches).
    tampered = tmp_path / "tampered.zip"
    rewrite(
        path,
        tampered,
        lambda name, data: (
            data.replace(b'"scale":4', b'"scale":5', 1) if name == file_format.RATINGS else data
        ),
    )
    with pytest.raises(DmaFileError, match=r"ratings\.jsonl is not what was exported"):
        dma_restore(path=tampered)

    # Cut short, as a copy that stopped half-way.
    cut = tmp_path / "cut.zip"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DmaFileError, match="damaged"):
        dma_restore(path=cut)

    # A rating that names no IRO, with digests that match: found once the DMA, its
    # register and raters are stored, and all of it rolled back.
    broken = tmp_path / "broken.zip"
    rewrite(
        path,
        broken,
        lambda name, data: data + b'{"id": 1}\n' if name == file_format.RATINGS else data,
        matching=True,
    )
    with pytest.raises(DmaFileError, match="is damaged: KeyError"):
        dma_restore(path=broken)

    assert stored() == before


def test_the_command_exports_and_imports(
    whole: DoubleAssessment,
    open_assessment: Assessment,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "backup.zip"
    call_command("dma_file", "export", str(whole.pk), str(path))
    assert "written to" in capsys.readouterr().out
    call_command("dma_file", "import", str(path))
    assert "Imported as double materiality assessment" in capsys.readouterr().out
    assert DoubleAssessment.objects.count() == 2

    with pytest.raises(CommandError, match="no double materiality assessment"):
        call_command("dma_file", "export", "999999", str(path))
    not_a_file = tmp_path / "notes.zip"
    not_a_file.write_text("hello")
    with pytest.raises(CommandError, match="not a double materiality assessment file"):
        call_command("dma_file", "import", str(not_a_file))
    # A survey assessment's file is another kind of file.
    survey_file = tmp_path / "assessment.zip"
    assessment_export(assessment_id=open_assessment.pk, path=survey_file)
    with pytest.raises(CommandError, match="not a double materiality assessment file exported"):
        call_command("dma_file", "import", str(survey_file))
    assert DoubleAssessment.objects.count() == 2


def test_refusals_are_worded_in_chinese_too(whole: DoubleAssessment, tmp_path: Path) -> None:
    path = tmp_path / "dma.zip"
    dma_export(dma_id=whole.pk, path=path)
    RulePack.objects.filter(code="esrs-2023").update(code="esrs-old")
    not_a_file = tmp_path / "notes.zip"
    not_a_file.write_text("hello")
    with translation.override("zh-hans"):
        with pytest.raises(DmaFileError, match="这不是双重重要性评估文件"):
            dma_restore(path=not_a_file)
        with pytest.raises(DmaFileError, match="本站点没有的规则包：esrs-2023"):
            dma_restore(path=path)
