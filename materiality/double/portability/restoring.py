"""A DMA file (format.py) read back as a new DMA: every row gets a new id, nothing that
exists is changed, and it all happens in one transaction, so a file that turns out
damaged half-way leaves nothing behind. The file is checked whole first
(materiality/portability/archive.py); rows are then stored a batch at a time.

Rule packs are the sites' shared vocabulary: the file names them by code, and a pack
this site lacks (or a matter its pack lacks) refuses the file before anything is stored,
saying how to load it. Topics the crosswalk names and this site lacks are added, as the
survey assessment's file does.

What comes back differs from the original only where it must: no row is linked to an
account of this site (the trail keeps its names in `actor_name`, a rater its name, an
approval and an override their approver's in `approved_by_name` and `approver_name`, a
methodology version who froze it and a decision who recorded it in `created_by_name`,
which the pages and outputs show; the frozen approval names its people as text); a
rater's account is not named otherwise, so the restore entry keeps its username, and a
rater must be linked to an account again before rating on. The link to a survey
assessment is empty (that assessment is not in the file), and the ids inside the trail
and the approvals' frozen results (an approval, a pack) are this site's. The trail ends
with *Restored from a file*, whose details say all this.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zipfile import ZipFile

from django.db import transaction
from django.utils.translation import gettext as _

from materiality.double.events import dma_event_record
from materiality.double.models import (
    DisclosureText,
    DmaAction,
    DmaApproval,
    DmaEvent,
    DoubleAssessment,
    Iro,
    Matter,
    MatterDecision,
    MatterTopic,
    MethodologyVersion,
    Rater,
    Rating,
    RulePack,
    TopicResult,
)
from materiality.double.portability.format import (
    APPROVALS,
    DECISIONS,
    DMA,
    DMA_FILE,
    EVENTS,
    IROS,
    RATERS,
    RATINGS,
    DmaFileError,
)
from materiality.portability.archive import archive_read, batches, lines
from materiality.portability.vocabulary import topics_ensure
from surveys.recreating import model_values, times_restore

Rows = Iterable[dict[str, Any]]


def dma_restore(*, path: Path, actor: Any = None) -> DoubleAssessment:
    """Read the file at *path* into a new DMA; DmaFileError, with nothing stored, when
    it cannot be read or this site lacks a rule pack it needs."""
    return archive_read(
        path,
        DMA_FILE,
        lambda archive, manifest: _restore(archive, manifest, actor, file_name=path.name),
    )


class _Matters:
    """The file's matter references (`{"pack": code, "code": code}`) as this site's ids:
    pack matters by code in the site's pack, the DMA's own as they are recreated."""

    def __init__(self, packs: dict[str, int]) -> None:
        self.pack_matters = {
            (pack, code): pk
            for pack, code, pk in Matter.objects.filter(pack_id__in=packs.values()).values_list(
                "pack__code", "code", "pk"
            )
        }
        self.own: dict[str, int] = {}

    def __getitem__(self, ref: dict[str, Any]) -> int:
        pack, code = ref["pack"], ref["code"]
        if pack is None:
            return self.own[code]
        found = self.pack_matters.get((pack, code))
        if found is None:
            raise DmaFileError(
                _(
                    "The rule pack %(pack)s on this site has no matter %(matter)s, which this "
                    "file uses. Load the pack's current data with manage.py load_rule_packs, "
                    "then import the file again. Nothing was imported."
                )
                % {"pack": pack, "matter": code}
            )
        return found


@transaction.atomic
def _restore(
    archive: ZipFile, manifest: dict[str, Any], actor: Any, *, file_name: str
) -> DoubleAssessment:
    document = json.loads(archive.read(DMA))
    packs, pack_ids = _packs(document["packs"])
    matters = _Matters(packs)
    dma = _dma(document["dma"], packs)
    versions = _versions(dma, document["methodology_versions"])
    _own_matters(dma, document, matters)
    iros = _iros(dma, lines(archive, IROS, DMA_FILE), matters)
    raters, unlinked = _raters(dma, lines(archive, RATERS, DMA_FILE))
    ratings = _ratings(lines(archive, RATINGS, DMA_FILE), iros, raters, versions)
    _decisions(dma, lines(archive, DECISIONS, DMA_FILE), matters)
    approvals = _approvals(dma, lines(archive, APPROVALS, DMA_FILE), pack_ids)
    _texts(dma, document, matters)
    _events(dma, lines(archive, EVENTS, DMA_FILE), approvals)
    original = document["dma"]
    details: dict[str, Any] = {
        "file": file_name,
        "format_version": manifest["version"],
        "exported_at": manifest.get("exported_at"),
        "original_dma": original.get("id"),
        "packs": {pack["code"]: pack["version"] for pack in document["packs"]},
        "ratings": ratings,
        # Accounts are not carried: a rater's account, which no restored row names as
        # text (the rater keeps its own name), is kept here, by username.
        "not_linked": {"raters": unlinked},
    }
    if original.get("survey_assessment"):
        # Another assessment, with its own file: the link is left empty here.
        details["survey_assessment_not_linked"] = original["survey_assessment"]
    dma_event_record(dma=dma, action=DmaAction.RESTORED, actor=actor, details=details)
    dma.refresh_from_db()
    return dma


def _packs(rows: list[dict[str, Any]]) -> tuple[dict[str, int], dict[int, int]]:
    """This site's packs by code, and by the id each had where the file was exported.
    Every pack missing here is named at once, before anything is stored."""
    site = dict(
        RulePack.objects.filter(code__in=[p["code"] for p in rows]).values_list("code", "pk")
    )
    missing = [f"{p['code']} ({p['version']})" for p in rows if p["code"] not in site]
    if missing:
        raise DmaFileError(
            _(
                "This file needs rule packs this site does not have: %(packs)s. Put their "
                "data files in materiality/double/packs/ and load them with manage.py "
                "load_rule_packs, then import the file again. Nothing was imported."
            )
            % {"packs": ", ".join(missing)}
        )
    return site, {p["id"]: site[p["code"]] for p in rows}


def _dma(row: dict[str, Any], packs: dict[str, int]) -> DoubleAssessment:
    dma = DoubleAssessment.objects.create(**model_values(DoubleAssessment, row))
    times_restore([dma], [row], "created_at")
    dma.packs.set([packs[code] for code in row["packs"]])
    return dma


def _versions(dma: DoubleAssessment, rows: list[dict[str, Any]]) -> dict[int, int]:
    """The methodology versions; who froze each by name (the account is not carried).
    Old id -> new id."""
    created = MethodologyVersion.objects.bulk_create(
        MethodologyVersion(
            dma=dma,
            **model_values(MethodologyVersion, row, exclude={"created_by_name"}),
            created_by_name=row.get("created_by") or "",
        )
        for row in rows
    )
    times_restore(created, rows, "created_at")
    return {row["id"]: version.pk for row, version in zip(rows, created, strict=True)}


def _own_matters(dma: DoubleAssessment, document: dict[str, Any], matters: _Matters) -> None:
    """The DMA's own matters, parents first (the file lists them by level), and their
    crosswalk to the topics, which this site gets where it lacks them."""
    for row in document["own_matters"]:
        parent = matters[row["parent"]] if row["parent"] else None
        matter = Matter.objects.create(
            dma=dma, pack=None, parent_id=parent, **model_values(Matter, row)
        )
        matters.own[matter.code] = matter.pk
    topics = topics_ensure(document["topics"])
    MatterTopic.objects.bulk_create(
        MatterTopic(
            matter_id=matters.own[link["matter"]],
            topic_id=topics[link["topic"]],
            coverage=link["coverage"],
        )
        for link in document["crosswalk"]
    )


def _iros(dma: DoubleAssessment, rows: Rows, matters: _Matters) -> dict[int, int]:
    ids: dict[int, int] = {}
    for batch in batches(rows):
        created = Iro.objects.bulk_create(
            Iro(dma=dma, matter_id=matters[row["matter"]], **model_values(Iro, row))
            for row in batch
        )
        times_restore(created, batch, "created_at", "updated_at")
        ids.update((row["id"], iro.pk) for row, iro in zip(batch, created, strict=True))
    return ids


def _raters(dma: DoubleAssessment, rows: Rows) -> tuple[dict[int, int], dict[str, str]]:
    """Old id -> new id, and the account each rater had, by the rater's name."""
    ids: dict[int, int] = {}
    unlinked: dict[str, str] = {}
    for batch in batches(rows):
        created = Rater.objects.bulk_create(
            Rater(dma=dma, **model_values(Rater, row)) for row in batch
        )
        times_restore(created, batch, "created_at")
        ids.update((row["id"], rater.pk) for row, rater in zip(batch, created, strict=True))
        unlinked.update((row["name"], row["user"]) for row in batch if row.get("user"))
    return ids, unlinked


def _ratings(
    rows: Rows, iros: dict[int, int], raters: dict[int, int], versions: dict[int, int]
) -> int:
    """Each rating on its IRO, by its rater, under the methodology version it was
    given under; how many."""
    count = 0
    for batch in batches(rows):
        created = Rating.objects.bulk_create(
            Rating(
                iro_id=iros[row["iro"]],
                rater_id=raters[row["rater"]],
                methodology_version_id=versions[row["methodology_version"]],
                **model_values(Rating, row),
            )
            for row in batch
        )
        times_restore(created, batch, "created_at")
        count += len(created)
    return count


def _decisions(dma: DoubleAssessment, rows: Rows, matters: _Matters) -> None:
    """The decisions, in the order recorded; who recorded each and who approved each
    override by name (the accounts are not carried)."""
    for batch in batches(rows):
        created = MatterDecision.objects.bulk_create(
            MatterDecision(
                dma=dma,
                matter_id=matters[row["matter"]],
                **model_values(MatterDecision, row, exclude={"approver_name", "created_by_name"}),
                approver_name=row.get("approver") or "",
                created_by_name=row.get("created_by") or "",
            )
            for row in batch
        )
        times_restore(created, batch, "created_at")


def _approvals(dma: DoubleAssessment, rows: Rows, pack_ids: dict[int, int]) -> dict[int, int]:
    """The approvals with their frozen results, whose matters name their pack by id:
    this site's id now, the figures as approved; who approved each by name (the account
    is not carried). Old id -> new id."""
    ids: dict[int, int] = {}
    for batch in batches(rows):
        for row in batch:
            for matter in row["results"].get("matters", []):
                if isinstance(matter.get("pack"), int):
                    matter["pack"] = pack_ids[matter["pack"]]
        created = DmaApproval.objects.bulk_create(
            DmaApproval(
                dma=dma,
                **model_values(DmaApproval, row, exclude={"approved_by_name"}),
                approved_by_name=row.get("approved_by") or "",
            )
            for row in batch
        )
        times_restore(created, batch, "approved_at")
        ids.update((row["id"], approval.pk) for row, approval in zip(batch, created, strict=True))
    return ids


def _texts(dma: DoubleAssessment, document: dict[str, Any], matters: _Matters) -> None:
    texts = document["disclosure_texts"]
    created = DisclosureText.objects.bulk_create(
        DisclosureText(dma=dma, **model_values(DisclosureText, row)) for row in texts
    )
    times_restore(created, texts, "updated_at")
    results = document["topic_results"]
    created_results = TopicResult.objects.bulk_create(
        TopicResult(dma=dma, matter_id=matters[row["matter"]], **model_values(TopicResult, row))
        for row in results
    )
    times_restore(created_results, results, "updated_at")


def _events(dma: DoubleAssessment, rows: Rows, approvals: dict[int, int]) -> None:
    """The trail as it was: times and names as recorded; an approval named in an entry's
    details is this site's copy of it."""
    for batch in batches(rows):
        for row in batch:
            details = row.get("details")
            if isinstance(details, dict) and isinstance(details.get("approval"), int):
                details["approval"] = approvals.get(details["approval"])
        created = DmaEvent.objects.bulk_create(
            DmaEvent(dma=dma, **model_values(DmaEvent, row)) for row in batch
        )
        times_restore(created, batch, "created_at")
