"""An assessment's method settings: the choices of docs/methodology.md that the ESG team
makes for new runs (weighting and group weights, axis source, quality filters,
thresholds, confidence intervals).

    read     method_groups, method_settings, current_options: the settings new runs use
    check    method_options: the run options some settings give, or InvalidParams
    change   method_update: check, store, one audit entry, a new run

They are stored where the runs read them (`runs/options.py` `run_options`): the choices
in `Assessment.scoring`, the group weights on `AssessmentGroup`, the straight-lining
minimum on the survey (the engine flags replies as they arrive; `survey_update` flags
the submitted ones again). Once a result is confirmed they no longer change: the
confirmed run must stay the method's last word for that period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from materiality.audit import audit_record
from materiality.models import (
    AggregationRun,
    Assessment,
    AssessmentGroup,
    AuditAction,
    ReviewStatus,
    RunStatus,
    RunTrigger,
)
from materiality.runs.describing import option_changes
from materiality.runs.options import RunOptions, options_from
from materiality.runs.requests import aggregation_request
from materiality.scoring import AxisSource, ThresholdMode, Weighting
from surveys.services import survey_update

# The keys of `Assessment.scoring` this page sets; others (the divergence limit, the
# seed, the too-fast rule's minimum number of replies) are kept as they are.
SCORING_KEYS = (
    "weighting",
    "axis_source",
    "threshold_mode",
    "company_threshold",
    "stakeholder_threshold",
    "confidence",
    "bootstrap_samples",
    "exclude_straight_lined",
    "exclude_too_fast",
    "too_fast_fraction",
    "too_fast_seconds_per_cell",
)


class MethodLocked(Exception):
    """The assessment has a confirmed result: its method settings are fixed."""

    message = _(
        "A result of this assessment has been confirmed, so its method settings can no "
        "longer change: the confirmed result must stay reproducible."
    )


@dataclass(frozen=True)
class GroupWeight:
    code: str
    name: str  # in the active language
    weight: Decimal


@dataclass(frozen=True)
class MethodSettings:
    weighting: Weighting
    weights: Mapping[str, Decimal]  # group code -> weight, every group of the assessment
    axis_source: AxisSource
    exclude_straight_lined: bool
    straight_line_min_cells: int | None  # None: the engine's default rule
    exclude_too_fast: bool
    too_fast_fraction: float
    too_fast_seconds_per_cell: float
    threshold_mode: ThresholdMode
    company_threshold: float
    stakeholder_threshold: float
    confidence: float
    bootstrap_samples: int

    def scoring(self) -> dict[str, Any]:
        """The choices as `Assessment.scoring` keeps them (JSON)."""
        values = {key: getattr(self, key) for key in SCORING_KEYS}
        for key in ("weighting", "axis_source", "threshold_mode"):
            values[key] = values[key].value
        return values


# --- Reading ----------------------------------------------------------------------------


def method_groups(assessment: Assessment) -> list[GroupWeight]:
    """The assessment's groups in their order, with their weights: one query."""
    rows = (
        AssessmentGroup.objects.filter(assessment=assessment)
        .select_related("group")
        .order_by("order", "pk")
    )
    return [GroupWeight(row.group.code, row.group.get_name(), row.weight) for row in rows]


def method_settings(assessment: Assessment, groups: list[GroupWeight]) -> MethodSettings:
    """The settings new runs of the assessment will use (its `groups`, from
    `method_groups`)."""
    options = current_options(assessment, groups)
    params = options.params
    return MethodSettings(
        weighting=params.weighting,
        weights={
            group.code: Decimal(str(params.group_weights.get(group.code, 0.0))) for group in groups
        },
        axis_source=params.axis_source,
        exclude_straight_lined=options.exclude_straight_lined,
        straight_line_min_cells=options.straight_line_min_cells,
        exclude_too_fast=options.exclude_too_fast,
        too_fast_fraction=options.too_fast_fraction,
        too_fast_seconds_per_cell=options.too_fast_seconds_per_cell,
        threshold_mode=params.threshold_mode,
        company_threshold=params.company_threshold,
        stakeholder_threshold=params.stakeholder_threshold,
        confidence=params.confidence,
        bootstrap_samples=params.bootstrap_samples,
    )


def method_editable(assessment: Assessment) -> bool:
    """Until a result is confirmed (and published), the settings may change."""
    if assessment.published_run_id is not None:
        return False
    return not AggregationRun.objects.filter(
        assessment=assessment, review=ReviewStatus.CONFIRMED
    ).exists()


def method_options(assessment: Assessment, settings: MethodSettings) -> RunOptions:
    """The options new runs would use with `settings`: checked by the method's own rules
    (`Params`, `RunOptions`), which raise `InvalidParams` listing every problem."""
    scoring = {
        key: value for key, value in (assessment.scoring or {}).items() if key != "group_weights"
    }
    return options_from(
        assessment,
        scoring | settings.scoring(),
        group_weights={code: float(weight) for code, weight in settings.weights.items()},
        straight_line_min_cells=settings.straight_line_min_cells,
    )


def current_options(assessment: Assessment, groups: list[GroupWeight]) -> RunOptions:
    """The options new runs will use (`run_options`), from groups already read."""
    return options_from(
        assessment,
        assessment.scoring or {},
        group_weights={group.code: float(group.weight) for group in groups},
        straight_line_min_cells=assessment.survey.straight_line_min_cells,
    )


# --- Changing ---------------------------------------------------------------------------


def method_update(
    *, assessment: Assessment, user: Any, settings: MethodSettings
) -> AggregationRun | None:
    """Store new method settings, note what changed in the audit trail and ask for a run
    that uses them. Returns that run, or None when nothing changed (then nothing is
    written). Raises `MethodLocked` once a result is confirmed, `InvalidParams` (a
    ValueError) for settings the method cannot use; either way nothing is stored."""
    with transaction.atomic():
        # The same lock as confirming: a confirmation and a change never interleave.
        locked = (
            Assessment.objects.select_for_update().select_related("survey").get(pk=assessment.pk)
        )
        if not method_editable(locked):
            raise MethodLocked
        groups = method_groups(locked)
        before = current_options(locked, groups)
        after = method_options(locked, settings)
        changes = option_changes(before, after, {group.code: group.name for group in groups})
        if not changes:
            return None
        scoring = {
            key: value for key, value in (locked.scoring or {}).items() if key != "group_weights"
        }
        Assessment.objects.filter(pk=locked.pk).update(scoring=scoring | settings.scoring())
        _store_weights(locked, groups, settings.weights)
        if settings.straight_line_min_cells != locked.survey.straight_line_min_cells:
            # Flags the submitted replies again, and has their counts recounted.
            survey_update(
                survey=locked.survey, straight_line_min_cells=settings.straight_line_min_cells
            )
        run = _run_with_new_settings(locked, user)
        audit_record(
            assessment=locked,
            action=AuditAction.SETTINGS_CHANGED,
            actor=user,
            run=run,
            note="\n".join(changes),
        )
    assessment.refresh_from_db()
    return run


def _store_weights(
    assessment: Assessment, groups: list[GroupWeight], weights: Mapping[str, Decimal]
) -> None:
    changed = {
        group.code: weights[group.code]
        for group in groups
        if group.code in weights and weights[group.code] != group.weight
    }
    if not changed:
        return
    rows = list(
        AssessmentGroup.objects.filter(assessment=assessment, group__code__in=list(changed))
        .select_related("group")
        .only("pk", "weight", "group__code")
    )
    for row in rows:
        row.weight = changed[row.group.code]
    AssessmentGroup.objects.bulk_update(rows, ["weight"])


def _run_with_new_settings(assessment: Assessment, user: Any) -> AggregationRun:
    """A run that will read the new settings. A waiting run serves (it reads the
    settings only once a worker claims it): its row stays locked until this transaction
    commits, so no worker can claim it with the old ones; if one did just before, a new
    run is asked for."""
    for _attempt in range(3):
        run = aggregation_request(
            assessment=assessment, trigger=RunTrigger.MANUAL, requested_by=user
        )
        waiting = AggregationRun.objects.select_for_update().filter(
            pk=run.pk, status=RunStatus.PENDING
        )
        if waiting.exists():
            return run
    return run
