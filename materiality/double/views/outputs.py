"""The outputs page of an approved DMA and its files: ESRS (SBM-3, IRO-1, IRO-2) and the
exchange guidelines (21 topics, Article 5, four-part checklist), previewed on the page,
downloaded as printable HTML, PDF or XLSX in either language. The ESG team writes the
report texts here; a document whose required text is missing is refused (409), with
what is missing and where to write it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from materiality.double.models import DoubleAssessment, Matter, TopicOutcome
from materiality.double.outputs.forms import Article5Form, E1ExplanationForm
from materiality.double.outputs.guidance import ARTICLE5_KEY, CHECKLIST_PARTS, E1_KEY
from materiality.double.outputs.pdf import outputs_pdf
from materiality.double.outputs.selectors import DmaOutputs, dma_outputs, outputs_available
from materiality.double.outputs.services import (
    TopicChoice,
    checklist_note_save,
    disclosure_save,
    topic_results_save,
)
from materiality.double.outputs.xlsx import outputs_xlsx
from materiality.reporting.spreadsheets import XLSX_CONTENT_TYPE
from materiality.views.access import permission_required
from surveys.translations import active_language, requested_language

VIEW = "double.view_doubleassessment"
CHANGE = "double.change_doubleassessment"
DOCUMENTS = ("esrs", "exchanges")
FORMATS = ("html", "pdf", "xlsx")
TEXT_KEYS = {"e1": E1_KEY, "article5": ARTICLE5_KEY}


def _page(pk: int, anchor: str = "") -> HttpResponse:
    url = reverse("double:outputs", args=[pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _missing(outputs: DmaOutputs, document: str) -> list[str]:
    if document == "esrs":
        return outputs.esrs_missing
    return outputs.exchange.missing if outputs.exchange is not None else []


@require_GET
@permission_required(VIEW)
def outputs(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_object_or_404(DoubleAssessment.objects.select_related("survey_assessment"), pk=pk)
    approval = outputs_available(dma)
    context: dict[str, object] = {"dma": dma, "approval": approval}
    if approval is not None:
        built = dma_outputs(dma, approval, active_language())
        keys = (E1_KEY, ARTICLE5_KEY)
        stored = {t.key: t.text for t in dma.disclosure_texts.filter(key__in=keys)}
        context |= {
            "outputs": built,
            "can_change": request.user.has_perm(CHANGE),
            "e1_form": E1ExplanationForm(initial={"text": stored.get(E1_KEY, {})}),
            "article5_form": Article5Form(
                initial={"text": stored.get(ARTICLE5_KEY) or built.article5_drafts}
            ),
            "outcomes": TopicOutcome.choices,
            "languages": [(code, str(name)) for code, name in settings.LANGUAGES],
            "documents": [
                (document, _missing(built, document))
                for document in DOCUMENTS
                if (document == "esrs" and built.iro2 is not None)
                or (document == "exchanges" and built.exchange is not None)
            ],
        }
    return render(request, "double/dma_outputs.html", context)


@require_GET
@permission_required(VIEW)
def outputs_file(request: HttpRequest, pk: int, document: str, fmt: str) -> HttpResponse:
    if document not in DOCUMENTS or fmt not in FORMATS:
        raise Http404
    dma = get_object_or_404(DoubleAssessment.objects.select_related("survey_assessment"), pk=pk)
    language = requested_language(request)
    approval = outputs_available(dma)
    if approval is None:
        return _refused(request, dma, [_("The outputs exist once the results are approved.")])
    built = dma_outputs(dma, approval, language)
    if (document == "esrs" and built.iro2 is None) or (
        document == "exchanges" and built.exchange is None
    ):
        raise Http404
    missing = _missing(built, document)
    if missing:
        return _refused(request, dma, missing, document)
    name = f"dma-{dma.pk}-{document}-{language}.{fmt}"
    if fmt == "html":
        with translation.override(language):
            html = render_to_string(
                "double/dma_outputs_print.html",
                {"outputs": built, "document": document, "language": language},
                request=request,
            )
        return HttpResponse(html, content_type="text/html; charset=utf-8")
    if fmt == "pdf":
        response = HttpResponse(outputs_pdf(built, document), content_type="application/pdf")
    else:
        response = HttpResponse(outputs_xlsx(built, document), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _refused(
    request: HttpRequest, dma: DoubleAssessment, missing: list[str], document: str = ""
) -> HttpResponse:
    anchor = {"esrs": "e1-title", "exchanges": "topics-title"}.get(document, "")
    return render(
        request,
        "double/dma_outputs_refused.html",
        {"dma": dma, "missing": missing, "anchor": anchor, "approved": bool(document)},
        status=409,
    )


@require_POST
@permission_required(CHANGE)
def outputs_text(request: HttpRequest, pk: int, which: str) -> HttpResponse:
    dma = get_object_or_404(DoubleAssessment, pk=pk)
    key = TEXT_KEYS.get(which)
    if key is None:
        raise Http404
    form_class = E1ExplanationForm if which == "e1" else Article5Form
    form = form_class(request.POST)
    anchor = "e1-title" if which == "e1" else "article5-title"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _page(pk, anchor)
    try:
        disclosure_save(dma=dma, key=key, text=form.cleaned_data["text"], actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Saved. The change is in the assessment's trail."))
    return _page(pk, anchor)


@require_POST
@permission_required(CHANGE)
def outputs_topics(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_object_or_404(DoubleAssessment, pk=pk)
    ids = [
        int(name.removeprefix("outcome-"))
        for name in request.POST
        if name.startswith("outcome-") and name.removeprefix("outcome-").isdigit()
    ]
    topics = Matter.objects.in_bulk(ids)
    choices = [
        TopicChoice(
            matter=topics[pk_],
            outcome=request.POST.get(f"outcome-{pk_}", ""),
            reason=request.POST.get(f"reason-{pk_}", ""),
        )
        for pk_ in ids
        if pk_ in topics
    ]
    try:
        changed = topic_results_save(
            dma=dma, choices=choices, language=active_language(), actor=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Topic results saved: %(count)d changed.") % {"count": changed})
    return _page(pk, "topics-title")


@require_POST
@permission_required(CHANGE)
def outputs_checklist(request: HttpRequest, pk: int, matter_id: int) -> HttpResponse:
    dma = get_object_or_404(DoubleAssessment, pk=pk)
    matter = get_object_or_404(Matter, pk=matter_id)
    notes = {
        part.code: request.POST.get(f"note-{part.code}", "")
        for part in CHECKLIST_PARTS
        if f"note-{part.code}" in request.POST
    }
    try:
        checklist_note_save(
            dma=dma, matter=matter, notes=notes, language=active_language(), actor=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Saved. The change is in the assessment's trail."))
    return _page(pk, f"checklist-{matter.pk}")
