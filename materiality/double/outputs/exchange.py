"""The output for the 2024 exchange guidelines: a result for each of the 21 topics,
the Article 5 process description, and the four-part checklist of each financially
material topic.

A topic's result is prefilled from the approved results: the topic's own result when
the DMA rated it, else the results of the matters the crosswalk links to it (through
the survey topics both speak to). The ESG team's result wins where it set one; the
output is refused until every topic has a result, and a topic not applicable needs a
reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from materiality.double.finals import MatterFinal
from materiality.double.models import Matter, RaterRole, TopicOutcome
from materiality.double.outputs.facts import DmaFacts
from materiality.double.outputs.guidance import ARTICLE5_KEY, CHECKLIST_PARTS, checklist_key
from materiality.double.outputs.wording import joined

FINANCIALLY_MATERIAL = (TopicOutcome.BOTH, TopicOutcome.FINANCIAL)


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    title: str
    discloses: str  # what the guidelines ask, worded
    note: str  # what the team wrote


@dataclass(frozen=True)
class TopicRow:
    matter: Matter
    name: str
    reference: str
    prefill: str  # a TopicOutcome value, "" when the results give none
    prefill_source: str  # where the prefill comes from, worded
    outcome: str  # in force: the team's, else the prefill; "" when none
    reason: str
    set_by_team: bool
    checklist: list[ChecklistItem]

    @property
    def outcome_label(self) -> str:
        return str(TopicOutcome(self.outcome).label) if self.outcome else _("No result yet")

    @property
    def prefill_label(self) -> str:
        return str(TopicOutcome(self.prefill).label) if self.prefill else _("None")

    @property
    def financially_material(self) -> bool:
        return self.outcome in FINANCIALLY_MATERIAL


@dataclass(frozen=True)
class ExchangeOutput:
    topics: list[TopicRow]
    article5: str  # the team's text, else the draft
    article5_draft: str
    article5_written: bool
    missing: list[str]  # why the output is refused; empty when it can be produced

    @property
    def checklist_topics(self) -> list[TopicRow]:
        return [row for row in self.topics if row.checklist]


def outcome_of(impact: bool, financial: bool, material: bool) -> str:
    if not material:
        return TopicOutcome.NOT_MATERIAL
    if impact and financial:
        return TopicOutcome.BOTH
    if impact:
        return TopicOutcome.IMPACT
    if financial:
        return TopicOutcome.FINANCIAL
    return ""  # material by a decision on both perspectives: the team says on which


def _outcome(matters: list[MatterFinal]) -> str:
    material = [m for m in matters if m.material]
    return outcome_of(
        any(m.impact_any for m in material), any(m.financial_any for m in material), bool(material)
    )


def _prefill(facts: DmaFacts, topic: Matter, language: str) -> tuple[str, str]:
    own = facts.matter_ids.get(topic.pk)
    if own is not None:
        return _outcome([own]), _("This topic's approved result")
    survey_topics = {link.topic_id for link in facts.links if link.matter_id == topic.pk}
    linked_ids = {
        link.matter_id
        for link in facts.links
        if link.topic_id in survey_topics and link.matter_id in facts.matter_ids
    }
    linked = [facts.matter_ids[pk] for pk in sorted(linked_ids)]
    if not linked:
        return "", _("Not assessed in this DMA: set its result.")
    names = joined(m.name(language) for m in linked)
    return _outcome(linked), _("Through the crosswalk, from: %(matters)s") % {"matters": names}


def exchange_output(facts: DmaFacts, language: str) -> ExchangeOutput:
    rows: list[TopicRow] = []
    for topic in facts.exchange_topics:
        prefill, source = _prefill(facts, topic, language)
        stored = facts.topic_results.get(topic.pk)
        outcome = stored.outcome if stored is not None else prefill
        checklist = [
            ChecklistItem(
                code=part.code,
                title=str(part.title),
                discloses=str(part.team_adds),
                note=facts.text(checklist_key(topic.code, part.code), language),
            )
            for part in CHECKLIST_PARTS
            if outcome in FINANCIALLY_MATERIAL
        ]
        rows.append(
            TopicRow(
                matter=topic,
                name=topic.get_name(language),
                reference=topic.reference,
                prefill=prefill,
                prefill_source=source,
                outcome=outcome,
                reason=stored.get_reason(language) if stored is not None else "",
                set_by_team=stored is not None,
                checklist=checklist,
            )
        )
    draft = article5_draft(facts, rows, language)
    written = facts.text(ARTICLE5_KEY, language)
    return ExchangeOutput(
        topics=rows,
        article5=written or draft,
        article5_draft=draft,
        article5_written=bool(written),
        missing=exchange_missing(rows),
    )


def exchange_missing(rows: list[TopicRow]) -> list[str]:
    missing: list[str] = []
    without = [row.name for row in rows if not row.outcome]
    if without:
        missing.append(
            ngettext(
                "%(count)d topic has no result: %(topics)s.",
                "%(count)d topics have no result: %(topics)s.",
                len(without),
            )
            % {"count": len(without), "topics": joined(without)}
        )
    unexplained = [
        row.name
        for row in rows
        if row.outcome == TopicOutcome.NOT_APPLICABLE and not row.reason.strip()
    ]
    if unexplained:
        missing.append(
            _("A topic not applicable needs a reason: %(topics)s.")
            % {"topics": joined(unexplained)}
        )
    return missing


def article5_draft(facts: DmaFacts, rows: list[TopicRow], language: str) -> str:
    """A first draft of the Article 5 process description, from the assessment's facts;
    the team rewrites it in its own words."""
    dma = facts.dma
    impact_threshold, financial_threshold = facts.thresholds
    roles = joined(
        f"{label} {facts.roles[code]}" for code, label in RaterRole.choices if facts.roles.get(code)
    )
    material = [
        row.name
        for row in rows
        if row.outcome in (TopicOutcome.BOTH, TopicOutcome.IMPACT, TopicOutcome.FINANCIAL)
    ]
    parts = [
        _(
            "The company assessed its sustainability topics for double materiality "
            "(Article 5) over the period %(start)s to %(end)s: impact materiality, its "
            "impact on the economy, society and the environment; and financial "
            "materiality, each topic's effect on its business model, operations, "
            "financial position, results, cash flows and cost of financing over the "
            "short, medium and long term."
        )
        % {
            "start": date_format(dma.period_start, "Y-m-d"),
            "end": date_format(dma.period_end, "Y-m-d"),
        },
        ngettext(
            "It identified %(count)d impact, risk or opportunity from its business "
            "context, value chain and stakeholders.",
            "It identified %(count)d impacts, risks and opportunities from its business "
            "context, value chain and stakeholders.",
            len(facts.iros),
        )
        % {"count": len(facts.iros)},
        _(
            "A panel of raters (%(roles)s) rated impacts on scale, scope, irremediability "
            "and likelihood, and risks and opportunities on financial magnitude and "
            "likelihood, each rating with its rationale."
        )
        % {"roles": roles or "—"},
        _(
            "A topic is material when its score reaches the threshold on the 1 to 5 scale: "
            "%(impact)s for impact, %(financial)s for financial materiality. Results near a "
            "threshold were judged and documented by the decision group, which approved "
            "the results on %(date)s."
        )
        % {
            "impact": impact_threshold if impact_threshold is not None else "—",
            "financial": financial_threshold if financial_threshold is not None else "—",
            "date": date_format(facts.approval.approved_at, "Y-m-d"),
        },
        ngettext(
            "%(count)d topic is material: %(topics)s.",
            "%(count)d topics are material: %(topics)s.",
            len(material),
        )
        % {"count": len(material), "topics": joined(material) or "—"},
    ]
    return "\n\n".join(str(part) for part in parts)
