"""The method settings in words: a run's options as labelled lines in the reader's
language, and what changed between two runs' options.

One vocabulary for every place that names a setting: the results page (the settings a
run used, the changes since the run before, the sensitivity table's variants), the method
settings page when it can no longer be changed, and the audit trail's note of a change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from materiality.models import AggregationRun
from materiality.runs.options import RunOptions, recorded_options
from materiality.scoring import AxisSource, ThresholdMode, Weighting


@dataclass(frozen=True)
class OptionLine:
    key: str  # stable: "weighting", "weight:<group code>", "confidence", …
    label: str
    value: str
    # False for a setting the others make moot (the group weights without custom
    # weighting, a rule's parameter while the rule is off): compared, not shown.
    shown: bool = True


def number_text(value: float) -> str:
    """2 reads "2", 2.5 "2.5": no trailing zeros, six significant digits."""
    return f"{value:g}"


def fraction_text(value: float) -> str:
    """1/3 reads better than 0.333 for the default; other values as decimals."""
    for denominator in (2, 3, 4, 5, 6, 8, 10):
        numerator = round(value * denominator)
        if numerator and abs(value - numerator / denominator) < 1e-9:
            return f"{numerator}/{denominator}"
    return number_text(value)


def confidence_text(confidence: float) -> str:
    """0.95 reads "95%", 0.9 "90%", 0.975 "97.5%"."""
    return f"{number_text(round(float(confidence) * 100, 4))}%"


def switch_text(on: bool) -> str:
    return _("on") if on else _("off")


def weighting_name(weighting: Weighting) -> str:
    return {
        Weighting.RESPONDENT: _("every respondent equal"),
        Weighting.EQUAL_GROUP: _("every group equal"),
        Weighting.CUSTOM: _("custom group weights"),
    }[weighting]


def axis_source_name(source: AxisSource) -> str:
    if source is AxisSource.ALL_RATE_BOTH:
        return _("Every respondent rates both axes")
    return _("Internal respondents rate the company axis, external ones the other")


def threshold_mode_name(mode: ThresholdMode) -> str:
    if mode is ThresholdMode.RELATIVE:
        return _("relative: the average of the topic means, plus an offset")
    return _("fixed: a value on the rating scale")


def threshold_shift_name(shift: float) -> str:
    """A sensitivity variant that moves both thresholds by `shift` scale points."""
    return _("thresholds %(shift)s") % {"shift": f"{shift:+.2f}"}


def variant_name(key: str) -> str:
    """A sensitivity variant by its key ("weighting:equal_group", "threshold:+0.25")."""
    kind, _sep, value = key.partition(":")
    if kind == "weighting" and value in {w.value for w in Weighting}:
        return weighting_name(Weighting(value))
    if kind == "threshold":
        return threshold_shift_name(float(value))
    return key


def _threshold_text(mode: ThresholdMode, value: float) -> str:
    if mode is ThresholdMode.FIXED:
        return number_text(value)
    if value == 0:
        return _("the average of the topic means")
    return _("the average of the topic means %(offset)s") % {"offset": f"{value:+g}"}


def straight_line_text(minimum: int | None) -> str:
    if minimum is None:
        return _("half of the grid's cells, at least 4 (the default)")
    return _("%(n)s rated cells") % {"n": minimum}


def option_lines(options: RunOptions, group_names: Mapping[str, str]) -> list[OptionLine]:
    """Every setting of `options` as a line, in a fixed order. `group_names` maps the
    assessment's group codes to their names, in the groups' order (a weight for a group
    not listed is named by its code)."""
    params = options.params
    custom = params.weighting is Weighting.CUSTOM
    codes = [*group_names, *sorted(set(params.group_weights) - set(group_names))]
    lines = [OptionLine("weighting", _("Weighting"), weighting_name(params.weighting))]
    lines += [
        OptionLine(
            f"weight:{code}",
            _("Weight of %(group)s") % {"group": group_names.get(code, code)},
            number_text(params.group_weights.get(code, 0.0)),
            shown=custom,
        )
        for code in codes
    ]
    lines += [
        OptionLine("axis_source", _("Axis source"), axis_source_name(params.axis_source)),
        OptionLine(
            "exclude_straight_lined",
            _("Straight-lining rule"),
            switch_text(options.exclude_straight_lined),
        ),
        OptionLine(
            "straight_line_min_cells",
            _("Straight-lining minimum"),
            straight_line_text(options.straight_line_min_cells),
            shown=options.exclude_straight_lined,
        ),
        OptionLine("exclude_too_fast", _("Too-fast rule"), switch_text(options.exclude_too_fast)),
        OptionLine(
            "too_fast_fraction",
            _("Too-fast limit"),
            _("under %(fraction)s of the median completion time")
            % {"fraction": fraction_text(options.too_fast_fraction)},
            shown=options.exclude_too_fast,
        ),
        OptionLine(
            "too_fast_seconds_per_cell",
            _("Too-fast floor"),
            _("under %(seconds)s s per grid cell, whatever the median")
            % {"seconds": number_text(options.too_fast_seconds_per_cell)}
            if options.too_fast_seconds_per_cell
            else _("none"),
            shown=options.exclude_too_fast,
        ),
        OptionLine(
            "too_fast_min_responses",
            _("Too-fast rule applies from"),
            _("%(n)s replies") % {"n": options.too_fast_min_responses},
            shown=options.exclude_too_fast,
        ),
        OptionLine(
            "threshold_mode", _("Threshold rule"), threshold_mode_name(params.threshold_mode)
        ),
        OptionLine(
            "company_threshold",
            _("Company-axis threshold"),
            _threshold_text(params.threshold_mode, params.company_threshold),
        ),
        OptionLine(
            "stakeholder_threshold",
            _("Stakeholder-axis threshold"),
            _threshold_text(params.threshold_mode, params.stakeholder_threshold),
        ),
        OptionLine(
            "divergence_limit",
            _("Divergence limit"),
            _("%(limit)s scale points") % {"limit": number_text(params.divergence_limit)},
        ),
        OptionLine("confidence", _("Confidence level"), confidence_text(params.confidence)),
        OptionLine(
            "bootstrap_samples",
            _("Bootstrap resamples"),
            str(params.bootstrap_samples)
            if params.bootstrap_samples
            else _("0 (no confidence intervals)"),
        ),
        OptionLine("seed", _("Random seed"), str(params.seed)),
    ]
    return lines


def option_changes(
    before: RunOptions, after: RunOptions, group_names: Mapping[str, str]
) -> list[str]:
    """What differs from `before` to `after`, a line per setting: "Too-fast rule: on →
    off", "Weight of Investors: 1 → 2". Empty when nothing does."""
    old = {line.key: line for line in option_lines(before, group_names)}
    new = {line.key: line for line in option_lines(after, group_names)}
    changes = []
    for key in [*new, *(key for key in old if key not in new)]:
        was, now = old.get(key), new.get(key)
        if was is not None and now is not None and was.value == now.value:
            continue
        label = (now or was).label  # type: ignore[union-attr]
        changes.append(
            _("%(setting)s: %(before)s → %(after)s")
            % {
                "setting": label,
                "before": was.value if was is not None else "—",
                "after": now.value if now is not None else "—",
            }
        )
    return changes


@dataclass(frozen=True)
class RunMethod:
    """The settings a run used, and what changed since the scored run before it."""

    lines: list[OptionLine]  # those shown
    run_before: AggregationRun | None
    changes: list[str]  # empty: the same settings (or no run before)


def run_method(
    run: AggregationRun, run_before: AggregationRun | None, group_names: Mapping[str, str]
) -> RunMethod:
    options = recorded_options(run)
    return RunMethod(
        lines=[line for line in option_lines(options, group_names) if line.shown],
        run_before=run_before,
        changes=option_changes(recorded_options(run_before), options, group_names)
        if run_before is not None
        else [],
    )
