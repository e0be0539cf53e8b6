"""The outputs of an approved DMA, as typed rows every writer (HTML, PDF, XLSX) reads:

- the IRO register as ESRS 2 SBM-3 (the material IROs);
- the ESRS 2 IRO-1 §53 checklist, filled from the assessment (`process.py`);
- the IRO-2 list of material matters, refused while climate change is not material
  and the explanation ESRS 2 §57 asks for is not written;
- for the 2024 exchange guidelines, a result for each of the 21 topics (`exchange.py`).

Everything comes from the approval's frozen snapshot and the decisions in force it
kept (`double/finals.py`), never from the live scoring: what was approved is what is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from materiality.double.finals import MatterFinal
from materiality.double.models import (
    NATURE,
    Actuality,
    DmaApproval,
    DmaFrameworks,
    DmaStatus,
    DoubleAssessment,
    Horizon,
    Iro,
    IroKind,
    PackFramework,
    Polarity,
    ValueChainStage,
)
from materiality.double.outputs.exchange import ExchangeOutput, exchange_output
from materiality.double.outputs.facts import DmaFacts, dma_facts
from materiality.double.outputs.guidance import E1_CODE, E1_KEY
from materiality.double.outputs.process import ChecklistPoint, iro1_checklist
from materiality.double.outputs.wording import joined
from materiality.double.review import approval_of
from surveys.translations import enabled_languages, pick


@dataclass(frozen=True)
class MatterRow:
    """A matter's approved result: computed and final, both shown where they differ."""

    name: str
    reference: str
    framework: str  # the pack's name, or "company-specific"
    depth: int
    impact_score: Decimal | None
    financial_score: Decimal | None
    impact_final: bool
    financial_final: bool
    computed: bool
    material: bool
    decided: bool  # a decision in force changed a conclusion
    notes: list[str]

    @property
    def differs(self) -> bool:
        return self.computed != self.material


@dataclass(frozen=True)
class RegisterRow:
    reference: str
    title: str
    description: str
    kind: str
    character: str  # negative/positive, actual/potential, human rights; for impacts
    matter: str
    value_chain: str
    horizons: str
    stakeholders: str
    financial_effect: str
    source: str
    score: Decimal | None


@dataclass(frozen=True)
class Iro2Output:
    matters: list[MatterRow]  # the material ESRS and company-specific matters
    e1_material: bool
    e1_explanation: str
    missing: list[str]  # why the output is refused; empty when it can be produced


@dataclass(frozen=True)
class DmaOutputs:
    dma: DoubleAssessment
    language: str
    approval: DmaApproval
    approved_by: str
    approved_at: datetime
    methodology: int
    matters: list[MatterRow]
    register: list[RegisterRow]
    iro1: list[ChecklistPoint]
    iro2: Iro2Output | None  # None when the DMA is not for ESRS
    exchange: ExchangeOutput | None  # None when it is not for the exchange guidelines
    article5_drafts: dict[str, str]  # the generated draft in every language, for the form

    @property
    def esrs_missing(self) -> list[str]:
        return self.iro2.missing if self.iro2 is not None else []


def outputs_available(dma: DoubleAssessment) -> DmaApproval | None:
    """The approval the outputs read; None before approval (no outputs then)."""
    return approval_of(dma) if dma.status == DmaStatus.APPROVED else None


def dma_outputs(dma: DoubleAssessment, approval: DmaApproval, language: str) -> DmaOutputs:
    """Every output of `dma` in `language` (zh-hans or en)."""
    with translation.override(language):
        facts = dma_facts(dma, approval)
        esrs = dma.frameworks in (DmaFrameworks.ESRS, DmaFrameworks.BOTH)
        exchanges = dma.frameworks in (DmaFrameworks.EXCHANGES, DmaFrameworks.BOTH)
        rows = [_matter_row(facts, matter, language) for matter in facts.matters]
        return DmaOutputs(
            dma=dma,
            language=language,
            approval=approval,
            approved_by=approval.approved_by_username,
            approved_at=approval.approved_at,
            methodology=approval.methodology_number,
            matters=rows,
            register=sbm3_register(facts, language),
            iro1=iro1_checklist(facts, language),
            iro2=iro2_output(facts, rows, language) if esrs else None,
            exchange=exchange_output(facts, language) if exchanges else None,
            article5_drafts=_drafts(facts) if exchanges else {},
        )


def _drafts(facts: DmaFacts) -> dict[str, str]:
    drafts = {}
    for code in enabled_languages():
        with translation.override(code):
            drafts[code] = exchange_output(facts, code).article5_draft
    return drafts


def _matter_row(facts: DmaFacts, matter: MatterFinal, language: str) -> MatterRow:
    pack = facts.packs.get(matter.pack_id) if matter.pack_id is not None else None
    model = facts.model(matter)
    return MatterRow(
        name=matter.name(language),
        reference=model.reference if model is not None else "",
        framework=pack.get_name(language) if pack is not None else _("Company-specific"),
        depth=matter.depth,
        impact_score=matter.impact.score,
        financial_score=matter.financial.score,
        impact_final=matter.impact_any,
        financial_final=matter.financial_any,
        computed=matter.computed,
        material=matter.material,
        decided=matter.differs or matter.impact.decided or matter.financial.decided,
        notes=matter.notes,
    )


# --- ESRS 2 SBM-3: the material IROs --------------------------------------------------------


def _words(codes: list[str], choices: type[ValueChainStage] | type[Horizon]) -> str:
    labels = dict(choices.choices)
    return joined(str(labels.get(code, code)) for code in codes)


def _character(iro: Iro) -> str:
    if iro.kind != IroKind.IMPACT:
        return ""
    parts = [
        str(Polarity(iro.polarity).label) if iro.polarity else "",
        str(Actuality(iro.actuality).label) if iro.actuality else "",
        _("human rights") if iro.human_rights else "",
    ]
    return ", ".join(p for p in parts if p)


def iro_material(
    iro: Iro, matter: MatterFinal | None, score: Decimal | None, facts: DmaFacts
) -> bool:
    """An IRO is in SBM-3 when its score reaches its axis's threshold, unless a decision
    made its matter not material on that axis; a decision that made the matter material
    on that axis brings its IROs on that axis in."""
    if matter is None:
        return False
    impact_threshold, financial_threshold = facts.thresholds
    impact = iro.kind == IroKind.IMPACT
    axis = matter.impact if impact else matter.financial
    threshold = impact_threshold if impact else financial_threshold
    if axis.decided:
        return axis.final
    return score is not None and threshold is not None and score >= threshold


def sbm3_register(facts: DmaFacts, language: str) -> list[RegisterRow]:
    rows: list[RegisterRow] = []
    for iro in facts.iros:
        matter = facts.matter_ids.get(iro.matter_id)
        score = matter.iro_scores.get(iro.reference) if matter is not None else None
        if not iro_material(iro, matter, score, facts):
            continue
        effect = iro.financial_effect if iro.kind != IroKind.IMPACT else {}
        rows.append(
            RegisterRow(
                reference=iro.reference,
                title=iro.get_title(language),
                description=pick(iro.description, language),
                kind=iro.get_kind_display(),
                character=_character(iro),
                matter=iro.matter.get_name(language),
                value_chain=_words(iro.value_chain, ValueChainStage),
                horizons=_words(iro.horizons, Horizon),
                stakeholders=joined(_("Nature") if s == NATURE else s for s in iro.stakeholders),
                financial_effect=pick(effect, language),
                source=iro.get_source_display(),
                score=score,
            )
        )
    return rows


# --- ESRS 2 IRO-2: the material matters, and climate change ----------------------------------


def iro2_output(facts: DmaFacts, rows: list[MatterRow], language: str) -> Iro2Output:
    listed: list[MatterRow] = []
    e1_material = False
    for matter, row in zip(facts.matters, rows, strict=True):
        framework = facts.framework(matter)
        if framework == PackFramework.ESRS and matter.code == E1_CODE:
            e1_material = matter.material
        if row.material and framework in (PackFramework.ESRS, ""):
            listed.append(row)
    explanation = facts.text(E1_KEY, language)
    missing = []
    if not e1_material and not explanation.strip():
        missing.append(
            _(
                "Climate change (E1) is not material: ESRS 2 §57 requires a detailed "
                "explanation of that conclusion. Write it before the ESRS outputs can be "
                "produced."
            )
        )
    return Iro2Output(
        matters=listed, e1_material=e1_material, e1_explanation=explanation, missing=missing
    )
