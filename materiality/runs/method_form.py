"""The method settings form, for the ESG team's page and the admin alike.

Fields hold what the team types; whether the settings can be used is decided by the
method's own rules (`Params`, `RunOptions`, through `method_options`), whose problems
are shown beside the fields they concern, in the user's language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from materiality.models import Assessment
from materiality.runs.describing import (
    axis_source_name,
    fraction_text,
    threshold_mode_name,
    weighting_name,
)
from materiality.runs.method import (
    GroupWeight,
    MethodSettings,
    method_groups,
    method_options,
    method_settings,
)
from materiality.runs.options import MAX_SECONDS_PER_CELL
from materiality.scoring import (
    MAX_BOOTSTRAP_SAMPLES,
    AxisSource,
    InvalidParams,
    Problem,
    ThresholdMode,
    Weighting,
)
from surveys.selectors import questionnaire_load
from surveys.services import STRAIGHT_LINE_LOWEST, STRAIGHT_LINE_MIN_CELLS, straight_line_minimum

WEIGHT_PREFIX = "weight_"


def _number_input(**attrs: str) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", **attrs})


def _choice(name: str, help_text: str) -> SafeString:
    return format_html(
        '<span class="choice-name">{}</span> <span class="choice-help">{}</span>',
        capfirst(name),
        help_text,
    )


def parse_fraction(text: str) -> float:
    """ "1/3" or "0.25" as a number (full-width digits and signs, as a Chinese keyboard
    may type them, too)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    try:
        value = Fraction(cleaned)
    except (ValueError, ZeroDivisionError):
        raise forms.ValidationError(
            gettext_lazy("Enter a number such as 0.25, or a fraction such as 1/3."),
            code="invalid",
        ) from None
    return float(value)


class MethodForm(forms.ModelForm):
    """An assessment's method settings; `settings()` gives them once the form is valid.
    A ModelForm of no model field, so that the admin can show it as the assessment's
    change form."""

    weighting = forms.ChoiceField(label=gettext_lazy("Weighting"), widget=forms.RadioSelect)
    axis_source = forms.ChoiceField(label=gettext_lazy("Axis source"), widget=forms.RadioSelect)
    exclude_straight_lined = forms.BooleanField(
        label=gettext_lazy("Leave out straight-lined replies"),
        required=False,
        help_text=gettext_lazy("The same rating on every grid cell a respondent rated."),
    )
    straight_line_min_cells = forms.IntegerField(
        label=gettext_lazy("Fewest rated cells for the straight-lining flag"),
        required=False,
        min_value=STRAIGHT_LINE_LOWEST,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    exclude_too_fast = forms.BooleanField(
        label=gettext_lazy("Leave out replies that were too fast"), required=False
    )
    too_fast_fraction = forms.CharField(
        label=gettext_lazy("Too fast: under this share of the median completion time"),
        max_length=20,
        help_text=gettext_lazy("A number such as 0.25, or a fraction such as 1/3 (the default)."),
    )
    too_fast_seconds_per_cell = forms.FloatField(
        label=gettext_lazy("Too fast in any case: under this many seconds per grid cell"),
        min_value=0,
        max_value=MAX_SECONDS_PER_CELL,
        help_text=gettext_lazy(
            "Applies whatever the median, so that many quick replies cannot make each "
            "other look normal. 1 (the default) is far quicker than anyone can read a "
            "topic and choose a rating; 0 turns the floor off."
        ),
        widget=_number_input(),
    )
    threshold_mode = forms.ChoiceField(
        label=gettext_lazy("Threshold rule"), widget=forms.RadioSelect
    )
    company_threshold = forms.FloatField(label=gettext_lazy("Company axis"), widget=_number_input())
    stakeholder_threshold = forms.FloatField(
        label=gettext_lazy("Stakeholder axis"), widget=_number_input()
    )
    confidence = forms.FloatField(
        label=gettext_lazy("Confidence level"),
        help_text=gettext_lazy("Between 0 and 1: 0.95 gives intervals at 95 percent."),
        widget=_number_input(),
    )
    bootstrap_samples = forms.IntegerField(
        label=gettext_lazy("Bootstrap resamples"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    class Meta:
        model = Assessment
        fields: list[str] = []

    def __init__(self, *args: Any, instance: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "instance": instance})
        self.assessment = instance
        self.groups: list[GroupWeight] = method_groups(instance)
        for group in self.groups:
            self.fields[WEIGHT_PREFIX + group.code] = forms.DecimalField(
                label=group.name,
                max_digits=6,
                decimal_places=3,
                widget=_number_input(min="0"),
            )
        self._describe_fields()
        if not self.is_bound:
            self._set_initial(method_settings(instance, self.groups))

    def _describe_fields(self) -> None:
        scale = {"min": self.assessment.scale_min, "max": self.assessment.scale_max}
        self._set_choices(
            "weighting",
            [
                (
                    Weighting.RESPONDENT,
                    _("Every rating counts the same, so groups with more respondents weigh more."),
                ),
                (
                    Weighting.EQUAL_GROUP,
                    _(
                        "Every group that rated a topic counts the same, however many of its "
                        "members replied."
                    ),
                ),
                (
                    Weighting.CUSTOM,
                    _("Each group counts in proportion to its weight below; 0 leaves it out."),
                ),
            ],
            weighting_name,
        )
        self._set_choices(
            "axis_source",
            [
                (AxisSource.ALL_RATE_BOTH, _("Every rating counts on the axis it was given for.")),
                (
                    AxisSource.SPLIT_INTERNAL_EXTERNAL,
                    _("Ratings given on the other axis are left out."),
                ),
            ],
            axis_source_name,
        )
        self._set_choices(
            "threshold_mode",
            [
                (
                    ThresholdMode.RELATIVE,
                    _(
                        "The values below are offsets in scale points: with 0, a topic is "
                        "material on an axis when it is rated at least as important as the "
                        "average topic."
                    ),
                ),
                (
                    ThresholdMode.FIXED,
                    _("The values below are points on the %(min)s–%(max)s scale, such as 3.5.")
                    % scale,
                ),
            ],
            threshold_mode_name,
        )
        cells = questionnaire_load(self.assessment.survey).grid_cells
        minimum = self.fields["straight_line_min_cells"]
        minimum.help_text = _(
            "Identical ratings on a few cells prove nothing. Empty: half of the grid and at "
            "least %(least)s, here %(n)s of %(cells)s cells. A change checks the replies "
            "received so far again."
        ) % {
            "least": STRAIGHT_LINE_MIN_CELLS,
            "n": straight_line_minimum(cells),
            "cells": cells,
        }
        if isinstance(minimum, forms.IntegerField) and cells >= STRAIGHT_LINE_LOWEST:
            minimum.max_value = cells
            minimum.validators.append(MaxValueValidator(cells))
            minimum.widget.attrs.update(
                min=str(STRAIGHT_LINE_LOWEST),
                max=str(cells),
                placeholder=str(straight_line_minimum(cells)),
            )
        self.fields["bootstrap_samples"].help_text = _(
            "1,000 is the usual minimum, %(max)s the most; 0 turns the intervals and "
            "P(material) off."
        ) % {"max": f"{MAX_BOOTSTRAP_SAMPLES:,}"}

    def _set_choices(
        self, name: str, described: list[tuple[Any, str]], naming: Callable[[Any], str]
    ) -> None:
        field = self.fields[name]
        if isinstance(field, forms.ChoiceField):
            field.choices = [
                (value.value, _choice(naming(value), text)) for value, text in described
            ]

    def _set_initial(self, current: MethodSettings) -> None:
        self.initial.update(
            weighting=current.weighting.value,
            axis_source=current.axis_source.value,
            exclude_straight_lined=current.exclude_straight_lined,
            straight_line_min_cells=current.straight_line_min_cells,
            exclude_too_fast=current.exclude_too_fast,
            too_fast_fraction=fraction_text(current.too_fast_fraction),
            too_fast_seconds_per_cell=current.too_fast_seconds_per_cell,
            threshold_mode=current.threshold_mode.value,
            company_threshold=current.company_threshold,
            stakeholder_threshold=current.stakeholder_threshold,
            confidence=current.confidence,
            bootstrap_samples=current.bootstrap_samples,
        )
        for code, weight in current.weights.items():
            # 1 rather than 1.000, 10 rather than 1E+1
            self.initial[WEIGHT_PREFIX + code] = format(weight.normalize(), "f")

    # --- For the templates --------------------------------------------------------------

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[WEIGHT_PREFIX + group.code] for group in self.groups]

    # --- Checking -------------------------------------------------------------------------

    def clean_too_fast_fraction(self) -> float:
        value = parse_fraction(self.cleaned_data["too_fast_fraction"])
        if not 0 < value <= 1:
            raise forms.ValidationError(_("Enter a share above 0 and at most 1, such as 1/3."))
        return value

    # The rules of a single value are checked field by field, so that every mistake is
    # shown at once; the method's rules over several values follow in clean().
    def clean_confidence(self) -> float:
        value: float = self.cleaned_data["confidence"]
        if not 0 < value < 1:
            raise forms.ValidationError(_("Enter a level between 0 and 1, such as 0.95."))
        return value

    def clean_bootstrap_samples(self) -> int:
        value: int = self.cleaned_data["bootstrap_samples"]
        if not 0 <= value <= MAX_BOOTSTRAP_SAMPLES:
            raise forms.ValidationError(
                _("Enter a whole number from 0 to %(max)s.") % {"max": f"{MAX_BOOTSTRAP_SAMPLES:,}"}
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned  # the method's rules need every value
        try:
            method_options(self.assessment, self.settings())
        except InvalidParams as invalid:
            for problem in invalid.problems:
                self._show(problem)
        return cleaned

    def settings(self) -> MethodSettings:
        data = self.cleaned_data
        return MethodSettings(
            weighting=Weighting(data["weighting"]),
            weights={group.code: data[WEIGHT_PREFIX + group.code] for group in self.groups},
            axis_source=AxisSource(data["axis_source"]),
            exclude_straight_lined=data["exclude_straight_lined"],
            straight_line_min_cells=data.get("straight_line_min_cells"),
            exclude_too_fast=data["exclude_too_fast"],
            too_fast_fraction=data["too_fast_fraction"],
            too_fast_seconds_per_cell=data["too_fast_seconds_per_cell"],
            threshold_mode=ThresholdMode(data["threshold_mode"]),
            company_threshold=data["company_threshold"],
            stakeholder_threshold=data["stakeholder_threshold"],
            confidence=data["confidence"],
            bootstrap_samples=data["bootstrap_samples"],
        )

    def _show(self, problem: Problem) -> None:
        """A problem the method's rules found, beside the field it concerns."""
        scale = {"min": self.assessment.scale_min, "max": self.assessment.scale_max}
        if problem.field == "group_weights":
            if problem.code == "no_positive_weight":
                self.add_error(
                    "weighting",
                    _("Custom weights need a weight above 0 for at least one group."),
                )
                return
            for code in problem.subjects:
                self.add_error(WEIGHT_PREFIX + code, _("A weight cannot be negative."))
            return
        messages = {
            "bootstrap_samples": _("Enter a whole number from 0 to %(max)s.")
            % {"max": f"{MAX_BOOTSTRAP_SAMPLES:,}"},
            "confidence": _("Enter a level between 0 and 1, such as 0.95."),
            "too_fast_fraction": _("Enter a share above 0 and at most 1, such as 1/3."),
            "too_fast_seconds_per_cell": _("Enter a number of seconds from 0 to %(max)s.")
            % {"max": MAX_SECONDS_PER_CELL},
            "company_threshold": _(
                "A fixed threshold is a point on the rating scale, from %(min)s to %(max)s."
            )
            % scale,
            "stakeholder_threshold": _(
                "A fixed threshold is a point on the rating scale, from %(min)s to %(max)s."
            )
            % scale,
        }
        if problem.field in messages and problem.field in self.fields:
            self.add_error(problem.field, messages[problem.field])
        else:  # a setting this form does not show (saved by hand): say which
            self.add_error(
                None,
                _("A saved setting cannot be used: %(problem)s") % {"problem": problem.message},
            )
