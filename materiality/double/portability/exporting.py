"""A DMA written to one file (format.py), from one database snapshot. The kinds that
grow with use (ratings, which are never changed but added to, and the trail) are read
through database cursors in chunks and written as they come; the rest is small.

What the file leaves out, on purpose: the rule packs' contents (shared vocabulary: the
importing site has them, and the file names the packs by code and version), user
accounts (people are named by username, as text), the survey assessment the DMA was
linked to (another assessment, with its own file: only its id and title are kept) and
rendered outputs (the matrix and the outputs' files are drawn on demand from the
approval's frozen results, which are in the file).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zipfile import ZipFile

from django.db.models import Q

from materiality.double.models import (
    DmaApproval,
    DmaEvent,
    DoubleAssessment,
    Iro,
    Matter,
    MatterDecision,
    MatterTopic,
    Rater,
    Rating,
    RulePack,
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
    matter_ref,
)
from materiality.portability.archive import (
    RowSource,
    archive_write,
    manifest_write,
    members_write,
    username,
)
from materiality.portability.vocabulary import topic_rows
from surveys.recreating import row_fields

CHUNK = 2000


def dma_export(*, dma_id: int, path: Path) -> dict[str, int]:
    """Write the DMA to *path* (via a temporary file beside it, so that a file at *path*
    is always whole). Returns the rows written per kind."""

    def fill(archive: ZipFile) -> dict[str, int]:
        dma = DoubleAssessment.objects.select_related(
            "survey_assessment__survey", "created_by"
        ).get(pk=dma_id)
        counts, digests = members_write(archive, _sources(dma))
        manifest_write(
            archive,
            DMA_FILE,
            subject=("dma", {"id": dma.pk, "name": dma.name}),
            counts=counts,
            digests=digests,
        )
        return counts

    return archive_write(path, fill)


def _sources(dma: DoubleAssessment) -> list[RowSource]:
    packs = _packs(dma)
    codes = {pack["id"]: pack["code"] for pack in packs}
    matters = _matter_refs(dma, codes)
    return [
        (DMA, lambda: [_dma_document(dma, packs, matters)]),
        (IROS, lambda: _iros(dma, matters)),
        (RATERS, lambda: _raters(dma)),
        (RATINGS, lambda: _ratings(dma)),
        (DECISIONS, lambda: _decisions(dma, matters)),
        (APPROVALS, lambda: _approvals(dma)),
        (EVENTS, lambda: _events(dma)),
    ]


def _referenced(dma: DoubleAssessment) -> Q:
    """The matters the DMA's rows point at: its own, and the pack matters under its
    IROs, decisions, topic results and own matters."""
    return (
        Q(dma=dma)
        | Q(pk__in=Iro.objects.filter(dma=dma).values("matter"))
        | Q(pk__in=MatterDecision.objects.filter(dma=dma).values("matter"))
        | Q(pk__in=dma.topic_results.values("matter"))
        | Q(pk__in=Matter.objects.filter(dma=dma, parent__isnull=False).values("parent"))
    )


def _packs(dma: DoubleAssessment) -> list[dict[str, Any]]:
    """Every pack the file names: the DMA's, those of the matters its rows point at,
    and those its approvals' frozen results name (by the id they have here)."""
    ids = set(dma.packs.values_list("pk", flat=True))
    ids |= set(
        Matter.objects.filter(_referenced(dma), pack__isnull=False).values_list("pack", flat=True)
    )
    for results in DmaApproval.objects.filter(dma=dma).values_list("results", flat=True):
        ids |= {m["pack"] for m in results.get("matters", []) if isinstance(m.get("pack"), int)}
    return [
        {"id": pack.pk, "code": pack.code, "version": pack.version, "framework": pack.framework}
        for pack in RulePack.objects.filter(pk__in=ids).order_by("code")
    ]


def _matter_refs(dma: DoubleAssessment, packs: dict[int, str]) -> dict[int, dict[str, Any]]:
    return {m.pk: matter_ref(m, packs) for m in Matter.objects.filter(_referenced(dma))}


def _dma_document(
    dma: DoubleAssessment, packs: list[dict[str, Any]], matters: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    linked = dma.survey_assessment
    own = Matter.objects.filter(dma=dma).select_related("created_by").order_by("level", "pk")
    crosswalk = MatterTopic.objects.filter(matter__dma=dma).select_related("matter", "topic")
    return {
        "dma": {
            "id": dma.pk,
            **row_fields(dma),
            "packs": sorted(dma.packs.values_list("code", flat=True)),
            # Another assessment, with its own file: named here, never carried.
            "survey_assessment": (
                {"id": linked.pk, "title": linked.survey.title} if linked is not None else None
            ),
            "created_by": username(dma.created_by),
        },
        "packs": packs,
        "methodology_versions": [
            {
                "id": version.pk,
                # The kept name is the row's "created_by" below: the rows stay as they were.
                **row_fields(version, exclude={"created_by_name"}),
                # The account's username, else the name kept (a DMA restored from a file).
                "created_by": version.created_by_username,
            }
            for version in dma.methodology_versions.select_related("created_by").order_by("number")
        ],
        "own_matters": [
            {
                "id": matter.pk,
                **row_fields(matter),
                "parent": matters[matter.parent_id] if matter.parent_id else None,
                "created_by": username(matter.created_by),
            }
            for matter in own
        ],
        "crosswalk": [
            {"matter": link.matter.code, "topic": link.topic.code, "coverage": link.coverage}
            for link in crosswalk.order_by("pk")
        ],
        "topics": topic_rows({link.topic_id for link in crosswalk}),
        "disclosure_texts": [
            {**row_fields(text), "updated_by": username(text.updated_by)}
            for text in dma.disclosure_texts.select_related("updated_by").order_by("key")
        ],
        "topic_results": [
            {
                **row_fields(result),
                "matter": matters[result.matter_id],
                "updated_by": username(result.updated_by),
            }
            for result in dma.topic_results.select_related("updated_by").order_by("pk")
        ],
    }


def _iros(dma: DoubleAssessment, matters: dict[int, dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for iro in Iro.objects.filter(dma=dma).select_related("created_by").order_by("pk"):
        yield {
            "id": iro.pk,
            **row_fields(iro),
            "matter": matters[iro.matter_id],
            "created_by": username(iro.created_by),
        }


def _raters(dma: DoubleAssessment) -> Iterator[dict[str, Any]]:
    # A rater keeps its name; its account, if it had one, is named and not carried.
    for rater in Rater.objects.filter(dma=dma).select_related("user").order_by("pk"):
        yield {"id": rater.pk, **row_fields(rater), "user": username(rater.user)}


def _ratings(dma: DoubleAssessment) -> Iterator[dict[str, Any]]:
    ratings = Rating.objects.filter(iro__dma=dma).select_related("created_by").order_by("pk")
    for rating in ratings.iterator(chunk_size=CHUNK):
        yield {
            "id": rating.pk,
            **row_fields(rating),
            "iro": rating.iro_id,
            "rater": rating.rater_id,
            "methodology_version": rating.methodology_version_id,
            "created_by": username(rating.created_by),
        }


def _decisions(
    dma: DoubleAssessment, matters: dict[int, dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    # In the order recorded: the latest per matter and perspective is the one in force.
    decisions = MatterDecision.objects.filter(dma=dma).select_related("approver", "created_by")
    for decision in decisions.order_by("pk"):
        yield {
            "id": decision.pk,
            # The kept names are the row's "approver" and "created_by" below: the file's
            # rows stay as they were.
            **row_fields(decision, exclude={"approver_name", "created_by_name"}),
            "matter": matters[decision.matter_id],
            # The account's username, else the name kept (a DMA restored from a file).
            "approver": decision.approver_username,
            "created_by": decision.created_by_username,
        }


def _approvals(dma: DoubleAssessment) -> Iterator[dict[str, Any]]:
    for approval in (
        DmaApproval.objects.filter(dma=dma).select_related("approved_by").order_by("pk")
    ):
        yield {
            "id": approval.pk,
            **row_fields(approval, exclude={"approved_by_name"}),
            "approved_by": approval.approved_by_username,
        }


def _events(dma: DoubleAssessment) -> Iterator[dict[str, Any]]:
    # The actor's name is a field of its own (`actor_name`): the account is not needed.
    events = DmaEvent.objects.filter(dma=dma).order_by("created_at", "pk")
    for event in events.iterator(chunk_size=CHUNK):
        yield {"id": event.pk, **row_fields(event)}
