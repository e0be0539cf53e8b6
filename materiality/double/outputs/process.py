"""The ESRS 2 IRO-1 §53 checklist: for each point, what Materia knows from the assessment
(its methodology versions and their settings, the raters by role, the steps with their
dates from the DMA's trail, the thresholds, the survey evidence) and what the ESG team
must add in its own words."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from materiality.double.methodology_history import VersionEntry, version_history
from materiality.double.models import DmaAction, IroKind, IroSource, RaterRole, ValueChainStage
from materiality.double.outputs.facts import DmaFacts
from materiality.double.outputs.guidance import IRO1_POINTS
from materiality.double.outputs.wording import joined
from materiality.double.results import COMBINE_WORDS, SEVERITY_WORDS
from materiality.double.scoring import CombineRule, SeverityRule
from surveys.translations import pick

# The steps of the process, as the trail records them (ESRS 1 AR 9).
STEPS = (
    DmaAction.CREATED,
    DmaAction.CONTEXT_SAVED,
    DmaAction.REGISTER_IMPORTED,
    DmaAction.RATING_STARTED,
    DmaAction.RATING_CLOSED,
    DmaAction.REVIEW_SUBMITTED,
    DmaAction.REVIEW_SENT_BACK,
    DmaAction.APPROVED,
)


@dataclass(frozen=True)
class ChecklistPoint:
    code: str  # the paragraph's letter
    title: str
    known: list[str]  # what the assessment shows
    team_adds: str


def _version_change(entry: VersionEntry) -> str:
    """One version for IRO-1 (h): when, by whom, why, and what it changed (for version 1,
    what differs from Materia's defaults)."""
    version = entry.version
    line = _("Version %(number)d (%(date)s, %(by)s): %(note)s") % {
        "number": version.number,
        "date": date_format(version.created_at, "Y-m-d"),
        "by": version.created_by_username or "—",
        "note": version.note or _("first version, frozen when rating started."),
    }
    if entry.changes:
        changed = joined(
            [
                _("%(setting)s %(old)s → %(new)s")
                % {"setting": change.label, "old": change.old, "new": change.new}
                for change in entry.changes
            ]
        )
        line += " " + _("Changed: %(changes)s.") % {"changes": changed}
    return line


def _version_lines(facts: DmaFacts) -> list[str]:
    lines = []
    for version in facts.versions:
        settings = version.settings
        severity = SEVERITY_WORDS.get(SeverityRule(settings.get("severity_rule", "mean_max")))
        potential = COMBINE_WORDS.get(CombineRule(settings.get("potential_rule", "capped")))
        financial = COMBINE_WORDS.get(CombineRule(settings.get("financial_rule", "capped")))
        lines.append(
            _(
                "Methodology version %(number)d, frozen %(date)s by %(by)s%(note)s: %(severity)s "
                "Potential impacts: %(potential)s Risks and opportunities: %(financial)s"
            )
            % {
                "number": version.number,
                "date": date_format(version.created_at, "Y-m-d"),
                "by": version.created_by_username or "—",
                "note": f" ({version.note})" if version.note else "",
                "severity": severity or "",
                "potential": potential or "",
                "financial": financial or "",
            }
        )
        likelihoods = settings.get("likelihoods") or {}
        if likelihoods:
            lines.append(
                _("Likelihood levels as probabilities: %(levels)s.")
                % {"levels": ", ".join(f"{k} → {v}" for k, v in sorted(likelihoods.items()))}
            )
    return lines


def _steps(facts: DmaFacts) -> list[str]:
    lines = []
    for event in facts.events:
        if event.action in STEPS:
            lines.append(
                _("%(step)s: %(date)s, %(by)s")
                % {
                    "step": event.get_action_display(),
                    "date": date_format(event.created_at, "Y-m-d"),
                    "by": event.actor_name or "—",
                }
            )
    return lines


def _counted(counter: Counter[str], labels: dict[str, str]) -> str:
    return joined(f"{labels.get(code, code)} {n}" for code, n in counter.most_common()) or "—"


def iro1_checklist(facts: DmaFacts, language: str) -> list[ChecklistPoint]:
    dma = facts.dma
    impact_threshold, financial_threshold = facts.thresholds
    kinds = Counter(iro.kind for iro in facts.iros)
    sources = Counter(iro.source for iro in facts.iros)
    stages = Counter(stage for iro in facts.iros for stage in iro.value_chain)
    roles = _counted(facts.roles, {str(k): str(v) for k, v in RaterRole.choices})
    latest = facts.versions[-1].settings if facts.versions else {}
    decided = [m for m in facts.matters if m.decisions]
    overridden = [m for m in facts.matters if m.differs or m.impact.decided or m.financial.decided]
    survey = dma.survey_assessment
    known: dict[str, list[str]] = {
        "a": [
            *_version_lines(facts),
            _("Raters by role: %(roles)s.") % {"roles": roles},
        ],
        "b": [
            _("%(count)d impacts in the register; value-chain stages covered: %(stages)s.")
            % {
                "count": kinds.get(IroKind.IMPACT, 0),
                "stages": _counted(stages, {str(k): str(v) for k, v in ValueChainStage.choices}),
            },
            _(
                "Impacts rated on scale, scope, irremediability and likelihood (ESRS 1 "
                "§§45–46); the impact threshold is %(threshold)s on the 1–5 scale, inclusive."
            )
            % {"threshold": impact_threshold if impact_threshold is not None else "—"},
            _("Stakeholder representatives on the panel: %(count)d.")
            % {"count": facts.roles.get(RaterRole.STAKEHOLDER, 0)},
        ],
        "c": [
            _("%(risks)d risks and %(opportunities)d opportunities in the register.")
            % {
                "risks": kinds.get(IroKind.RISK, 0),
                "opportunities": kinds.get(IroKind.OPPORTUNITY, 0),
            },
            _(
                "Rated on financial magnitude and likelihood (ESRS 1 §§49–51); the financial "
                "threshold is %(threshold)s on the 1–5 scale, inclusive."
            )
            % {"threshold": financial_threshold if financial_threshold is not None else "—"},
            _("Magnitude bands (%(currency)s): %(bands)s.")
            % {"currency": dma.currency, "bands": " / ".join(dma.magnitude_bands) or "—"},
        ]
        + (
            [
                _("Currency threshold for amount × probability: %(amount)s %(currency)s.")
                % {"amount": latest["currency_threshold"], "currency": dma.currency}
            ]
            if latest.get("currency_threshold")
            else []
        ),
        "d": [
            *_steps(facts),
            _(
                "%(decided)d matters carry a decision note; %(overridden)d of them changed "
                "the computed conclusion, each with a reason and an approver."
            )
            % {"decided": len(decided), "overridden": len(overridden)},
        ],
        "e": [
            _("IROs taken from the risk register: %(count)d.")
            % {"count": sources.get(IroSource.RISK_REGISTER, 0)}
        ],
        "f": [
            _("Opportunities in the register: %(count)d.")
            % {"count": kinds.get(IroKind.OPPORTUNITY, 0)}
        ],
        "g": [
            _("Period: %(start)s to %(end)s.")
            % {
                "start": date_format(dma.period_start, "Y-m-d"),
                "end": date_format(dma.period_end, "Y-m-d"),
            },
            _("Where the IROs came from: %(sources)s.")
            % {"sources": _counted(sources, {str(k): str(v) for k, v in IroSource.choices})},
            _("Rule packs: %(packs)s.")
            % {"packs": joined(p.get_name(language) for p in facts.packs.values()) or "—"},
            (
                _(
                    "Stakeholder survey used as evidence: %(survey)s (its scores shown "
                    "beside each matter's ratings)."
                )
                % {"survey": str(survey)}
                if survey is not None
                else _("No stakeholder survey was linked as evidence.")
            ),
        ]
        + (
            [_("Business context: %(context)s") % {"context": pick(dma.context, language)}]
            if pick(dma.context, language)
            else []
        ),
        "h": [
            _("Methodology versions: %(count)d.") % {"count": len(facts.versions)},
            *[
                _version_change(entry)
                for entry in reversed(version_history(facts.versions, dma.currency))
            ],
        ],
    }
    return [
        ChecklistPoint(
            code=point.code,
            title=str(point.title),
            known=known.get(point.code, []),
            team_adds=str(point.team_adds),
        )
        for point in IRO1_POINTS
    ]
