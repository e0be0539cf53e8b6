"""A DMA's results: its ratings in force scored by its latest frozen methodology, rolled
up to matters, with the stakeholder survey's scores beside each matter as evidence.

The adapter between the models and the pure scoring package: it reads everything in a
fixed handful of grouped queries (`tests/double/test_results.py` pins the count), builds
the scoring's plain inputs (IROs by reference, matters and raters by id), scores every
IRO, rolls the scores up, and words what the scoring says (errors, flags, working) in
the reader's language. It stores nothing: the review slice freezes what it approves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from materiality.double import scoring
from materiality.double.methodology import settings_of
from materiality.double.models import (
    DoubleAssessment,
    Iro,
    IroKind,
    Matter,
    MatterTopic,
    MethodologyVersion,
    Rating,
)
from materiality.double.ratings import current_ratings
from materiality.double.scoring import Basis, Flag, IroScore, ScoringError, Settings
from materiality.double.scoring.rollup import MatterScore, roll_up
from materiality.models import AggregationRun, GroupScore, RunStatus
from materiality.runs.selectors import run_scores
from surveys.translations import pick

# What a ScoringError's code means, for the reader; the code is the scoring's contract.
ERROR_MESSAGES = {
    "no_ratings": gettext_lazy("Not rated yet."),
    "duplicate_rater": gettext_lazy("A rater has more than one rating in force."),
    "positive_irremediability": gettext_lazy(
        "A rating gives irremediability, which a positive impact does not take (ESRS 1 §46)."
    ),
    "financial_criterion": gettext_lazy("A rating of this impact gives a financial magnitude."),
    "impact_criterion": gettext_lazy(
        "A rating of this risk or opportunity gives scale, scope or irremediability."
    ),
    "missing_criterion": gettext_lazy(
        "A rating lacks a criterion this IRO needs: the IRO changed after it was rated. "
        "Ask the rater to rate it again."
    ),
    "level": gettext_lazy("A rating has a level outside 1 to 5."),
    "amount": gettext_lazy("A rating has a negative amount."),
    "choice": gettext_lazy("Say whether the impact is negative or positive, actual or potential."),
    "unknown_matter": gettext_lazy("The IRO's matter is not in the assessment's matter tree."),
    "cycle": gettext_lazy("The matter tree has a cycle."),
    "override": gettext_lazy("A final value that differs needs a reason and an approver."),
}
SETTINGS_UNREADABLE = gettext_lazy(
    "The frozen methodology cannot be read by this version of Materia; freeze a new "
    "methodology version."
)
FLAG_WORDS = {
    Flag.NEAR_THRESHOLD: gettext_lazy("near the threshold"),
    Flag.INTERVAL_STRADDLES: gettext_lazy("interval straddles the threshold"),
    Flag.FEW_RATERS: gettext_lazy("fewer than 3 raters"),
}
BASIS_WORDS = {
    Basis.ACTUAL_IMPACT: gettext_lazy(
        "An actual impact: its score is its severity S (ESRS 1 §45); likelihood does not apply."
    ),
    Basis.HUMAN_RIGHTS: gettext_lazy(
        "A potential negative human-rights impact: severity takes precedence over "
        "likelihood, so its score is its severity S (ESRS 1 §45)."
    ),
    Basis.POTENTIAL_IMPACT: gettext_lazy(
        "A potential impact: severity S combined with the likelihood p."
    ),
    Basis.FINANCIAL: gettext_lazy(
        "A risk or opportunity: financial magnitude M combined with the likelihood p (ESRS 1 §49)."
    ),
}
SEVERITY_WORDS = {
    scoring.SeverityRule.MEAN: gettext_lazy("Severity is the mean of the criteria."),
    scoring.SeverityRule.MAX: gettext_lazy(
        "Severity is the highest criterion (ESRS 1 AR 11: any one can make an impact severe)."
    ),
    scoring.SeverityRule.MEAN_MAX: gettext_lazy(
        "Severity is the average of the criteria's mean and their maximum."
    ),
}
COMBINE_WORDS = {
    scoring.CombineRule.PRODUCT: gettext_lazy("Likelihood multiplies: S × p."),
    scoring.CombineRule.CAPPED: gettext_lazy(
        "Likelihood averages with the base on the 1–5 scale, never raising it: "
        "min(S, (S + 5p) / 2)."
    ),
}
CRITERION_WORDS = {
    "scale": gettext_lazy("scale"),
    "scope": gettext_lazy("scope"),
    "irremediability": gettext_lazy("irremediability"),
    "likelihood": gettext_lazy("likelihood"),
    "magnitude": gettext_lazy("financial magnitude"),
}


@dataclass(frozen=True)
class IroResult:
    iro: Iro
    score: IroScore | None  # None when it could not be scored
    problem: str = ""  # why not, in the reader's language

    @property
    def flags(self) -> list[str]:
        return _flag_words(self.score.flags) if self.score else []

    @property
    def explanation(self) -> list[str]:
        return explain(self.score) if self.score else []


@dataclass(frozen=True)
class GroupEvidence:
    name: str
    company: float | None  # the group's mean on each axis
    stakeholder: float | None
    n: int


@dataclass(frozen=True)
class TopicEvidence:
    """One crosswalked topic's scores in the survey's latest scored run."""

    name: str
    coverage: str  # full / partial, worded
    company: float | None
    stakeholder: float | None
    material: bool
    groups: list[GroupEvidence]


@dataclass(frozen=True)
class AxisResult:
    score: Decimal | None
    interval: tuple[Decimal, Decimal] | None  # of the IRO that gives the score
    material: bool


@dataclass(frozen=True)
class MatterResult:
    matter: Matter
    depth: int  # 0 for a topic
    rolled: MatterScore
    impact: AxisResult
    financial: AxisResult
    iros: list[IroResult]
    evidence: list[TopicEvidence]
    flags: list[str]  # the flags of its IROs, worded

    @property
    def material(self) -> bool:
        return bool(self.rolled.material.final)


@dataclass(frozen=True)
class DmaResults:
    methodology: MethodologyVersion | None
    settings: Settings | None
    matters: list[MatterResult]
    run: AggregationRun | None  # the survey run the evidence comes from
    company_axis: str = ""
    stakeholder_axis: str = ""
    problems: list[str] = field(default_factory=list)  # what keeps it from being scored

    @property
    def impact_threshold(self) -> Decimal | None:
        return self.settings.impact_threshold if self.settings else None

    @property
    def financial_threshold(self) -> Decimal | None:
        return self.settings.financial_threshold if self.settings else None


def dma_results(dma: DoubleAssessment) -> DmaResults:
    """Score `dma` as its ratings stand now (8 queries, whatever its size)."""
    methodology = dma.methodology_versions.order_by("-number").first()
    iros = list(dma.iros.select_related("matter").order_by("reference"))
    ratings = list(current_ratings(dma).select_related(None))
    settings: Settings | None = None
    problems: list[str] = []
    if methodology is None:
        problems.append(_("Rating has not started: no methodology is frozen yet."))
    else:
        try:
            settings = settings_of(methodology)
        except (ScoringError, TypeError):
            problems.append(str(SETTINGS_UNREADABLE))
    results = score_iros(iros, ratings, settings) if settings else []
    matters = _matter_tree(dma)
    links = _links([m for m, _depth in matters])
    run = _survey_run(dma)
    evidence = _evidence(run, links)
    matter_results: list[MatterResult] = []
    if settings is not None:
        parent_of = {str(m.pk): _key(m.parent_id) for m, _depth in matters}
        scored = [r.score for r in results if r.score is not None]
        rolled = roll_up(scored, parent_of)
        by_matter: dict[int, list[IroResult]] = defaultdict(list)
        for result in results:
            by_matter[result.iro.matter_id].append(result)
        for matter, depth in matters:
            own = by_matter[matter.pk]
            matter_results.append(
                MatterResult(
                    matter=matter,
                    depth=depth,
                    rolled=rolled[str(matter.pk)],
                    impact=_axis(rolled[str(matter.pk)], own, scoring.Axis.IMPACT),
                    financial=_axis(rolled[str(matter.pk)], own, scoring.Axis.FINANCIAL),
                    iros=own,
                    evidence=evidence.get(matter.pk, []),
                    flags=_flag_words(frozenset(f for r in own if r.score for f in r.score.flags)),
                )
            )
    survey = run.assessment if run is not None else None
    return DmaResults(
        methodology=methodology,
        settings=settings,
        matters=matter_results,
        run=run,
        company_axis=pick(survey.company_axis_label) if survey else "",
        stakeholder_axis=pick(survey.stakeholder_axis_label) if survey else "",
        problems=problems,
    )


def score_iros(
    iros: Sequence[Iro], ratings: Iterable[Rating], settings: Settings
) -> list[IroResult]:
    """Every IRO scored from its ratings in force (one a rater); an IRO that cannot be
    scored carries the reason instead, and the others are scored all the same."""
    by_iro: dict[int, list[scoring.Rating]] = defaultdict(list)
    results: list[IroResult] = []
    problems: dict[int, str] = {}
    for rating in ratings:
        try:
            by_iro[rating.iro_id].append(
                scoring.Rating(
                    rater=str(rating.rater_id),
                    scale=rating.scale,
                    scope=rating.scope,
                    irremediability=rating.irremediability,
                    likelihood=rating.likelihood,
                    magnitude=rating.magnitude,
                    amount=rating.amount,
                )
            )
        except ScoringError as error:
            problems[rating.iro_id] = error_message(error)
    for iro in iros:
        if iro.pk in problems:
            results.append(IroResult(iro, None, problems[iro.pk]))
            continue
        try:
            score = scoring.score_iro(_scoring_iro(iro), by_iro[iro.pk], settings)
        except ScoringError as error:
            results.append(IroResult(iro, None, error_message(error)))
        else:
            results.append(IroResult(iro, score))
    return results


def error_message(error: ScoringError) -> str:
    message = ERROR_MESSAGES.get(error.code)
    return str(message) if message else _("This IRO cannot be scored.")


def explain(score: IroScore) -> list[str]:
    """How the score was reached, in the reader's language: the rule, the medians, the
    working in figures, the amount test."""
    explanation = score.explanation
    lines = [str(BASIS_WORDS[explanation.basis])]
    if explanation.severity_rule is not None:
        lines.append(str(SEVERITY_WORDS[explanation.severity_rule]))
    if explanation.combine_rule is not None:
        lines.append(str(COMBINE_WORDS[explanation.combine_rule]))
    medians = ", ".join(
        f"{CRITERION_WORDS[name]} {_figure(value)}" for name, value in score.medians.items()
    )
    lines.append(
        _("Medians across %(n)d raters: %(medians)s.") % {"n": score.raters, "medians": medians}
    )
    lines += [_working(line) for line in explanation.working]
    if score.expected_amount is not None:
        lines.append(
            _("Expected amount: the median amount × p = %(amount)s.")
            % {"amount": f"{scoring.reported(score.expected_amount):,}"}
        )
        if score.material_by_amount is not None:
            lines.append(
                _("Material by amount: it reaches the currency threshold.")
                if score.material_by_amount
                else _("Not material by amount: below the currency threshold.")
            )
    return lines


# --- Reading ----------------------------------------------------------------------------


def _matter_tree(dma: DoubleAssessment) -> list[tuple[Matter, int]]:
    """The matters that hold the DMA's IROs and the matters above them, in tree order
    (each followed by those below it, siblings in their pack's order): one query."""
    held = Q(iros__dma=dma) | Q(children__iros__dma=dma) | Q(children__children__iros__dma=dma)
    matters = list(Matter.objects.filter(held).distinct())
    ids = {m.pk for m in matters}
    below: dict[int | None, list[Matter]] = defaultdict(list)
    for matter in matters:
        below[matter.parent_id if matter.parent_id in ids else None].append(matter)
    for siblings in below.values():
        siblings.sort(key=lambda m: (m.company_specific, m.pack_id or 0, m.order, m.pk))
    ordered: list[tuple[Matter, int]] = []

    def visit(matter: Matter, depth: int) -> None:
        ordered.append((matter, depth))
        for child in below.get(matter.pk, []):
            visit(child, depth + 1)

    for top in below[None]:
        visit(top, 0)
    return ordered


def _links(matters: Sequence[Matter]) -> list[MatterTopic]:
    return list(
        MatterTopic.objects.filter(matter__in=[m.pk for m in matters])
        .select_related("topic")
        .order_by("topic__order", "topic__code")
    )


def _survey_run(dma: DoubleAssessment) -> AggregationRun | None:
    """The linked survey's latest scored run (what an UNCHANGED run stands for): one
    query, none without a linked survey."""
    if dma.survey_assessment_id is None:
        return None
    newest = (
        AggregationRun.objects.filter(
            assessment_id=dma.survey_assessment_id,
            status__in=[RunStatus.SUCCEEDED, RunStatus.UNCHANGED],
        )
        .select_related("assessment", "same_as__assessment")
        .order_by("-pk")
        .first()
    )
    if newest is not None and newest.status == RunStatus.UNCHANGED:
        return newest.same_as
    return newest


def _evidence(
    run: AggregationRun | None, links: Sequence[MatterTopic]
) -> dict[int, list[TopicEvidence]]:
    """Each matter's crosswalked topics with their overall and per-group scores in `run`:
    two queries (the topics' scores, the groups' scores), none without a run."""
    if run is None or not links:
        return {}
    topic_ids = {link.topic_id for link in links}
    # The run's every topic (a survey has a few dozen at most), as the results page reads them.
    overall = {row.score.topic_id: row.score for row in run_scores(run)}
    groups: dict[int, dict[int, dict[str, GroupScore]]] = defaultdict(lambda: defaultdict(dict))
    names: dict[int, tuple[int, str]] = {}
    rows = GroupScore.objects.filter(run=run, topic__in=topic_ids).select_related("group")
    for row in rows:
        groups[row.topic_id][row.group_id][row.axis] = row
        names[row.group_id] = (row.group.order, row.group.get_name())
    by_matter: dict[int, list[TopicEvidence]] = defaultdict(list)
    for link in links:
        score = overall.get(link.topic_id)
        if score is None:
            continue  # the topic was not in the survey
        by_group = groups.get(link.topic_id, {})
        by_matter[link.matter_id].append(
            TopicEvidence(
                name=link.topic.get_name(),
                coverage=link.get_coverage_display(),
                company=score.company_mean,
                stakeholder=score.stakeholder_mean,
                material=score.material,
                groups=[
                    GroupEvidence(
                        name=names[group_id][1],
                        company=_mean(axes.get("company")),
                        stakeholder=_mean(axes.get("stakeholder")),
                        n=max((row.n for row in axes.values()), default=0),
                    )
                    for group_id, axes in sorted(by_group.items(), key=lambda i: names[i[0]])
                ],
            )
        )
    return by_matter


def _mean(row: GroupScore | None) -> float | None:
    return row.mean if row is not None else None


# --- Building the scoring's inputs ------------------------------------------------------


def _scoring_iro(iro: Iro) -> scoring.Iro:
    if iro.kind == IroKind.IMPACT:
        return scoring.Iro(
            code=iro.reference,
            matter=str(iro.matter_id),
            kind=scoring.Kind.IMPACT,
            polarity=iro.polarity,  # type: ignore[arg-type]  # checked by the dataclass
            occurrence=iro.actuality,  # type: ignore[arg-type]
            human_rights=iro.human_rights,
        )
    return scoring.Iro(code=iro.reference, matter=str(iro.matter_id), kind=scoring.Kind(iro.kind))


def _key(pk: int | None) -> str | None:
    return None if pk is None else str(pk)


def _axis(rolled: MatterScore, own: Sequence[IroResult], axis: scoring.Axis) -> AxisResult:
    """A matter's score on one axis, with the interval of the IRO that gives it."""
    value = rolled.impact_score if axis is scoring.Axis.IMPACT else rolled.financial_score
    material = rolled.impact_material if axis is scoring.Axis.IMPACT else rolled.financial_material
    interval = None
    for result in own:
        if result.score and result.score.axis is axis and result.score.score.final == value:
            interval = result.score.interval
            break
    return AxisResult(value, interval, material)


# --- Wording ------------------------------------------------------------------------------


def _flag_words(flags: frozenset[Flag]) -> list[str]:
    return [str(words) for flag, words in FLAG_WORDS.items() if flag in flags]


def _figure(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _working(line: str) -> str:
    """A line of the scoring's working, its few words in the reader's language (the
    figures and formulas are the same in every language)."""
    for prefix, words in (
        ("M = median magnitude = ", _("M = median magnitude = %(value)s")),
        ("p = median likelihood = ", _("p = median likelihood = %(value)s")),
        ("score = ", _("score = %(value)s")),
    ):
        if line.startswith(prefix):
            return words % {"value": line.removeprefix(prefix)}
    return line
