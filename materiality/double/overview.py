"""What the DMA setup pages read: the list, a DMA's steps and counts, its matters by
pack, and its register grouped by matter. Each read is a fixed number of queries,
however many matters, IROs or raters there are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet, TextChoices
from django.utils.translation import gettext as _

from materiality.double.company_matters import dma_matters
from materiality.double.models import (
    NATURE,
    DmaEvent,
    DmaStatus,
    DoubleAssessment,
    Horizon,
    Iro,
    Matter,
    MatterTopic,
    MethodologyVersion,
    Rater,
    Rating,
    ValueChainStage,
)
from materiality.double.register import iro_ratable
from materiality.double.setup import rating_blockers
from surveys.translations import pick


def dmas_for_list() -> QuerySet[DoubleAssessment]:
    return DoubleAssessment.objects.annotate(
        iro_count=Count("iros", distinct=True),
        rater_count=Count("raters", filter=Q(raters__active=True), distinct=True),
    ).order_by("-period_end", "-pk")


@dataclass(frozen=True)
class Step:
    code: str
    label: str
    state: str  # "done", "current" or "todo"


@dataclass(frozen=True)
class DmaOverview:
    steps: list[Step]
    matters: int
    iros: int
    ratable: int
    raters: int
    ratings_done: int  # (IRO, rater) pairs with at least one rating
    ratings_expected: int
    blockers: list[str]
    versions: list[MethodologyVersion]
    events: list[DmaEvent]


def dma_steps(dma: DoubleAssessment) -> list[Step]:
    current = DmaStatus.values.index(dma.status)
    return [
        Step(
            code,
            str(label),
            "done" if number < current else "current" if number == current else "todo",
        )
        for number, (code, label) in enumerate(DmaStatus.choices)
    ]


def dma_overview(dma: DoubleAssessment) -> DmaOverview:
    iros = list(dma.iros.all())
    raters = dma.raters.filter(active=True).count()
    done = (
        Rating.objects.filter(iro__dma=dma, rater__active=True)
        .values("iro", "rater")
        .distinct()
        .count()
    )
    return DmaOverview(
        steps=dma_steps(dma),
        matters=dma_matters(dma).count(),
        iros=len(iros),
        ratable=sum(1 for iro in iros if not iro_ratable(iro)),
        raters=raters,
        ratings_done=done,
        ratings_expected=len(iros) * raters,
        blockers=rating_blockers(dma),
        versions=list(dma.methodology_versions.select_related("created_by").order_by("number")),
        events=list(dma.events.order_by("-created_at", "-pk")[:10]),
    )


@dataclass
class PackMatters:
    title: str  # the pack's name, or "company-specific"
    matters: list[Matter] = field(default_factory=list)


def matters_by_pack(dma: DoubleAssessment, own_title: str) -> list[PackMatters]:
    """The matters in scope, pack by pack in tree order (each with `topic_links`: the
    seed topics it crosswalks to), the company's own last."""
    links = Prefetch("topic_links", queryset=MatterTopic.objects.select_related("topic"))
    matters = (
        dma_matters(dma).select_related("pack").prefetch_related(links).order_by("order", "pk")
    )
    groups: dict[int | None, PackMatters] = {
        pack.pk: PackMatters(pack.get_name()) for pack in dma.packs.order_by("framework")
    }
    groups[None] = PackMatters(own_title)
    for matter in matters:
        groups[matter.pack_id].matters.append(matter)
    return [group for group in groups.values() if group.matters or group.title == own_title]


@dataclass(frozen=True)
class RegisterRow:
    iro: Iro
    blockers: list[str]  # why it cannot be rated yet

    @property
    def stages(self) -> list[str]:
        return _labels(ValueChainStage, self.iro.value_chain)

    @property
    def horizons(self) -> list[str]:
        return _labels(Horizon, self.iro.horizons)

    @property
    def financial_effect(self) -> str:
        return pick(self.iro.financial_effect)

    @property
    def description(self) -> str:
        return pick(self.iro.description)

    @property
    def stakeholders(self) -> list[str]:
        return [_("Nature") if s == NATURE else s for s in self.iro.stakeholders]


def _labels(choices: type[TextChoices], values: Sequence[str]) -> list[str]:
    return [str(choices(value).label) for value in values if value in choices.values]


@dataclass
class MatterIros:
    matter: Matter
    rows: list[RegisterRow] = field(default_factory=list)


def register_rows(
    dma: DoubleAssessment, *, kind: str = "", matter: int | None = None, ratable: str = ""
) -> list[MatterIros]:
    """The register grouped by matter (in the packs' order), filtered by kind, matter
    and whether the IRO can be rated ("yes"/"no")."""
    iros = dma.iros.select_related("matter__pack", "matter__parent").order_by(
        "matter__pack__framework", "matter__order", "matter__pk", "reference"
    )
    if kind:
        iros = iros.filter(kind=kind)
    if matter is not None:
        iros = iros.filter(matter_id=matter)
    groups: dict[int, MatterIros] = {}
    for iro in iros:
        blockers = iro_ratable(iro)
        if (ratable == "yes" and blockers) or (ratable == "no" and not blockers):
            continue
        groups.setdefault(iro.matter_id, MatterIros(iro.matter)).rows.append(
            RegisterRow(iro, blockers)
        )
    return list(groups.values())


def panel(dma: DoubleAssessment) -> Sequence[Rater]:
    """The raters, with how many ratings each has given."""
    return list(
        dma.raters.select_related("user")
        .annotate(rating_count=Count("ratings"))
        .order_by("-active", "name", "pk")
    )
