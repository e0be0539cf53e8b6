"""The IRO register: adding and changing impacts, risks and opportunities, and whether
one can be rated. `iro_create` and `iro_update` are the only writers of `Iro` (the
form, the spreadsheet import and the demo all come through here)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from materiality.double.company_matters import dma_matters
from materiality.double.events import dma_event_record
from materiality.double.models import (
    NATURE,
    Actuality,
    DmaAction,
    DmaStatus,
    DoubleAssessment,
    Horizon,
    Involvement,
    Iro,
    IroKind,
    IroSource,
    Matter,
    Polarity,
    ValueChainStage,
)

REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
MAX_STAKEHOLDERS = 20
MAX_STAKEHOLDER_CHARS = 120
TITLE_CHARS = 300
TEXT_CHARS = 4000
FROZEN = (DmaStatus.REVIEW, DmaStatus.APPROVED)


@dataclass(frozen=True)
class IroInput:
    matter: Matter
    kind: str
    title: Mapping[str, str]
    source: str
    description: Mapping[str, str] = field(default_factory=dict)
    polarity: str = ""
    actuality: str = ""
    human_rights: bool = False
    value_chain: Sequence[str] = ()
    involvement: str = ""
    horizons: Sequence[str] = ()
    stakeholders: Sequence[str] = ()
    financial_effect: Mapping[str, str] = field(default_factory=dict)
    reference: str = ""  # blank: the next free IRO-nnn


def _texts(value: Mapping[str, str]) -> dict[str, str]:
    return {code: text.strip() for code, text in value.items() if text and text.strip()}


def _ordered(values: Sequence[str], choices: Sequence[str]) -> list[str]:
    """Known codes in the choices' order, each once."""
    return [choice for choice in choices if choice in values]


def iro_errors(dma: DoubleAssessment, data: IroInput) -> list[str]:
    """Every mistake in `data` at once, as messages for the person who entered it."""
    return [message for _field, message in iro_field_errors(dma, data)]


def iro_field_errors(dma: DoubleAssessment, data: IroInput) -> list[tuple[str, str]]:
    """Every mistake in `data` at once, each with the IroInput field it is about ("" for
    the IRO as a whole), so that a form shows it beside that field."""
    errors: list[tuple[str, str]] = []
    if dma.status in FROZEN:
        errors.append(
            ("", _("The register cannot change while the assessment is reviewed or approved."))
        )
    if data.reference and not REFERENCE.match(data.reference):
        errors.append(
            (
                "reference",
                _("A reference is up to 32 letters, digits, dots, hyphens or underscores."),
            )
        )
    if not dma_matters(dma).filter(pk=data.matter.pk).exists():
        errors.append(("matter", _("The matter is not one of this assessment's matters.")))
    title = _texts(data.title)
    if not title:
        errors.append(("title", _("Give the IRO a title.")))
    if any(len(text) > TITLE_CHARS for text in title.values()):
        errors.append(("title", _("Keep the title to %(max)d characters.") % {"max": TITLE_CHARS}))
    for name in ("description", "financial_effect"):
        if any(len(text) > TEXT_CHARS for text in getattr(data, name).values()):
            errors.append((name, _("Keep each text to %(max)d characters.") % {"max": TEXT_CHARS}))
            break
    if data.kind not in IroKind.values:
        errors.append(("kind", _("Choose impact, risk or opportunity.")))
    if data.source not in IroSource.values:
        errors.append(("source", _("Say where the IRO came from.")))
    if set(data.value_chain) - set(ValueChainStage.values):
        errors.append(
            ("value_chain", _("Value-chain stages are upstream, own operations and downstream."))
        )
    if set(data.horizons) - set(Horizon.values):
        errors.append(("horizons", _("Time horizons are short, medium and long term.")))
    errors += [("stakeholders", message) for message in _stakeholder_errors(data.stakeholders)]
    if data.kind == IroKind.IMPACT:
        if data.polarity not in Polarity.values:
            errors.append(("polarity", _("Say whether the impact is negative or positive.")))
        if data.actuality not in Actuality.values:
            errors.append(("actuality", _("Say whether the impact is actual or potential.")))
        if data.involvement and data.involvement not in Involvement.values:
            errors.append(
                ("involvement", _("Involvement is caused, contributed to or directly linked."))
            )
        if _texts(data.financial_effect):
            errors.append(
                (
                    "financial_effect",
                    _("An impact has no financial effect: record it as a risk or opportunity."),
                )
            )
    elif data.kind in IroKind.values and (
        data.polarity or data.actuality or data.involvement or data.human_rights
    ):
        errors.append(
            (
                "kind",
                _(
                    "Risks and opportunities are not negative or positive, actual or "
                    "potential, caused or linked, nor human-rights impacts: those describe "
                    "impacts."
                ),
            )
        )
    return errors


def _stakeholder_errors(stakeholders: Sequence[str]) -> list[str]:
    if len(stakeholders) > MAX_STAKEHOLDERS:
        return [_("Name at most %(max)d affected stakeholders.") % {"max": MAX_STAKEHOLDERS}]
    if any(not isinstance(s, str) or not s.strip() for s in stakeholders):
        return [_("An affected stakeholder cannot be blank.")]
    if any(len(s) > MAX_STAKEHOLDER_CHARS for s in stakeholders):
        return [
            _("Keep each affected stakeholder to %(max)d characters.")
            % {"max": MAX_STAKEHOLDER_CHARS}
        ]
    return []


def _stakeholders(values: Sequence[str]) -> list[str]:
    # "nature" is kept as its code, so it is named in every language.
    cleaned = [NATURE if v.strip().casefold() == NATURE else v.strip() for v in values]
    return list(dict.fromkeys(cleaned))


def _values(data: IroInput) -> dict[str, Any]:
    return {
        "matter": data.matter,
        "kind": data.kind,
        "title": _texts(data.title),
        "description": _texts(data.description),
        "polarity": data.polarity,
        "actuality": data.actuality,
        "human_rights": data.human_rights,
        "value_chain": _ordered(data.value_chain, ValueChainStage.values),
        "involvement": data.involvement,
        "horizons": _ordered(data.horizons, Horizon.values),
        "stakeholders": _stakeholders(data.stakeholders),
        "financial_effect": _texts(data.financial_effect),
        "source": data.source,
    }


def next_reference(dma: DoubleAssessment) -> str:
    taken = set(dma.iros.values_list("reference", flat=True))
    number = len(taken) + 1
    while f"IRO-{number:03d}" in taken:
        number += 1
    return f"IRO-{number:03d}"


@transaction.atomic
def iro_create(*, dma: DoubleAssessment, data: IroInput, actor: Any = None) -> Iro:
    errors = iro_errors(dma, data)
    DoubleAssessment.objects.select_for_update().filter(pk=dma.pk).first()  # references
    if data.reference and dma.iros.filter(reference=data.reference).exists():
        errors.append(
            _("The reference %(reference)s is already used in this assessment.")
            % {"reference": data.reference}
        )
    if errors:
        raise ValidationError(errors)
    iro = Iro.objects.create(
        dma=dma,
        reference=data.reference or next_reference(dma),
        created_by=actor if getattr(actor, "pk", None) else None,
        **_values(data),
    )
    dma_event_record(
        dma=dma, action=DmaAction.IRO_CREATED, actor=actor, details={"iro": iro.reference}
    )
    return iro


@transaction.atomic
def iro_update(*, iro: Iro, data: IroInput, actor: Any = None) -> Iro:
    """Change an IRO in place (its ratings keep pointing at it: the register is the long
    list, rated as it stands). The reference is kept unless a new one is given."""
    errors = iro_errors(iro.dma, data)
    if (
        data.reference
        and data.reference != iro.reference
        and iro.dma.iros.filter(reference=data.reference).exists()
    ):
        errors.append(
            _("The reference %(reference)s is already used in this assessment.")
            % {"reference": data.reference}
        )
    if errors:
        raise ValidationError(errors)
    values = _values(data)
    if data.reference:
        values["reference"] = data.reference
    # What changed goes into the trail by field name, for the outputs' change list.
    changed = [name for name, value in values.items() if getattr(iro, name) != value]
    before = iro.reference
    for name, value in values.items():
        setattr(iro, name, value)
    iro.save()
    if changed:
        dma_event_record(
            dma=iro.dma,
            action=DmaAction.IRO_UPDATED,
            actor=actor,
            details={"iro": before, "fields": changed},
        )
    return iro


def iro_input(iro: Iro, **changes: Any) -> IroInput:
    """The IRO as an input, with `changes`: for an update of a few fields."""
    current = {f.name: getattr(iro, f.name) for f in fields(IroInput)}
    return IroInput(**{**current, **changes})


def iro_ratable(iro: Iro) -> list[str]:
    """Why the IRO cannot be rated yet (empty when it can)."""
    messages: list[str] = []
    if not iro.horizons:
        messages.append(_("An IRO without a time horizon cannot be rated: choose at least one."))
    if not iro.value_chain:
        messages.append(
            _("An IRO without a value-chain stage cannot be rated: choose at least one.")
        )
    if iro.kind == IroKind.IMPACT and (not iro.polarity or not iro.actuality):
        messages.append(_("Say whether the impact is negative or positive, actual or potential."))
    if iro.kind != IroKind.IMPACT and not iro.financial_effect:
        messages.append(
            _("Describe the financial effect of a risk or opportunity before it is rated.")
        )
    return messages
