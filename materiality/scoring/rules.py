"""The materiality rule: thresholds, crossing them, tiers and ranking."""

from __future__ import annotations

import numpy as np

from materiality.scoring.estimates import Bools, Floats
from materiality.scoring.outcome import Tier
from materiality.scoring.params import Params, ThresholdMode

# A mean this close below a threshold counts as reaching it, and ranking compares values
# at this resolution, so that floating-point rounding (a relative threshold computed from
# equal means, say) never decides an outcome. Distinct means of real surveys differ by far
# more.
TIE_TOLERANCE = 1e-9


def thresholds(means: Floats, has_mean: Bools, params: Params) -> Floats:
    """Each axis's threshold on the scale, for topic means shaped (topic, axis, *samples).

    Returns shape (axis, *samples); NaN for a relative threshold on an axis no topic has a
    mean on. The relative threshold averages the means of the topics that have one.
    """
    offsets = (params.company_threshold, params.stakeholder_threshold)
    rows = []
    for a, offset in enumerate(offsets):
        if params.threshold_mode is ThresholdMode.FIXED:
            rows.append(np.full(means.shape[2:], offset))
        elif has_mean[:, a].any():
            rows.append(means[has_mean[:, a], a].mean(axis=0) + offset)
        else:
            rows.append(np.full(means.shape[2:], np.nan))
    return np.stack(rows)


def crosses(means: Floats, applied: Floats) -> Bools:
    """Whether each topic mean reaches its axis's threshold (>=); NaN never does."""
    return means >= applied - TIE_TOLERANCE


def tier(crossed: int) -> Tier:
    return (Tier.LOW, Tier.MEDIUM, Tier.HIGH)[crossed]


def rank_key(
    combined: float | None, stakeholder_mean: float | None, topic: str
) -> tuple[bool, int, bool, int, str]:
    """Combined score descending, then stakeholder-axis mean descending, then topic code;
    a topic without a combined score comes after every topic with one."""
    return (
        combined is None,
        -_resolved(combined),
        stakeholder_mean is None,
        -_resolved(stakeholder_mean),
        topic,
    )


def _resolved(value: float | None) -> int:
    return 0 if value is None else round(value / TIE_TOLERANCE)
