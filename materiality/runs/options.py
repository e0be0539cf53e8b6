"""A run's options: everything that decides its result besides the replies themselves."""

from __future__ import annotations

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
    Params,
)

# Bump when a change to the method or to this module changes results for the same input.
# 2: the too-fast median counts only replies with a duration; 3: bootstrap sums drawn
# from their exact distribution (other random draws, the same distribution).
SCORING_VERSION = "3"


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
}


def run_options(assessment: Assessment) -> RunOptions:
    """The options for a new run: the assessment's scale, axes and group weights, and
    the method choices saved on the assessment (`Assessment.scoring`)."""
    saved: dict[str, Any] = dict(assessment.scoring or {})
    filters = {key: saved.pop(key, default) for key, default in FILTER_DEFAULTS.items()}
    weights = {
        code: float(weight)
        for code, weight in AssessmentGroup.objects.filter(assessment=assessment).values_list(
            "group__code", "weight"
        )
    }
    saved.setdefault("group_weights", weights)
    params = Params(
        scale_min=assessment.scale_min,
        scale_max=assessment.scale_max,
        company_axis=COMPANY_AXIS,
        stakeholder_axis=STAKEHOLDER_AXIS,
        **saved,
    )
    return RunOptions(params=params, **filters)


def recorded_options(run: AggregationRun) -> RunOptions:
    """The options the run recorded, rebuilt: what computed it, whatever the assessment's
    settings are now."""
    recorded: Mapping[str, Any] = run.options or {}
    filters = {key: recorded.get(key, default) for key, default in FILTER_DEFAULTS.items()}
    return RunOptions(params=Params.from_dict(recorded.get("params", {})), **filters)
