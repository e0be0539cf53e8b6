"""A run's options: everything that decides its result besides the replies themselves."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from django.conf import settings

from materiality.models import (
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    Assessment,
    AssessmentGroup,
)
from materiality.scoring import (
    InvalidParams,
    Params,
    Problem,
)
from surveys.services import STRAIGHT_LINE_LOWEST

# Bump when a change to the method or to this module changes results for the same input.
# 2: the too-fast median counts only replies with a duration; 3: bootstrap sums drawn
# from their exact distribution (other random draws, the same distribution); 4: the
# too-fast rule has a floor in seconds per grid cell besides its share of the median.
SCORING_VERSION = "4"


def stale_after() -> timedelta:
    """How long a RUNNING run may go without a heartbeat before it counts as dead."""
    return timedelta(seconds=getattr(settings, "MATERIA_RUN_STALE_SECONDS", 600))


# --- Options --------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOptions:
    """Everything that decides a run's result besides the replies themselves."""

    params: Params
    exclude_straight_lined: bool = True
    exclude_too_fast: bool = True
    too_fast_fraction: float = 1 / 3
    too_fast_min_responses: int = 10
    # A reply quicker than this many seconds per cell of the rating grid is too fast,
    # whatever the median (docs/methodology.md, "Quality filters"); 0: no floor.
    too_fast_seconds_per_cell: float = 1.0
    # The fewest rated grid cells that make a reply straight-lined; None: the engine's
    # default (half the grid, at least 4). A setting of the survey, since the engine flags
    # replies as they arrive; recorded here, as it decides which replies count.
    straight_line_min_cells: int | None = None

    def __post_init__(self) -> None:
        problems = []
        fraction = self.too_fast_fraction
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not math.isfinite(fraction)
            or not 0 < fraction <= 1
        ):
            problems.append(
                Problem(
                    "too_fast_fraction",
                    "range",
                    f"too_fast_fraction must be above 0 and at most 1, not {fraction!r}",
                )
            )
        floor = self.too_fast_seconds_per_cell
        if (
            isinstance(floor, bool)
            or not isinstance(floor, int | float)
            or not math.isfinite(floor)
            or not 0 <= floor <= MAX_SECONDS_PER_CELL
        ):
            problems.append(
                Problem(
                    "too_fast_seconds_per_cell",
                    "range",
                    f"too_fast_seconds_per_cell must be from 0 to {MAX_SECONDS_PER_CELL}, "
                    f"not {floor!r}",
                )
            )
        for name, lowest in (
            ("too_fast_min_responses", 1),
            ("straight_line_min_cells", STRAIGHT_LINE_LOWEST),
        ):
            value = getattr(self, name)
            if value is None and name == "straight_line_min_cells":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
                problems.append(
                    Problem(name, "range", f"{name} must be a whole number from {lowest} up")
                )
        if problems:
            raise InvalidParams(problems, prefix="invalid run options: ")

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"params": self.params.as_dict()}
        for spec in fields(self):
            if spec.name != "params":
                data[spec.name] = getattr(self, spec.name)
        return data


FILTER_DEFAULTS = {
    "exclude_straight_lined": True,
    "exclude_too_fast": True,
    "too_fast_fraction": 1 / 3,
    "too_fast_min_responses": 10,
    "too_fast_seconds_per_cell": 1.0,
}
# Runs recorded before an option existed were computed without it: what it was then.
FILTERS_BEFORE = {"too_fast_seconds_per_cell": 0.0}
# A floor above this many seconds per cell would leave out careful readers too.
MAX_SECONDS_PER_CELL = 60


def run_options(
    assessment: Assessment, *, group_weights: Mapping[str, float] | None = None
) -> RunOptions:
    """The options for a new run: the assessment's scale, axes and group weights, the
    method choices saved on the assessment (`Assessment.scoring`) and the survey's
    straight-lining minimum. The ESG team sets them on the method settings page
    (`runs/method.py`). `group_weights`: the assessment's, if the caller has read them
    already (`inputs.assessment_vocabulary`)."""
    weights = (
        dict(group_weights)
        if group_weights is not None
        else {
            code: float(weight)
            for code, weight in AssessmentGroup.objects.filter(assessment=assessment).values_list(
                "group__code", "weight"
            )
        }
    )
    return options_from(
        assessment,
        assessment.scoring or {},
        group_weights=weights,
        straight_line_min_cells=assessment.survey.straight_line_min_cells,
    )


def options_from(
    assessment: Assessment,
    scoring: Mapping[str, Any],
    *,
    group_weights: Mapping[str, float],
    straight_line_min_cells: int | None,
) -> RunOptions:
    """The options these saved choices give the assessment; `InvalidParams` (a
    ValueError) lists every problem when they cannot be used. Weights saved in `scoring`
    (by hand) win over the assessment's group weights."""
    saved: dict[str, Any] = dict(scoring)
    filters = {key: saved.pop(key, default) for key, default in FILTER_DEFAULTS.items()}
    saved.setdefault("group_weights", dict(group_weights))
    params = Params(
        scale_min=assessment.scale_min,
        scale_max=assessment.scale_max,
        company_axis=COMPANY_AXIS,
        stakeholder_axis=STAKEHOLDER_AXIS,
        **saved,
    )
    return RunOptions(params=params, straight_line_min_cells=straight_line_min_cells, **filters)


def recorded_options(run: AggregationRun) -> RunOptions:
    """The options the run recorded, rebuilt: what computed it, whatever the assessment's
    settings are now."""
    recorded: Mapping[str, Any] = run.options or {}
    filters = {
        key: recorded.get(key, FILTERS_BEFORE.get(key, default))
        for key, default in FILTER_DEFAULTS.items()
    }
    return RunOptions(
        params=Params.from_dict(recorded.get("params", {})),
        straight_line_min_cells=recorded.get("straight_line_min_cells"),
        **filters,
    )
