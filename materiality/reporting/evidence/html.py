"""The evidence pack as one self-contained HTML page (the matrix inline as SVG)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from materiality.models import (
    AggregationRun,
)
from materiality.plots import MatrixSpec, matrix_svg
from materiality.reporting.evidence.contents import EvidencePack, TrailEntry
from materiality.reporting.evidence.pack import evidence_pack
from materiality.reporting.matrix_files import MatrixView, matrix_spec
from materiality.reporting.wording import word
from materiality.runs.selectors import scored_run

TEMPLATE = "materiality/evidence/pack.html"


# --- The matrix -----------------------------------------------------------------------------


def pack_matrix_spec(run: AggregationRun, pack: EvidencePack) -> MatrixSpec:
    """The results page's matrix (same points, thresholds and look), with its texts in
    the pack's language."""
    spec = matrix_spec(run, MatrixView(language=pack.language))
    return replace(
        spec,
        title=pack.t["matrix"],
        zone_label=pack.t["matrix_zone"],
        dimension_labels={code: word(code, pack.language) for code in ("E", "S", "G")},
        footnote=pack.t["matrix_footnote"]
        % {
            "title": pack.assessment_title,
            "n": run.responses_counted,
            "run": run.pk,
            "date": timezone.localtime(run.finished_at or run.created_at).date().isoformat(),
        },
    )


# --- HTML -----------------------------------------------------------------------------------


def evidence_html(
    run: AggregationRun,
    language: str,
    *,
    trail: Sequence[TrailEntry] = (),
    rationale: str = "",
) -> str:
    """The pack as one self-contained HTML document (no external files at all)."""
    pack = evidence_pack(run, language, trail=trail, rationale=rationale)
    return render_evidence_html(pack, matrix_svg(pack_matrix_spec(scored_run(run), pack)))


def render_evidence_html(pack: EvidencePack, svg: bytes) -> str:
    text = svg.decode()
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :].lstrip()
    # The SVG is matplotlib's own output, its texts escaped by ElementTree (see
    # materiality.plots.render.add_svg_titles): markup we made, not user input.
    figure: SafeString = mark_safe(text)  # noqa: S308
    return render_to_string(TEMPLATE, {"pack": pack, "matrix_svg": figure})
