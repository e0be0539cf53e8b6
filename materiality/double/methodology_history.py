"""The methodology settings in words, for the ESG team and the decision group: what each
setting is called and does, its value as a reader says it, and each frozen version with
what changed from the version before (setting names in words, old → new values).

Reads only: the changes themselves go through `methodology.methodology_set`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from materiality.double.methodology import settings_in_force
from materiality.double.models import DoubleAssessment, MethodologyVersion
from materiality.double.scoring import CombineRule, Settings, SeverityRule

# The settings the page shows, in its order, with their name and plain help.
LABELS: dict[str, StrPromise] = {
    "severity_rule": _("Severity rule"),
    "potential_rule": _("Rule for potential impacts"),
    "financial_rule": _("Financial rule"),
    "likelihoods": _("Likelihood probabilities"),
    "impact_threshold": _("Impact threshold"),
    "financial_threshold": _("Financial threshold"),
    "near_band": _("Band near a threshold"),
    "currency_threshold": _("Currency threshold"),
    "confidence": _("Confidence level"),
    "resamples": _("Bootstrap resamples"),
    "seed": _("Seed of the bootstrap"),
}
HELP: dict[str, StrPromise] = {
    "severity_rule": _(
        "How the severity S of a negative impact is formed from its scale, scope and "
        "irremediability (a positive impact's from scale and scope). The highest criterion "
        "follows ESRS 1 AR 11: any one characteristic can make an impact severe."
    ),
    "potential_rule": _(
        "How the severity S of a potential impact combines with its likelihood p. An actual "
        "impact scores S, and so does a potential negative human-rights impact: its "
        "severity takes precedence over likelihood."
    ),
    "financial_rule": _(
        "How the financial magnitude M of a risk or opportunity combines with its likelihood p."
    ),
    "likelihoods": _(
        "The probability p that each likelihood level from 1 to 5 stands for: decimals "
        "from 0 to 1, rising with the level."
    ),
    "impact_threshold": _(
        "An impact whose score reaches it is material: a score exactly at it counts. On "
        "the 1–5 scale."
    ),
    "financial_threshold": _(
        "A risk or opportunity whose score reaches it is material: a score exactly at it "
        "counts. On the 1–5 scale."
    ),
    "near_band": _(
        "A score this close to its threshold, on either side, needs a documented "
        "judgement before approval (as does one whose interval straddles the threshold)."
    ),
    "currency_threshold": _(
        "Where raters give amounts: a risk or opportunity whose median amount × p reaches "
        "it is material too, whatever its score. Leave it empty for no amount test."
    ),
    "confidence": _(
        "The confidence level of the interval shown under each score, from resampling "
        "the raters (0.95 for 95%)."
    ),
    "resamples": _(
        "How many times the raters are resampled for that interval: more is steadier and "
        "slower; 0 gives no interval."
    ),
    "seed": _("Fixes the resampling, so that the same ratings always give the same interval."),
}
SEVERITY_NAMES: dict[str, StrPromise] = {
    SeverityRule.MEAN: _("mean of the criteria"),
    SeverityRule.MAX: _("highest criterion"),
    SeverityRule.MEAN_MAX: _("average of the mean and the highest criterion"),
}
POTENTIAL_NAMES: dict[str, StrPromise] = {
    CombineRule.PRODUCT: _("multiplied: S × p"),
    CombineRule.CAPPED: _("capped average: min(S, (S + 5p) / 2)"),
}
FINANCIAL_NAMES: dict[str, StrPromise] = {
    CombineRule.PRODUCT: _("multiplied: M × p"),
    CombineRule.CAPPED: _("capped average: min(M, (M + 5p) / 2)"),
}
CHOICES = {
    "severity_rule": SEVERITY_NAMES,
    "potential_rule": POTENTIAL_NAMES,
    "financial_rule": FINANCIAL_NAMES,
}


def value_text(name: str, value: Any, currency: str = "") -> str:
    """A setting's value as the reader says it: rules in words, decimals as typed."""
    if name in CHOICES:
        return str(CHOICES[name].get(str(value), value))
    if name == "likelihoods":
        return " · ".join(f"{level}: {p}" for level, p in sorted(dict(value).items()))
    if name == "currency_threshold":
        if value is None:
            return str(_("none (no amount test)"))
        return f"{Decimal(value):,} {currency}".strip()
    if name == "resamples":
        return f"{value:,}"
    return str(value)


@dataclass(frozen=True)
class SettingLine:
    name: str
    label: str
    value: str
    help: str


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class VersionEntry:
    version: MethodologyVersion
    changes: list[Change]  # from the version before; for version 1, from the defaults
    unreadable: bool = False  # frozen by an older release with other settings


def setting_lines(settings: Settings, currency: str = "") -> list[SettingLine]:
    return [
        SettingLine(
            name, str(label), value_text(name, getattr(settings, name), currency), str(HELP[name])
        )
        for name, label in LABELS.items()
    ]


def changes_between(before: Settings, after: Settings, currency: str = "") -> list[Change]:
    """The settings that differ, in the page's order (compared as numbers: 3 is 3.00)."""
    return [
        Change(
            str(LABELS[spec.name]),
            value_text(spec.name, getattr(before, spec.name), currency),
            value_text(spec.name, getattr(after, spec.name), currency),
        )
        for spec in sorted(fields(Settings), key=lambda spec: list(LABELS).index(spec.name))
        if getattr(before, spec.name) != getattr(after, spec.name)
    ]


def version_history(
    versions: Sequence[MethodologyVersion], currency: str = ""
) -> list[VersionEntry]:
    """Every version, newest first, with what changed from the one before it."""
    entries: list[VersionEntry] = []
    before = Settings()
    for version in sorted(versions, key=lambda v: v.number):
        try:
            after = Settings.from_dict(version.settings)
        except (ValueError, TypeError):
            entries.append(VersionEntry(version, [], unreadable=True))
            continue
        entries.append(VersionEntry(version, changes_between(before, after, currency)))
        before = after
    return entries[::-1]


@dataclass(frozen=True)
class MethodologyPage:
    version: MethodologyVersion | None  # in force; None before rating starts
    settings: Settings
    lines: list[SettingLine]
    history: list[VersionEntry]


def methodology_page(dma: DoubleAssessment) -> MethodologyPage:
    """What the methodology page shows, in two queries (the versions with their authors)."""
    versions = list(dma.methodology_versions.select_related("created_by").order_by("number"))
    version = versions[-1] if versions else None
    settings = settings_in_force(dma, version)
    return MethodologyPage(
        version=version,
        settings=settings,
        lines=setting_lines(settings, dma.currency),
        history=version_history(versions, dma.currency),
    )
