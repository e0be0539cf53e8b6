"""What the standards ask the outputs to hold, as data: the points of ESRS 2 IRO-1 §53
and the four parts the exchange guidelines ask of a financially material topic.

The paragraph letters are data (the 2026 ESRS revision renumbers them): the outputs
show them as given here, and `docs/methodology.md` §16 cites the sources.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

E1_CODE = "E1"  # the ESRS topic climate change (ESRS 1 AR 16)
EXCHANGE_PACK = "cn-exchanges-2024"

E1_KEY = "e1-explanation"
ARTICLE5_KEY = "article5-process"


@dataclass(frozen=True)
class Point:
    code: str  # the paragraph's letter, or the part's key
    title: Promise
    team_adds: Promise  # what Materia cannot know, worded for the ESG team


IRO1_POINTS: tuple[Point, ...] = (
    Point(
        "a",
        _("The methodologies and assumptions applied"),
        _(
            "Say why these formulas and thresholds fit the company, and any assumption "
            "behind the scales (what a level 5 means for the business)."
        ),
    ),
    Point(
        "b",
        _("The process to identify, assess and prioritise impacts"),
        _(
            "Say how the process focused on the activities, business relationships and "
            "places of heightened risk, and how affected stakeholders were consulted."
        ),
    ),
    Point(
        "c",
        _("The process to identify, assess and prioritise risks and opportunities"),
        _(
            "Say how impacts and dependencies were connected with risks and opportunities, "
            "and how sustainability risks are ranked against the company's other risks."
        ),
    ),
    Point(
        "d",
        _("The decision-making process and its internal controls"),
        _("Name the decision group's members and the internal controls over the process."),
    ),
    Point(
        "e",
        _("Integration with the overall risk management"),
        _("Say whether and how the material risks enter the company's risk management."),
    ),
    Point(
        "f",
        _("Integration of opportunities with the overall management process"),
        _("Say how the material opportunities enter the company's management process."),
    ),
    Point(
        "g",
        _("The input parameters"),
        _("Name the data sources used beyond those listed, and the scope of operations covered."),
    ),
    Point(
        "h",
        _("Changes from the prior period and revision dates"),
        _("Compare with the previous period's assessment and give the next revision date."),
    ),
)

CHECKLIST_PARTS: tuple[Point, ...] = (
    Point(
        "governance",
        _("Governance"),
        _(
            "The governance body and management roles that oversee the topic, and how "
            "the topic enters their decisions and pay."
        ),
    ),
    Point(
        "strategy",
        _("Strategy"),
        _(
            "The topic's risks and opportunities, their effect on the business model, "
            "strategy and financial position now and over the short, medium and long term, "
            "and the strategy's resilience."
        ),
    ),
    Point(
        "iro_management",
        _("Impact, risk and opportunity management"),
        _(
            "How the company identifies, assesses, monitors and manages the topic's "
            "impacts, risks and opportunities, and how that is integrated with its "
            "overall risk management."
        ),
    ),
    Point(
        "metrics_targets",
        _("Metrics and targets"),
        _(
            "The metrics used to measure and manage the topic, the targets set, and the "
            "progress towards them."
        ),
    ),
)


def checklist_key(matter_code: str, part: str) -> str:
    return f"checklist:{matter_code}:{part}"
