"""The double materiality matrix of a DMA as a file: /dma/<pk>/matrix.png|svg|pdf, in
the language asked for (`?lang=zh-hans|en`, default the page's), inline or, with
`?download=1`, as an attachment. For whoever may view the DMA."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from materiality.double.matrix_files import (
    CONTENT_TYPES,
    LANGUAGES,
    dma_matrix_file,
    dma_matrix_file_name,
)
from materiality.double.models import DoubleAssessment
from materiality.views.access import permission_required
from surveys.translations import active_language

VIEW = "double.view_doubleassessment"
TEXT = "text/plain; charset=utf-8"


def matrix_language(request: HttpRequest) -> str | None:
    """The language asked for, else the page's; None for one the matrix is not drawn in."""
    asked = request.GET.get("lang")
    if asked is None or asked == "":
        return "zh-hans" if active_language().lower().startswith("zh") else "en"
    return asked if asked in LANGUAGES else None


@require_safe
@permission_required(VIEW)
def matrix(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    dma = get_object_or_404(DoubleAssessment, pk=pk)
    if fmt not in CONTENT_TYPES:
        return HttpResponseNotFound(
            _("The matrix comes as PNG, SVG or PDF: %(formats)s.")
            % {"formats": ", ".join(f"matrix.{name}" for name in CONTENT_TYPES)},
            content_type=TEXT,
        )
    language = matrix_language(request)
    if language is None:
        return HttpResponseBadRequest(
            _("The matrix is drawn in Chinese (lang=zh-hans) or English (lang=en)."),
            content_type=TEXT,
        )
    content = dma_matrix_file(dma, fmt=fmt, language=language)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    disposition = "attachment" if request.GET.get("download") else "inline"
    name = dma_matrix_file_name(dma, fmt=fmt, language=language)
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    # The figures of an unapproved DMA move with each rating: the browser asks each time.
    patch_cache_control(response, private=True, no_cache=True)
    return response
