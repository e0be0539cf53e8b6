"""Ratings: adding one (append-only, with the rules of ESRS 1 §§45–46 and §51) and
reading the ratings in force.

Which criteria apply depends on the IRO, so the rules are checked here, all at once, and
each refusal says why: a rater learns every mistake in one round.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from materiality.double.methodology import current_methodology
from materiality.double.models import (
    LEVEL_MAX,
    LEVEL_MIN,
    Actuality,
    DmaStatus,
    DoubleAssessment,
    Iro,
    IroKind,
    Polarity,
    Rater,
    RaterRole,
    Rating,
)
from materiality.double.register import iro_ratable

CRITERION_NAMES = {
    "scale": gettext_lazy("scale"),
    "scope": gettext_lazy("scope"),
    "irremediability": gettext_lazy("irremediability"),
    "likelihood": gettext_lazy("likelihood"),
    "magnitude": gettext_lazy("financial magnitude"),
}
IMPACT_CRITERIA = ("scale", "scope", "irremediability")
MAX_AMOUNT = Decimal("9999999999999999.99")  # the column's 18 digits


def rating_errors(
    *, iro: Iro, rater: Rater, values: dict[str, int | None], amount: Decimal | None, rationale: str
) -> list[str]:
    errors: list[str] = []
    if rater.dma_id != iro.dma_id:
        errors.append(_("This rater is not assigned to this assessment."))
    if iro.dma.status != DmaStatus.RATING:
        errors.append(_("Ratings are taken only while the assessment is in its rating step."))
    errors += iro_ratable(iro)
    for name, value in values.items():
        if value is not None and (isinstance(value, bool) or not LEVEL_MIN <= value <= LEVEL_MAX):
            errors.append(
                _("Rate %(criterion)s from %(min)d to %(max)d.")
                % {"criterion": CRITERION_NAMES[name], "min": LEVEL_MIN, "max": LEVEL_MAX}
            )
    if not rationale.strip():
        errors.append(_("Give a rationale for the rating."))
    given = {name for name, value in values.items() if value is not None}
    if iro.kind == IroKind.IMPACT:
        errors += _impact_errors(iro, given, amount)
    else:
        errors += _financial_errors(rater, given, amount)
    return errors


def _impact_errors(iro: Iro, given: set[str], amount: Decimal | None) -> list[str]:
    errors: list[str] = []
    if "magnitude" in given or amount is not None:
        errors.append(
            _(
                "An impact is rated on scale, scope and irremediability, not on a financial "
                "magnitude or amount."
            )
        )
    for name in ("scale", "scope"):
        if name not in given:
            errors.append(_("Rate the %(criterion)s.") % {"criterion": CRITERION_NAMES[name]})
    if iro.polarity == Polarity.POSITIVE and "irremediability" in given:
        errors.append(_("A positive impact takes no irremediability (ESRS 1 §46)."))
    if iro.polarity == Polarity.NEGATIVE and "irremediability" not in given:
        errors.append(_("Rate the irremediability of a negative impact (ESRS 1 §45)."))
    if iro.actuality == Actuality.ACTUAL and "likelihood" in given:
        errors.append(_("An actual impact takes no likelihood: it has happened (ESRS 1 §45)."))
    if iro.actuality == Actuality.POTENTIAL and "likelihood" not in given:
        errors.append(_("Rate the likelihood of a potential impact."))
    return errors


def _financial_errors(rater: Rater, given: set[str], amount: Decimal | None) -> list[str]:
    if rater.role == RaterRole.STAKEHOLDER:
        # Their say is on impacts; financial effects are judged by those who know them.
        return [_("Stakeholder representatives do not rate financial criteria.")]
    errors: list[str] = []
    if given & set(IMPACT_CRITERIA):
        errors.append(
            _("Risks and opportunities take no impact criteria (scale, scope, irremediability).")
        )
    for name in ("magnitude", "likelihood"):
        if name not in given:
            errors.append(_("Rate the %(criterion)s.") % {"criterion": CRITERION_NAMES[name]})
    if amount is not None and not (amount.is_finite() and 0 <= amount <= MAX_AMOUNT):
        errors.append(_("Enter the amount as a number of zero or more."))
    return errors


def _amount(value: Decimal | str | int | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(_("Enter the amount as a number of zero or more.")) from None


@transaction.atomic
def rating_add(
    *,
    iro: Iro,
    rater: Rater,
    rationale: str,
    scale: int | None = None,
    scope: int | None = None,
    irremediability: int | None = None,
    likelihood: int | None = None,
    magnitude: int | None = None,
    amount: Decimal | str | int | None = None,
    actor: Any = None,
) -> Rating:
    """A new rating of `iro` by `rater`; an earlier one stays in the history."""
    values = {
        "scale": scale,
        "scope": scope,
        "irremediability": irremediability,
        "likelihood": likelihood,
        "magnitude": magnitude,
    }
    money = _amount(amount)
    # The step as it stands now, under the DMA's lock: once rating is closed (or the
    # results approved) a rating is refused, however old the caller's `iro` is.
    iro.dma.status = (
        DoubleAssessment.objects.select_for_update()
        .filter(pk=iro.dma_id)
        .values_list("status", flat=True)
        .get()
    )
    errors = rating_errors(iro=iro, rater=rater, values=values, amount=money, rationale=rationale)
    methodology = current_methodology(iro.dma)
    if methodology is None:
        errors.append(_("The methodology has not been frozen: start the rating step first."))
    if errors or methodology is None:
        raise ValidationError(errors)
    return Rating.objects.create(
        iro=iro,
        rater=rater,
        rationale=rationale.strip(),
        amount=money.quantize(Decimal("0.01")) if money is not None else None,
        methodology_version=methodology,
        created_by=actor if getattr(actor, "pk", None) else None,
        **values,
    )


def current_ratings(dma: DoubleAssessment) -> QuerySet[Rating]:
    """The rating in force of every (IRO, rater) pair of `dma`, in one query: the row
    with no later row for the same pair. Rows are only ever added, so the largest id is
    the latest (timestamps of two quick ratings may tie; ids never do)."""
    later = Rating.objects.filter(
        iro=OuterRef("iro"), rater=OuterRef("rater"), pk__gt=OuterRef("pk")
    )
    return (
        Rating.objects.filter(iro__dma=dma)
        .filter(~Exists(later))
        .select_related("iro", "rater", "methodology_version")
        .order_by("iro__reference", "rater__name", "rater_id")
    )


def rating_history(iro: Iro, rater: Rater | None = None) -> QuerySet[Rating]:
    """Every rating of `iro` (by `rater`), newest first."""
    ratings = Rating.objects.filter(iro=iro).select_related("rater", "created_by")
    if rater is not None:
        ratings = ratings.filter(rater=rater)
    return ratings.order_by("-pk")
