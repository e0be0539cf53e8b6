"""The rating form of one IRO: only the criteria that apply to it, each a row of levels
1-5 with the anchored definition of every level, a rationale, an optional amount.

The anchors follow ESRS 1 AR 10 (scale, scope, irremediable character of an impact),
§§45-49 (likelihood; the magnitude of a financial effect) and the bands of the DMA's
currency; raters read the same words in both languages, so their levels mean the same.
The form checks what one field can tell; `ratings.rating_add` checks every rule again
and its refusals are shown above the form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from materiality.double.models import (
    LEVEL_MAX,
    LEVEL_MIN,
    Actuality,
    Iro,
    IroKind,
    Polarity,
)
from materiality.double.ratings import CRITERION_NAMES, MAX_AMOUNT
from materiality.double.scoring import Settings

LEVELS = range(LEVEL_MIN, LEVEL_MAX + 1)


@dataclass(frozen=True)
class Anchor:
    level: int
    name: Promise  # one or two words, e.g. "Moderate"
    definition: Promise


def _anchors(*pairs: tuple[Promise, Promise]) -> tuple[Anchor, ...]:
    return tuple(
        Anchor(level, name, text) for level, (name, text) in zip(LEVELS, pairs, strict=True)
    )


# What a rater weighs under each criterion, and what each level means.
QUESTIONS = {
    "scale": gettext_lazy("How grave is the impact for those affected? (ESRS 1 AR 10 a)"),
    "scope": gettext_lazy("How widespread is it? (ESRS 1 AR 10 b)"),
    "irremediability": gettext_lazy("Could the harm be put right, and how far? (ESRS 1 AR 10 c)"),
    "likelihood": gettext_lazy("How likely is it to happen within the time horizon?"),
    "magnitude": gettext_lazy(
        "How large would the effect be on results, financial position, cash flows or the "
        "cost of capital? (ESRS 1 §49)"
    ),
}
ANCHORS: dict[str, tuple[Anchor, ...]] = {
    "scale": _anchors(
        (gettext_lazy("Negligible"), gettext_lazy("Hardly noticeable for those affected.")),
        (
            gettext_lazy("Minor"),
            gettext_lazy("A small, short-lived effect on well-being or the environment."),
        ),
        (
            gettext_lazy("Moderate"),
            gettext_lazy("A clear effect on health, rights, livelihoods or an ecosystem."),
        ),
        (
            gettext_lazy("Major"),
            gettext_lazy(
                "A serious effect: injury, loss of income, lasting damage to an ecosystem."
            ),
        ),
        (
            gettext_lazy("Critical"),
            gettext_lazy(
                "A grave effect: loss of life, denial of a fundamental right, an "
                "ecosystem destroyed."
            ),
        ),
    ),
    "scope": _anchors(
        (gettext_lazy("Isolated"), gettext_lazy("A few people, or one site.")),
        (gettext_lazy("Limited"), gettext_lazy("A small group of people, or a few sites.")),
        (gettext_lazy("Medium"), gettext_lazy("A large group of people, or one region.")),
        (gettext_lazy("Wide"), gettext_lazy("Many people, or several regions or countries.")),
        (
            gettext_lazy("Pervasive"),
            gettext_lazy("Most of those affected across the value chain, or worldwide."),
        ),
    ),
    "irremediability": _anchors(
        (gettext_lazy("Easily remedied"), gettext_lazy("Put right at once, at little cost.")),
        (gettext_lazy("Remediable"), gettext_lazy("Put right fully within a short time.")),
        (
            gettext_lazy("Remediable with effort"),
            gettext_lazy("Put right fully, with effort, over the medium term."),
        ),
        (
            gettext_lazy("Hard to remedy"),
            gettext_lazy("Put right only in part, or over a long time."),
        ),
        (gettext_lazy("Irreversible"), gettext_lazy("Cannot be put right.")),
    ),
    "likelihood": _anchors(
        (gettext_lazy("Rare"), gettext_lazy("Very unlikely within the horizon.")),
        (gettext_lazy("Unlikely"), gettext_lazy("Could happen, but is not expected.")),
        (gettext_lazy("Possible"), gettext_lazy("As likely as not.")),
        (gettext_lazy("Likely"), gettext_lazy("Expected to happen.")),
        (gettext_lazy("Almost certain"), gettext_lazy("Will happen unless something changes.")),
    ),
    "magnitude": _anchors(
        (
            gettext_lazy("Negligible"),
            gettext_lazy("No noticeable effect on results or financing."),
        ),
        (gettext_lazy("Minor"), gettext_lazy("Absorbed in the ordinary course of business.")),
        (gettext_lazy("Moderate"), gettext_lazy("Noticeable in the year's results or plans.")),
        (gettext_lazy("Major"), gettext_lazy("Changes results, financing or strategy.")),
        (
            gettext_lazy("Critical"),
            gettext_lazy("Threatens the business model or its financing."),
        ),
    ),
}


def criteria_for(iro: Iro) -> tuple[str, ...]:
    """The criteria a rating of `iro` takes, in the order shown (as the scoring's
    `Iro.criteria`): impacts scale, scope, irremediability unless positive (ESRS 1 §46),
    likelihood unless actual (§45); risks and opportunities magnitude and likelihood."""
    if iro.kind != IroKind.IMPACT:
        return ("magnitude", "likelihood")
    names: tuple[str, ...] = ("scale", "scope")
    if iro.polarity != Polarity.POSITIVE:
        names += ("irremediability",)
    if iro.actuality != Actuality.ACTUAL:
        names += ("likelihood",)
    return names


def _amount_text(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def band_texts(bands: Sequence[Any], currency: str) -> dict[int, str]:
    """Each magnitude level's band in the DMA's currency: level k runs from its lower
    bound up to the next level's. Empty when the team has set no bands."""
    try:
        bounds = [Decimal(str(bound)) for bound in bands]
    except InvalidOperation:
        return {}
    if len(bounds) != len(LEVELS):
        return {}
    texts: dict[int, str] = {}
    for level, low in zip(LEVELS, bounds, strict=True):
        if level < LEVEL_MAX:
            texts[level] = _("%(low)s to under %(high)s %(currency)s") % {
                "low": _amount_text(low),
                "high": _amount_text(bounds[level]),
                "currency": currency,
            }
        else:
            texts[level] = _("%(low)s %(currency)s or more") % {
                "low": _amount_text(low),
                "currency": currency,
            }
    return texts


@dataclass(frozen=True)
class CriterionRow:
    """A criterion as the page shows it: its field, question and anchored levels."""

    name: str
    field: forms.BoundField
    question: Promise
    anchors: list[tuple[Anchor, str]]  # each level with its note (a band, a probability)


class RatingForm(forms.Form):
    rationale = forms.CharField(
        label=gettext_lazy("Rationale"),
        help_text=gettext_lazy(
            "Why these levels: the evidence, sources or experience behind them. Required."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages={"required": gettext_lazy("Give a rationale for the rating.")},
    )

    def __init__(
        self,
        *args: Any,
        iro: Iro,
        settings: Settings | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.iro = iro
        self.criteria = criteria_for(iro)
        self.settings = settings
        for name in self.criteria:
            anchors = ANCHORS[name]
            self.fields[name] = forms.TypedChoiceField(
                label=CRITERION_NAMES[name],
                choices=[(a.level, f"{a.level} — {a.name}") for a in anchors],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Rate the %(criterion)s.") % {"criterion": CRITERION_NAMES[name]},
                    "invalid_choice": _("Rate %(criterion)s from %(min)d to %(max)d.")
                    % {"criterion": CRITERION_NAMES[name], "min": LEVEL_MIN, "max": LEVEL_MAX},
                },
            )
        if iro.kind != IroKind.IMPACT:
            self.fields["amount"] = forms.CharField(
                label=_("Amount (%(currency)s, optional)") % {"currency": iro.dma.currency},
                help_text=_(
                    "Your estimate of the financial effect, if you can put a figure on it."
                ),
                required=False,
                max_length=40,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )
        # The rationale last, after the levels it explains.
        self.order_fields([*self.criteria, "amount", "rationale"])

    def clean_rationale(self) -> str:
        text: str = self.cleaned_data["rationale"]
        if not text.strip():
            raise forms.ValidationError(_("Give a rationale for the rating."))
        return text

    def clean_amount(self) -> Decimal | None:
        raw = str(self.cleaned_data.get("amount") or "")
        # Thousands separators as people type them: 1,500,000 · 1 500 000 · 1，500，000.
        text = raw.replace(",", "").replace("，", "").replace(" ", "").replace("\u00a0", "")
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT:
            raise forms.ValidationError(_("Enter the amount as a number of zero or more."))
        return amount

    def rows(self) -> list[CriterionRow]:
        bands = band_texts(self.iro.dma.magnitude_bands, self.iro.dma.currency)
        rows = []
        for name in self.criteria:
            notes: dict[int, str] = {}
            if name == "magnitude":
                notes = bands
            elif name == "likelihood" and self.settings is not None:
                notes = {
                    level: _("p = %(p)s") % {"p": format(p.normalize(), "f")}
                    for level, p in self.settings.likelihoods.items()
                }
            rows.append(
                CriterionRow(
                    name=name,
                    field=self[name],
                    question=QUESTIONS[name],
                    anchors=[(anchor, notes.get(anchor.level, "")) for anchor in ANCHORS[name]],
                )
            )
        return rows

    def values(self) -> dict[str, Any]:
        """What `rating_add` takes, from the cleaned data."""
        data = {name: self.cleaned_data[name] for name in self.criteria}
        if "amount" in self.fields:
            data["amount"] = self.cleaned_data.get("amount")
        return data | {"rationale": self.cleaned_data["rationale"]}
