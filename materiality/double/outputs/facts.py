"""The facts of a DMA the outputs are written from, read in one fixed handful of
queries: the approval, the register, the methodology versions, the raters, the trail,
the team's texts and topic results, and the matters the snapshot names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from materiality.double.finals import MatterFinal, final_matters
from materiality.double.models import (
    DisclosureText,
    DmaApproval,
    DmaEvent,
    DoubleAssessment,
    Iro,
    Matter,
    MatterTopic,
    MethodologyVersion,
    PackFramework,
    RulePack,
    TopicResult,
)
from materiality.double.outputs.guidance import EXCHANGE_PACK
from materiality.double.snapshot import read_snapshot


@dataclass
class DmaFacts:
    dma: DoubleAssessment
    approval: DmaApproval
    matters: list[MatterFinal]  # the approved result, final conclusions applied
    thresholds: tuple[Decimal | None, Decimal | None]  # impact, financial; as approved
    iros: list[Iro]
    versions: list[MethodologyVersion]
    roles: Counter[str]  # active raters by role
    events: list[DmaEvent]  # oldest first
    texts: dict[str, DisclosureText]
    topic_results: dict[int, TopicResult]  # by the exchange topic's matter id
    packs: dict[int, RulePack]  # the packs the snapshot's matters come from
    matter_ids: dict[int, MatterFinal]  # the snapshot's matters by their model id
    models: dict[tuple[int | None, str], Matter]  # their models by (pack, code)
    exchange_topics: list[Matter]  # the 21 topics of the exchange guidelines
    links: list[MatterTopic]  # the crosswalk of the snapshot's and the topics' matters

    def framework(self, matter: MatterFinal) -> str:
        pack = self.packs.get(matter.pack_id) if matter.pack_id is not None else None
        return pack.framework if pack is not None else ""

    def model(self, matter: MatterFinal) -> Matter | None:
        return self.models.get((matter.pack_id, matter.code))

    def text(self, key: str, language: str) -> str:
        found = self.texts.get(key)
        return found.get_text(language) if found is not None else ""


def exchange_pack(dma: DoubleAssessment) -> RulePack | None:
    """The exchange pack the DMA was built on, else the one the site holds."""
    chosen = [p for p in dma.packs.all() if p.framework == PackFramework.EXCHANGES]
    if chosen:
        return chosen[0]
    return RulePack.objects.filter(code=EXCHANGE_PACK).first()


def dma_facts(dma: DoubleAssessment, approval: DmaApproval) -> DmaFacts:
    snapshot = read_snapshot(approval.results)
    matters = final_matters(snapshot.matters)
    iros = list(dma.iros.select_related("matter").order_by("reference"))
    versions = list(dma.methodology_versions.select_related("created_by").order_by("number"))
    roles = Counter(dma.raters.filter(active=True).values_list("role", flat=True))
    events = list(dma.events.order_by("created_at", "pk"))
    texts = {t.key: t for t in dma.disclosure_texts.select_related("updated_by")}
    topic_results = {r.matter_id: r for r in dma.topic_results.select_related("updated_by")}
    pack_ids = {m.pack_id for m in matters if m.pack_id is not None}
    exchange = exchange_pack(dma)
    if exchange is not None:
        pack_ids.add(exchange.pk)
    packs = {p.pk: p for p in RulePack.objects.filter(pk__in=pack_ids)}
    codes = {m.code for m in matters}
    found = Matter.objects.filter(
        Q(pack__in=pack_ids, code__in=codes)
        | Q(dma=dma, code__in=codes)
        | Q(pack=exchange, level=1)
    ).order_by("order", "pk")
    by_key = {(m.pack_id, m.code): m for m in found}
    matter_ids = {by_key[m.pack_id, m.code].pk: m for m in matters if (m.pack_id, m.code) in by_key}
    exchange_topics = [m for m in found if exchange is not None and m.pack_id == exchange.pk]
    wanted = set(matter_ids) | {m.pk for m in exchange_topics}
    links = list(MatterTopic.objects.filter(matter__in=wanted).select_related("topic"))
    return DmaFacts(
        dma=dma,
        approval=approval,
        matters=matters,
        thresholds=(snapshot.impact_threshold, snapshot.financial_threshold),
        iros=iros,
        versions=versions,
        roles=roles,
        events=events,
        texts=texts,
        topic_results=topic_results,
        packs=packs,
        matter_ids=matter_ids,
        models=by_key,
        exchange_topics=[m for m in exchange_topics if m.level == 1],
        links=links,
    )
