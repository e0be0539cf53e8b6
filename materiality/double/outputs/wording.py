"""The outputs' headings and labels, in one place for the PDF and XLSX writers (the
HTML templates translate the same msgids). Call `labels()` under the output's language."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import get_language
from django.utils.translation import gettext as _

DOCUMENTS = ("esrs", "exchanges")


def labels() -> dict[str, str]:
    return {
        "esrs_title": _("Double materiality: ESRS disclosures"),
        "exchanges_title": _("Double materiality: exchange guidelines disclosures"),
        "approved": _("Approved on %(date)s by %(by)s · methodology version %(version)d"),
        "footer": _("%(title)s · page %(page)d"),
        "matrix": _("Double materiality matrix"),
        "matrix_missing": _(
            "The matrix is not available in this version of Materia yet; it is added to "
            "the outputs when it is."
        ),
        "results": _("Results by matter"),
        "results_sheet": _("Results"),
        "results_intro": _(
            "The approved result of every matter assessed. Where a decision in force "
            "changed the computed conclusion, both are shown."
        ),
        "matter": _("Matter"),
        "framework": _("Framework"),
        "reference": _("Reference"),
        "impact_score": _("Impact score"),
        "financial_score": _("Financial score"),
        "impact_material": _("Material on impact"),
        "financial_material": _("Material on financial"),
        "computed": _("Computed conclusion"),
        "final": _("Final conclusion"),
        "notes": _("Decision notes"),
        "material": _("Material"),
        "not_material": _("Not material"),
        "yes": _("Yes"),
        "no": _("No"),
        "sbm3": _("ESRS 2 SBM-3: material impacts, risks and opportunities"),
        "sbm3_empty": _("No impact, risk or opportunity is material."),
        "iro_reference": _("IRO"),
        "title": _("Title"),
        "description": _("Description"),
        "kind": _("Kind"),
        "character": _("Character"),
        "value_chain": _("Value-chain stages"),
        "horizons": _("Time horizons"),
        "stakeholders": _("Affected stakeholders"),
        "financial_effect": _("Financial effect"),
        "source": _("Where it came from"),
        "score": _("Score"),
        "iro1": _("ESRS 2 IRO-1 §53: the process to identify and assess material IROs"),
        "point": _("Point"),
        "known": _("What the assessment shows"),
        "team_adds": _("What the team must add"),
        "iro2": _("ESRS 2 IRO-2: the material matters"),
        "iro2_empty": _("No ESRS matter is material."),
        "e1": _("Climate change (E1)"),
        "e1_material": _("Climate change is material."),
        "e1_not_material": _(
            "Climate change is not material. The explanation ESRS 2 §57 requires:"
        ),
        "topics": _("The 21 topics of the exchange guidelines"),
        "topics_sheet": _("Topics"),
        "topic": _("Topic"),
        "article": _("Article"),
        "result": _("Result"),
        "prefill": _("From the approved results"),
        "prefill_source": _("Basis"),
        "reason": _("Reason"),
        "set_by_team": _("Set by the ESG team"),
        "article5": _("Article 5: how the assessment was made"),
        "article5_sheet": _("Article 5"),
        "article5_draft": _(
            "Draft generated from the assessment: the ESG team has not written its own yet."
        ),
        "checklist": _("Financially material topics: the four parts to disclose"),
        "checklist_sheet": _("Four parts"),
        "checklist_empty": _("No topic is financially material."),
        "part": _("Part"),
        "discloses": _("What to disclose"),
        "note": _("Team's note"),
    }


def yes_no(value: bool, words: dict[str, str]) -> str:
    return words["yes"] if value else words["no"]


def joined(items: Iterable[str]) -> str:
    """A list inside a sentence, with the separator of the language in force."""
    language = get_language() or ""
    return ("；" if language.startswith("zh") else "; ").join(items)
