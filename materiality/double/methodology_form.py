"""The methodology settings form of a DMA: every setting as typed, checked by the scoring's
own rules (`methodology.settings_field_errors`), so that every mistaken value is shown
at once, beside its field, with the SETTING_RULES message; a note when the change
freezes a new version."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from materiality.double.methodology import NOTE_MAX_LENGTH, settings_field_errors
from materiality.double.methodology_history import (
    FINANCIAL_NAMES,
    HELP,
    LABELS,
    POTENTIAL_NAMES,
    SEVERITY_NAMES,
)
from materiality.double.scoring import Settings
from materiality.double.scoring.criteria import LEVELS

NUMBERS = ("impact_threshold", "financial_threshold", "near_band", "currency_threshold",
           "confidence", "resamples")  # fmt: skip
LIKELIHOOD_FIELDS = [f"likelihood_{level}" for level in LEVELS]


def _typed(text: str) -> str:
    """Full-width digits and points (a Chinese keyboard's) as ASCII, spaces trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _choices(names: dict[str, Any]) -> list[tuple[str, Any]]:
    # Lazy names: the form class is built once, the page is read in either language.
    return list(names.items())


def _number(**attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "decimal", "size": "10", **attrs})


class MethodologyForm(forms.Form):
    """`settings()` gives what was typed, as methodology_set takes it, once valid. Rules
    are text fields with radio buttons, so that a wrong one gets the rule's message."""

    severity_rule = forms.CharField(
        label=LABELS["severity_rule"],
        help_text=HELP["severity_rule"],
        widget=forms.RadioSelect(choices=_choices(SEVERITY_NAMES)),
        required=False,
    )
    potential_rule = forms.CharField(
        label=LABELS["potential_rule"],
        help_text=HELP["potential_rule"],
        widget=forms.RadioSelect(choices=_choices(POTENTIAL_NAMES)),
        required=False,
    )
    financial_rule = forms.CharField(
        label=LABELS["financial_rule"],
        help_text=HELP["financial_rule"],
        widget=forms.RadioSelect(choices=_choices(FINANCIAL_NAMES)),
        required=False,
    )
    impact_threshold = forms.CharField(
        label=LABELS["impact_threshold"], help_text=HELP["impact_threshold"], required=False,
        widget=_number(),
    )  # fmt: skip
    financial_threshold = forms.CharField(
        label=LABELS["financial_threshold"], help_text=HELP["financial_threshold"],
        required=False, widget=_number(),
    )  # fmt: skip
    near_band = forms.CharField(
        label=LABELS["near_band"], help_text=HELP["near_band"], required=False, widget=_number()
    )
    currency_threshold = forms.CharField(
        label=LABELS["currency_threshold"], help_text=HELP["currency_threshold"],
        required=False, widget=_number(size="16"),
    )  # fmt: skip
    confidence = forms.CharField(
        label=LABELS["confidence"], help_text=HELP["confidence"], required=False, widget=_number()
    )
    resamples = forms.CharField(
        label=LABELS["resamples"], help_text=HELP["resamples"], required=False,
        widget=_number(inputmode="numeric"),
    )  # fmt: skip
    note = forms.CharField(
        label=gettext_lazy("What changed, and why"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, data: Any = None, *, settings: Settings, note_required: bool) -> None:
        values = settings.as_dict()
        initial = {name: values[name] for name in ("severity_rule", "potential_rule",
                                                   "financial_rule", *NUMBERS)}  # fmt: skip
        initial["currency_threshold"] = initial["currency_threshold"] or ""
        likelihoods = cast(dict[str, str], values["likelihoods"])
        initial.update({f"likelihood_{level}": p for level, p in likelihoods.items()})
        super().__init__(data, initial=initial)
        for level in LEVELS:
            self.fields[f"likelihood_{level}"] = forms.CharField(
                label=_("Level %(level)d") % {"level": level}, required=False, widget=_number()
            )
        self.note_required = note_required
        if note_required:
            self.fields["note"].label = _("What changed, and why (required)")
            self.fields["note"].help_text = _(
                "Recorded with the new version and listed in the outputs."
            )
        self.likelihood_error = ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        errors = settings_field_errors(self.settings())
        for name, message in errors.items():
            if name == "likelihoods":
                self.likelihood_error = message
                self.add_error(None, message)
                for field in LIKELIHOOD_FIELDS:
                    self.fields[field].widget.attrs.update(
                        {"aria-invalid": "true", "aria-describedby": "likelihoods-error"}
                    )
            elif name in self.fields and name not in self.errors:
                self.add_error(name, message)
        if self.note_required and not _typed(cleaned.get("note", "")):
            self.add_error("note", _("Say what changed and why: a later version needs a note."))
        return cleaned

    def likelihood_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in LIKELIHOOD_FIELDS]

    def settings(self) -> dict[str, Any]:
        """What was typed, as the scoring reads it (mistakes left for its rules to name)."""
        raw = {name: _typed(self.data.get(self.add_prefix(name), "")) for name in self.fields}
        settings: dict[str, Any] = {
            name: raw[name] for name in ("severity_rule", "potential_rule", "financial_rule")
        }
        settings.update({name: raw[name] for name in NUMBERS})
        settings["currency_threshold"] = raw["currency_threshold"].replace(",", "") or None
        resamples = raw["resamples"].replace(",", "")
        settings["resamples"] = int(resamples) if re.fullmatch(r"\d{1,7}", resamples) else resamples
        settings["likelihoods"] = {str(level): raw[f"likelihood_{level}"] for level in LEVELS}
        return settings
