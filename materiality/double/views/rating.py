"""Rating in the browser: a rater's list of assigned IROs, and one IRO a page.

A rater is a user assigned to the DMA as `Rater.user`; they see and rate only their own
assignments (a stakeholder representative is assigned no risks or opportunities: they
rate no financial criteria). Anyone else gets 404, whatever their role: the page of a
rater's assignments exists only for that rater. Ratings are taken while the DMA is in
its rating step; otherwise the pages are read-only and say why.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from materiality.double.methodology import current_methodology, settings_of
from materiality.double.models import (
    NATURE,
    DmaStatus,
    DoubleAssessment,
    Horizon,
    Iro,
    IroKind,
    Rater,
    RaterRole,
    Rating,
    ValueChainStage,
)
from materiality.double.rating_forms import RatingForm, criteria_for
from materiality.double.ratings import CRITERION_NAMES, rating_add, rating_history
from materiality.double.register import iro_ratable
from materiality.double.scoring import ScoringError, Settings
from surveys.translations import pick


def _rater(request: HttpRequest, pk: int) -> Rater:
    """The signed-in user's place on the DMA's panel, or 404."""
    user_id = request.user.pk
    if user_id is None:  # login_required lets no anonymous visitor through; mypy can't tell
        raise Http404
    rater = Rater.objects.select_related("dma").filter(dma_id=pk, user_id=user_id).first()
    if rater is None:
        raise Http404
    return rater


def assigned_iros(rater: Rater) -> QuerySet[Iro]:
    """The rater's assignments: every IRO of the DMA, risks and opportunities aside for a
    stakeholder representative; with how often and when this rater last rated each."""
    iros = rater.dma.iros.select_related("matter")
    if rater.role == RaterRole.STAKEHOLDER:
        iros = iros.filter(kind=IroKind.IMPACT)
    mine = Q(ratings__rater=rater)
    return iros.annotate(
        my_ratings=Count("ratings", filter=mine), my_last=Max("ratings__created_at", filter=mine)
    ).order_by("reference")


def closed_reason(rater: Rater) -> str:
    """Why this rater cannot rate now ("" when they can)."""
    if rater.dma.status != DmaStatus.RATING:
        return _("Ratings are taken only while the assessment is in its rating step.")
    if not getattr(rater, "active", True):
        return _("You have been taken off this assessment's panel: your ratings are kept.")
    return ""


@login_required
def rating_list(request: HttpRequest, pk: int) -> HttpResponse:
    rater = _rater(request, pk)
    iros = list(assigned_iros(rater))
    done = len([iro for iro in iros if iro.my_ratings])  # type: ignore[attr-defined]
    return render(
        request,
        "double/dma_rating_list.html",
        {
            "dma": rater.dma,
            "rater": rater,
            "iros": iros,
            "done": done,
            "total": len(iros),
            "closed": closed_reason(rater),
        },
    )


def iro_facts(iro: Iro) -> list[tuple[str, str]]:
    """The IRO's attributes as readable lines (label, text), the empty ones left out."""

    def labels(choices: type[ValueChainStage] | type[Horizon], values: list[str]) -> str:
        return ", ".join(str(choices(v).label) for v in values if v in choices.values)

    facts = [
        (_("Kind"), iro.get_kind_display()),
        (_("Matter"), iro.matter.get_name()),
    ]
    if iro.kind == IroKind.IMPACT:
        facts += [
            (_("Negative or positive"), iro.get_polarity_display()),
            (_("Actual or potential"), iro.get_actuality_display()),
            (_("Human rights"), _("yes") if iro.human_rights else _("no")),
            (_("Involvement"), iro.get_involvement_display()),
        ]
    stakeholders = [str(_("Nature")) if s == NATURE else s for s in iro.stakeholders]
    facts += [
        (_("Value-chain stages"), labels(ValueChainStage, iro.value_chain)),
        (_("Time horizons"), labels(Horizon, iro.horizons)),
        (_("Affected stakeholders"), ", ".join(stakeholders)),
        (_("Financial effect"), pick(iro.financial_effect)),
        (_("Source"), iro.get_source_display()),
    ]
    return [(str(label), str(text)) for label, text in facts if text]


@dataclass(frozen=True)
class Change:
    """One rating in the rater's history, and what it changed from the one before."""

    rating: Rating
    first: bool
    changes: list[str]  # "likelihood from 2 to 3", worded

    @property
    def levels(self) -> list[tuple[str, str]]:
        """What was given: each criterion rated (and the amount) with its value."""
        given = [
            (str(label), str(getattr(self.rating, name)))
            for name, label in CRITERION_NAMES.items()
            if getattr(self.rating, name) is not None
        ]
        if self.rating.amount is not None:
            given.append((_("amount"), f"{self.rating.amount:,}"))
        return given


def history(iro: Iro, rater: Rater) -> list[Change]:
    """The rater's ratings of `iro`, newest first, each with what it changed (one query)."""
    ratings = list(rating_history(iro, rater))[::-1]  # oldest first, to compare in order
    entries: list[Change] = []
    before: Rating | None = None
    for rating in ratings:
        changes = []
        for name in ("scale", "scope", "irremediability", "likelihood", "magnitude", "amount"):
            old, new = getattr(before, name, None), getattr(rating, name)
            if before is not None and old != new:
                label = CRITERION_NAMES.get(name, _("amount"))
                changes.append(
                    _("%(criterion)s from %(old)s to %(new)s")
                    % {"criterion": label, "old": _shown(old), "new": _shown(new)}
                )
        entries.append(Change(rating, before is None, changes))
        before = rating
    return entries[::-1]


def _shown(value: object) -> str:
    return "—" if value is None else str(value)


def _settings(dma: DoubleAssessment) -> Settings | None:
    version = current_methodology(dma)
    if version is None:
        return None
    try:
        return settings_of(version)
    except (ScoringError, TypeError):
        return None  # the page still works; only the p of each level is not shown


def _next_iro(rater: Rater, after: Iro) -> Iro | None:
    """The next assignment this rater has not rated, after `after` in reference order,
    then from the start."""
    unrated = [iro for iro in assigned_iros(rater) if not iro.my_ratings]  # type: ignore[attr-defined]
    later = [iro for iro in unrated if iro.reference > after.reference and iro.pk != after.pk]
    candidates = later or unrated
    return candidates[0] if candidates else None


@login_required
def rating_iro(request: HttpRequest, pk: int, iro_id: int) -> HttpResponse:
    rater = _rater(request, pk)
    iro = get_object_or_404(assigned_iros(rater), pk=iro_id)
    iro.dma = rater.dma  # the form and the service read the DMA's status and currency
    closed = closed_reason(rater)
    blockers = iro_ratable(iro)
    latest = rating_history(iro, rater).first()
    initial = {}
    if latest is not None:  # a change of mind starts from the levels in force
        initial = {name: getattr(latest, name) for name in criteria_for(iro)}
        if latest.amount is not None:
            initial["amount"] = latest.amount
    form = RatingForm(
        request.POST if request.method == "POST" else None,
        iro=iro,
        settings=_settings(rater.dma),
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if closed or blockers:
            status = 409  # nothing stored: the page says why
        elif form.is_valid():
            try:
                rating_add(iro=iro, rater=rater, actor=request.user, **form.values())
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    request, _("Your rating of %(iro)s is saved.") % {"iro": iro.reference}
                )
                following = _next_iro(rater, iro)
                if following is None:
                    return redirect("double:rate", pk=pk)
                return redirect("double:rate-iro", pk=pk, iro_id=following.pk)
        if form.errors:
            status = 400
    return render(
        request,
        "double/dma_rating_iro.html",
        {
            "dma": rater.dma,
            "rater": rater,
            "iro": iro,
            "description": pick(iro.description),
            "facts": iro_facts(iro),
            "form": form,
            "rows": form.rows(),
            "closed": closed,
            "blockers": blockers,
            "history": history(iro, rater),
        },
        status=status,
    )
