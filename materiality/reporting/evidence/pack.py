"""The evidence pack's data: everything an auditor needs to trace a result, gathered
once and rendered as HTML or PDF."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from django.utils import timezone

from materiality.models import (
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    TopicScore,
)
from materiality.reporting.evidence.contents import (
    SECTIONS,
    EvidencePack,
    Fact,
    Section,
    TrailEntry,
    TrailRow,
    joined,
    number_text,
    when_text,
)
from materiality.reporting.evidence.sections import (
    change_rows,
    group_rows,
    group_weight_facts,
    material_row,
    method_facts,
    screening_rows,
    too_fast_texts,
)
from materiality.reporting.wording import PACK_WORDS, word
from materiality.runs.describing import fraction_text
from materiality.runs.inputs import replay_input
from materiality.runs.options import RunOptions, recorded_options
from materiality.runs.selectors import applied_thresholds, scored_run
from materiality.scoring import AxisSource, ThresholdMode
from surveys.plaintext import plain_text
from surveys.translations import pick


def evidence_pack(
    run: AggregationRun,
    language: str,
    *,
    trail: Sequence[TrailEntry] = (),
    rationale: str = "",
) -> EvidencePack:
    """The pack's content for *run* in *language*: a fixed number of queries.

    *trail* is the confirmation trail (empty: "not yet confirmed"); *rationale* is the
    ESG team's own reasons for the method choices, shown beside the standard ones.
    """
    # Read afresh: the pack must show the assessment as it is now (its previous period,
    # say), not as it was when the caller loaded the run.
    run = AggregationRun.objects.select_related(
        "assessment__survey", "assessment__previous__survey"
    ).get(pk=scored_run(run).pk)
    assessment = run.assessment
    options = recorded_options(run)
    params = options.params
    scores = list(TopicScore.objects.filter(run=run).select_related("topic").order_by("rank"))
    thresholds = applied_thresholds(run, scores)
    run_input = replay_input(run)
    t = {key: word(key, language) for key in PACK_WORDS}
    period = f"{assessment.period_start.isoformat()} – {assessment.period_end.isoformat()}"
    title = assessment.get_title(language)
    computed = when_text(run.finished_at or run.created_at)
    sections = [Section(key, n, t[key]) for n, key in enumerate(SECTIONS, start=1)]
    groups, total, group_notes = group_rows(assessment, run, options, run_input, language)
    limit_text, rules = too_fast_texts(run_input, options, language)
    material = [s for s in scores if s.material]
    not_material = [s.topic.get_name(language) for s in scores if not s.material]
    change_intro, changes, change_notes = change_rows(assessment, run, language)
    frameworks, screening = screening_rows(assessment, language)
    return EvidencePack(
        language=language,
        html_lang="zh-Hans" if language.lower().startswith("zh") else language,
        t=t,
        title=t["doc_title"],
        assessment_title=title,
        period=period,
        run_id=run.pk,
        intro=t["intro"] % {"title": title, "period": period, "run": run.pk, "date": computed},
        generated=t["generated"] % {"date": when_text(timezone.now())},
        sections=sections,
        headings={s.key: f"{s.number}. {s.heading}" for s in sections},
        process=[
            t[key]
            for key in (
                "step_screening",
                "step_stakeholders",
                "step_rating",
                "step_scoring",
                "step_confirmation",
            )
        ],
        framework_columns=[t[f"fw_{code}"] for code in frameworks],
        sources_used=t["sources_used"]
        % {"list": joined([t[code] for code in frameworks], language) or "—"},
        screening=screening,
        groups=groups,
        group_total=total,
        group_notes=group_notes,
        scale_intro=t["scale_intro"] % {"min": assessment.scale_min, "max": assessment.scale_max},
        scale=[
            (str(level), pick(assessment.scale_labels.get(str(level)), language) or "—")
            for level in range(assessment.scale_min, assessment.scale_max + 1)
        ],
        axes=[
            Fact(pick(assessment.company_axis_label, language), t["axis_x"]),
            Fact(pick(assessment.stakeholder_axis_label, language), t["axis_y"]),
        ],
        method=method_facts(assessment, options, thresholds, language),
        group_weights=group_weight_facts(assessment, options, language),
        rationale=[
            t[
                "rationale_relative"
                if params.threshold_mode is ThresholdMode.RELATIVE
                else "rationale_fixed"
            ],
            t[f"rationale_{params.weighting.value}"],
            t[
                "rationale_all"
                if params.axis_source is AxisSource.ALL_RATE_BOTH
                else "rationale_split"
            ],
        ],
        team_rationale=plain_text(rationale, multiline=True).strip(),
        filters=[
            (
                t["filter_straight"],
                _straight_setting(options, t),
                str(run.excluded_straight_lined),
            ),
            (
                t["filter_fast"],
                _fast_setting(options, t, limit_text),
                str(run.excluded_too_fast),
            ),
        ],
        filter_summary=t["filter_summary"]
        % {
            "total": run.responses_total,
            "excluded": run.excluded_straight_lined + run.excluded_too_fast,
            "counted": run.responses_counted,
            "ratings": run.ratings_counted,
        },
        matrix_caption=t["matrix_caption"],
        material_intro=t["material_intro"] % {"count": len(material), "total": len(scores)},
        material=[material_row(s, language) for s in material],
        not_material=(
            t["not_material"] % {"list": joined(not_material, language)} if not_material else ""
        )
        if material
        else t["none_material"],
        change_intro=change_intro,
        changes=changes,
        change_notes=change_notes,
        # Translated texts come through `pick`, already under the control-character rule;
        # the trail's notes and the team's rationale are typed text stored as it came.
        trail=[
            TrailRow(
                when_text(entry.when),
                plain_text(entry.who),
                entry.action,
                plain_text(entry.note, multiline=True),
            )
            for entry in trail
        ],
        fingerprint=run.fingerprint,
        reproducibility=[
            Fact(t["fact_run"], str(run.pk)),
            Fact(t["fact_computed"], computed),
            Fact(
                t["fact_duration"],
                t["milliseconds"] % {"n": run.duration_ms} if run.duration_ms is not None else "—",
            ),
            Fact(
                t["fact_software"],
                ", ".join(f"{k} {v}" for k, v in sorted((run.software or {}).items())),
            ),
            Fact(
                t["fact_thresholds"],
                t["thresholds_value"]
                % {
                    "company": number_text(thresholds.get(COMPANY_AXIS), 4),
                    "stakeholder": number_text(thresholds.get(STAKEHOLDER_AXIS), 4),
                },
            ),
            Fact(t["fact_too_fast"], limit_text),
        ],
        parameters=json.dumps(options.as_dict(), ensure_ascii=False, indent=2, sort_keys=True),
        how_to_check=[
            t["check_export"],
            t["check_filter"] % {"rules": rules},
            t["check_means"],
            t["check_method"],
        ],
    )


def _straight_setting(options: RunOptions, t: Mapping[str, str]) -> str:
    """The straight-lining rule as the run applied it, with a minimum the team set."""
    if not options.exclude_straight_lined:
        return t["setting_off"]
    minimum = options.straight_line_min_cells
    return (
        t["setting_on"] if minimum is None else t["setting_straight_minimum"] % {"minimum": minimum}
    )


def _fast_setting(options: RunOptions, t: Mapping[str, str], limit_text: str) -> str:
    """The too-fast rule as the run applied it: the share of the median and, where the
    run had one, the floor per grid cell."""
    if not options.exclude_too_fast:
        return t["setting_off"]
    values = {
        "fraction": fraction_text(options.too_fast_fraction),
        "minimum": options.too_fast_min_responses,
        "limit": limit_text,
        "floor": f"{options.too_fast_seconds_per_cell:g}",
    }
    key = "setting_fast_floor" if options.too_fast_seconds_per_cell else "setting_fast"
    return t[key] % values
