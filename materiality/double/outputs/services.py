"""Writing the outputs' report texts: the climate change explanation, the Article 5
process description, the exchange topics' results and the checklist notes.

They are written only once the result is approved (the outputs exist only then) and
stay editable afterwards: they are report text, not the result. Every change is a row
in the DMA's trail, with what changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from materiality.double.events import dma_event_record
from materiality.double.models import (
    DisclosureText,
    DmaAction,
    DmaApproval,
    DmaStatus,
    DoubleAssessment,
    Matter,
    TopicOutcome,
    TopicResult,
)
from materiality.double.models.outputs import TEXT_MAX_LENGTH
from materiality.double.outputs.exchange import exchange_output
from materiality.double.outputs.facts import dma_facts
from materiality.double.outputs.guidance import (
    ARTICLE5_KEY,
    CHECKLIST_PARTS,
    E1_KEY,
    checklist_key,
)
from materiality.double.review import approval_of
from surveys.plaintext import plain_text


@dataclass(frozen=True)
class TopicChoice:
    """The team's result for one exchange topic; outcome "" leaves it to the prefill."""

    matter: Matter
    outcome: str
    reason: str = ""


def _approved(dma: DoubleAssessment) -> DmaApproval:
    approval = approval_of(dma) if dma.status == DmaStatus.APPROVED else None
    if approval is None:
        raise ValidationError(
            _("The outputs are written once the results are approved: approve them first.")
        )
    return approval


def _clean(text: Mapping[str, str]) -> dict[str, str]:
    cleaned = {
        code: plain_text(value, multiline=True).strip()
        for code, value in text.items()
        if isinstance(value, str)
    }
    if any(len(value) > TEXT_MAX_LENGTH for value in cleaned.values()):
        raise ValidationError(
            _("At most %(max)d characters in each language.") % {"max": TEXT_MAX_LENGTH}
        )
    return {code: value for code, value in cleaned.items() if value}


def _save_text(
    dma: DoubleAssessment, key: str, text: dict[str, str], actor: Any
) -> DisclosureText | None:
    current = dma.disclosure_texts.filter(key=key).first()
    if (current.text if current is not None else {}) == text:
        return current  # nothing changed: nothing recorded
    user = actor if getattr(actor, "pk", None) else None
    saved, _created = DisclosureText.objects.update_or_create(
        dma=dma, key=key, defaults={"text": text, "updated_by": user}
    )
    dma_event_record(
        dma=dma,
        action=DmaAction.DISCLOSURE_SAVED,
        actor=actor,
        details={"text": key, "languages": sorted(text), "emptied": not text},
    )
    return saved


@transaction.atomic
def disclosure_save(
    *, dma: DoubleAssessment, key: str, text: Mapping[str, str], actor: Any = None
) -> DisclosureText | None:
    """The climate change explanation or the Article 5 description, in every language."""
    _approved(dma)
    if key not in (E1_KEY, ARTICLE5_KEY):
        raise ValidationError(_("There is no such text in the outputs."))
    return _save_text(dma, key, _clean(text), actor)


@transaction.atomic
def checklist_note_save(
    *,
    dma: DoubleAssessment,
    matter: Matter,
    notes: Mapping[str, str],
    language: str,
    actor: Any = None,
) -> None:
    """A financially material topic's four checklist notes (part -> note), written in
    `language` and shown as written in both."""
    facts = dma_facts(dma, _approved(dma))
    if matter.pk not in {t.pk for t in facts.exchange_topics}:
        raise ValidationError(_("Choose one of the exchange guidelines' topics."))
    parts = {part.code for part in CHECKLIST_PARTS}
    for part, note in notes.items():
        if part not in parts:
            raise ValidationError(_("There is no such part of the checklist."))
        _save_text(dma, checklist_key(matter.code, part), _clean({language: note}), actor)


@transaction.atomic
def topic_results_save(
    *, dma: DoubleAssessment, choices: Sequence[TopicChoice], language: str, actor: Any = None
) -> int:
    """The team's results for the exchange topics; how many changed. Nothing is saved
    when any choice is refused: every refusal is listed at once."""
    approval = _approved(dma)
    output = exchange_output(dma_facts(dma, approval), language)
    rows = {row.matter.pk: row for row in output.topics}
    stored = {r.matter_id: r for r in dma.topic_results.all()}
    errors: list[str] = []
    for choice in choices:
        row = rows.get(choice.matter.pk)
        if row is None:
            errors.append(_("Choose one of the exchange guidelines' topics."))
            continue
        reason = choice.reason.strip()
        if choice.outcome and choice.outcome not in TopicOutcome.values:
            errors.append(_("%(topic)s: choose a result from the list.") % {"topic": row.name})
        elif choice.outcome == TopicOutcome.NOT_APPLICABLE and not reason:
            errors.append(_("%(topic)s: say why it is not applicable.") % {"topic": row.name})
        elif choice.outcome and row.prefill and choice.outcome != row.prefill and not reason:
            errors.append(
                _("%(topic)s: a result that differs from the approved results needs a reason.")
                % {"topic": row.name}
            )
        elif len(reason) > TEXT_MAX_LENGTH:
            errors.append(_("%(topic)s: the reason is too long.") % {"topic": row.name})
    if errors:
        raise ValidationError(errors)
    changed = 0
    user = actor if getattr(actor, "pk", None) else None
    for choice in choices:
        current = stored.get(choice.matter.pk)
        written = _clean({language: choice.reason})
        previous = current.outcome if current is not None else ""
        prefilled = rows[choice.matter.pk].prefill
        if current is None and choice.outcome == prefilled and not written:
            continue  # the prefilled result stands
        if not choice.outcome:
            if current is None:
                continue
            current.delete()
        elif current is not None and current.outcome == choice.outcome:
            if current.get_reason(language) == written.get(language, ""):
                continue
            current.reason = written
            current.updated_by = user
            current.save(update_fields=["reason", "updated_by", "updated_at"])
        else:
            TopicResult.objects.update_or_create(
                dma=dma,
                matter=choice.matter,
                defaults={"outcome": choice.outcome, "reason": written, "updated_by": user},
            )
        changed += 1
        dma_event_record(
            dma=dma,
            action=DmaAction.TOPIC_RESULT_SET,
            actor=actor,
            details={
                "topic": choice.matter.code,
                "result": choice.outcome,
                "previous": previous,
                "reason": written.get(language, ""),
            },
        )
    return changed
