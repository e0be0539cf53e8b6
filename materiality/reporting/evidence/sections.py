"""The sections of an evidence pack, each built from one or two grouped reads."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Count, Q
from django.utils import timezone

from materiality.models import (
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    Assessment,
    Framework,
    StakeholderGroup,
    Topic,
    TopicReference,
    TopicScore,
)
from materiality.reporting.breakdowns import year_over_year
from materiality.reporting.evidence.contents import (
    ChangeRow,
    Fact,
    GroupRow,
    MaterialRow,
    ScreeningRow,
    joined,
    number_text,
    signed_text,
    when_text,
)
from materiality.reporting.wording import PACK_WORDS, word
from materiality.runs.inputs import RunInput, grid_cell_count, too_fast_limit
from materiality.runs.options import RunOptions
from materiality.scoring import AxisSource, ThresholdMode, Weighting
from surveys.models import Invitation, InvitationKind, Response, ResponseStatus
from surveys.tallies import Durations
from surveys.translations import pick


def screening_rows(assessment: Assessment, language: str) -> tuple[list[str], list[ScreeningRow]]:
    """Each topic with its references, one column per framework in use: two queries."""
    topics = list(
        Topic.objects.filter(assessmenttopic__assessment=assessment).order_by(
            "assessmenttopic__order"
        )
    )
    references: dict[int, dict[str, list[str]]] = {}
    for ref in TopicReference.objects.filter(topic__in=topics).order_by("framework", "reference"):
        # The column says which framework; a cell lists its references ("418", "2-9").
        title = pick(ref.title, language)
        text = f"{ref.reference} {title}" if title else ref.reference
        references.setdefault(ref.topic_id, {}).setdefault(ref.framework, []).append(text)
    used = {framework for by_framework in references.values() for framework in by_framework}
    frameworks = [code for code in Framework.values if code in used]
    rows = [
        ScreeningRow(
            code=topic.code,
            name=topic.get_name(language),
            dimension=word(topic.dimension, language),
            references=[
                "; ".join(references.get(topic.pk, {}).get(code, [])) or "—" for code in frameworks
            ],
        )
        for topic in topics
    ]
    return frameworks, rows


def group_rows(
    assessment: Assessment,
    run: AggregationRun,
    options: RunOptions,
    run_input: RunInput | None,
    language: str,
) -> tuple[list[GroupRow], GroupRow, list[str]]:
    """Invited, submitted, response rate and counted per group: three grouped queries.

    Counted applies the run's filters to today's responses; they are the run's numbers
    exactly when the replies still match its fingerprint, and said to be as of today
    when they do not.
    """
    survey_id = assessment.survey_id
    submitted = Response.objects.filter(survey_id=survey_id, status=ResponseStatus.SUBMITTED)
    if run_input is not None:
        limit = run_input.too_fast_seconds
    else:
        limit = too_fast_limit(
            Durations.of(submitted), options, grid_cells=grid_cell_count(survey_id)
        )
    passing = Q(pk__isnull=False)
    if options.exclude_straight_lined:
        passing &= Q(straight_lined=False)
    if limit is not None:
        passing &= Q(duration_seconds__gte=limit) | Q(duration_seconds__isnull=True)
    counts = {
        row["respondent_group"]: row
        for row in submitted.values("respondent_group")
        .annotate(submitted=Count("pk"), counted=Count("pk", filter=passing))
        .order_by()
    }
    invitations = {
        row["respondent_group"]: row
        for row in Invitation.objects.filter(survey_id=survey_id, kind=InvitationKind.PERSONAL)
        .values("respondent_group")
        .annotate(invited=Count("pk"), answered=Count("pk", filter=Q(responded_at__isnull=False)))
        .order_by()
    }
    groups = list(
        StakeholderGroup.objects.filter(assessmentgroup__assessment=assessment).order_by(
            "assessmentgroup__order"
        )
    )
    known = {g.code for g in groups}
    others = sorted((set(counts) | set(invitations)) - known)
    extra = {g.code: g for g in StakeholderGroup.objects.filter(code__in=others)}
    rows = []
    totals = [0, 0, 0, 0]  # invited, answered, submitted, counted
    for code, group in [(g.code, g) for g in groups] + [(c, extra.get(c)) for c in others]:
        count, invite = counts.get(code, {}), invitations.get(code, {})
        invited, answered = invite.get("invited", 0), invite.get("answered", 0)
        totals = [
            a + b
            for a, b in zip(
                totals,
                [invited, answered, count.get("submitted", 0), count.get("counted", 0)],
                strict=True,
            )
        ]
        rows.append(
            GroupRow(
                name=group.get_name(language) if group else (code or word("no_group", language)),
                side=word("internal" if group.internal else "external", language) if group else "—",
                invited=str(invited) if invited else "—",
                submitted=str(count.get("submitted", 0)),
                rate=f"{answered / invited:.0%}" if invited else "—",
                counted=str(count.get("counted", 0)),
            )
        )
    total = GroupRow(
        name=word("total", language),
        side="",
        invited=str(totals[0]) if totals[0] else "—",
        submitted=str(totals[2]),
        rate=f"{totals[1] / totals[0]:.0%}" if totals[0] else "—",
        counted=str(totals[3]),
    )
    notes = [word("groups_note_invited", language), word("groups_note_counted", language)]
    if run_input is None:
        notes.append(
            word("groups_note_changed", language)
            % {
                "date": when_text(timezone.now()),
                "counted": run.responses_counted,
                "total": run.responses_total,
            }
        )
    return rows, total, notes


def too_fast_texts(
    run_input: RunInput | None, options: RunOptions, language: str
) -> tuple[str, str]:
    """The too-fast limit as shown, and the filter step of "how to check"."""
    if run_input is None:
        limit = word("limit_unknown", language)
    elif run_input.too_fast_seconds is None:
        limit = word("limit_none", language)
    else:
        limit = word("seconds", language) % {"n": run_input.too_fast_seconds}
    rules = []
    if options.exclude_straight_lined:
        rules.append(word("check_rule_straight", language))
    if options.exclude_too_fast:
        if run_input is None:
            rules.append(word("check_rule_unknown", language))
        elif run_input.too_fast_seconds is not None:
            rules.append(word("check_rule_fast", language) % {"limit": run_input.too_fast_seconds})
    return limit, joined(rules, language) or word("check_rule_none", language)


def method_facts(
    assessment: Assessment,
    options: RunOptions,
    thresholds: Mapping[str, float | None],
    language: str,
) -> list[Fact]:
    params = options.params
    t = {key: word(key, language) for key in PACK_WORDS}
    scale = {"min": params.scale_min, "max": params.scale_max}
    if params.threshold_mode is ThresholdMode.RELATIVE:
        threshold = t["threshold_relative"] % {
            "company_offset": signed_text(params.company_threshold),
            "stakeholder_offset": signed_text(params.stakeholder_threshold),
            "company": number_text(thresholds.get(COMPANY_AXIS), 4),
            "stakeholder": number_text(thresholds.get(STAKEHOLDER_AXIS), 4),
            **scale,
        }
    else:
        threshold = t["threshold_fixed"] % {
            "company": number_text(params.company_threshold, 2),
            "stakeholder": number_text(params.stakeholder_threshold, 2),
            **scale,
        }
    uncertainty = (
        t["uncertainty_text"]
        % {
            "level": f"{params.confidence:.0%}",
            "samples": params.bootstrap_samples,
            "seed": params.seed,
        }
        if params.bootstrap_samples
        else t["uncertainty_off"]
    )
    return [
        Fact(t["weighting"], t[f"weighting_{params.weighting.value}"]),
        Fact(
            t["axis_source"],
            t["axis_all" if params.axis_source is AxisSource.ALL_RATE_BOTH else "axis_split"],
        ),
        Fact(t["thresholds"], threshold),
        Fact(t["material_rule"], t["material_rule_text"]),
        Fact(t["tiers"], t["tiers_text"]),
        Fact(t["ranking"], t["ranking_text"]),
        Fact(t["uncertainty"], uncertainty),
        Fact(
            t["divergence"],
            t["divergence_text"] % {"limit": number_text(params.divergence_limit, 2)},
        ),
    ]


def group_weight_facts(
    assessment: Assessment, options: RunOptions, language: str
) -> list[tuple[str, str]]:
    if options.params.weighting is not Weighting.CUSTOM:
        return []
    weights = options.params.group_weights
    groups = StakeholderGroup.objects.filter(assessmentgroup__assessment=assessment).order_by(
        "assessmentgroup__order"
    )
    return [(g.get_name(language), number_text(weights.get(g.code, 0.0), 3)) for g in groups]


def material_row(score: TopicScore, language: str) -> MaterialRow:
    return MaterialRow(
        rank=score.rank,
        code=score.topic.code,
        name=score.topic.get_name(language),
        dimension=word(score.topic.dimension, language),
        tier=word(score.tier, language),
        p_material="—" if score.p_material is None else f"{score.p_material:.0%}",
        company=number_text(score.company_mean, 2),
        stakeholder=number_text(score.stakeholder_mean, 2),
        combined=number_text(score.combined, 1),
    )


def change_rows(
    assessment: Assessment, run: AggregationRun, language: str
) -> tuple[str, list[ChangeRow], list[str]]:
    """Rank and material status against the previous period's result (its published
    run, else its latest run with scores)."""
    previous = assessment.previous
    if previous is None:
        return word("no_previous", language), [], []
    previous_run, movements = year_over_year(run)
    if previous_run is None:
        return word("previous_no_run", language) % {"title": previous.get_title(language)}, [], []
    yes, no = word("yes", language), word("no", language)
    rows = []
    new, dropped, gained, lost = [], [], [], []
    for move in movements:
        name = move.topic.get_name(language)
        status = ""
        if move.status == "new":
            status = word("status_new", language)
            new.append(name)
        elif move.status == "dropped":
            status = word("status_dropped", language)
            dropped.append(name)
        elif move.material and not move.previous_material:
            gained.append(name)
        elif move.previous_material and not move.material:
            lost.append(name)
        change = move.rank_change
        rows.append(
            ChangeRow(
                name=name,
                rank=str(move.rank) if move.rank is not None else "—",
                previous_rank=str(move.previous_rank) if move.previous_rank is not None else "—",
                change="—" if change is None else f"{change:+d}" if change else "0",
                material=" / ".join(
                    "—" if value is None else yes if value else no
                    for value in (move.material, move.previous_material)
                ),
                status=status,
            )
        )
    notes = []
    for key, names in (("new_topics", new), ("dropped_topics", dropped)):
        if names:
            notes.append(word(key, language) % {"list": joined(names, language)})
    for key, names in (("newly_material", gained), ("no_longer_material", lost)):
        if names:
            notes.append(word(key, language) % {"list": joined(names, language)})
    if not gained and not lost:
        notes.append(word("no_status_change", language))
    intro = word("previous_intro", language) % {
        "title": previous.get_title(language),
        "period": f"{previous.period_start.isoformat()} – {previous.period_end.isoformat()}",
        "run": previous_run.pk,
    }
    return intro, rows, notes
