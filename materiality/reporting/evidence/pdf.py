"""The evidence pack as PDF (fpdf2), with the CJK font the matrix uses."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence

from fpdf.enums import XPos, YPos

from materiality.models import (
    AggregationRun,
)
from materiality.plots import matrix_figure, render_figure
from materiality.reporting.evidence.contents import EvidencePack, Fact, Section, TrailEntry
from materiality.reporting.evidence.html import pack_matrix_spec
from materiality.reporting.evidence.pack import evidence_pack
from materiality.reporting.pdf_document import ACCENT, INK, MUTED, RULE, DocumentPdf
from materiality.runs.selectors import scored_run

logger = logging.getLogger(__name__)


def evidence_pdf(
    run: AggregationRun,
    language: str,
    *,
    trail: Sequence[TrailEntry] = (),
    rationale: str = "",
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """The pack as a PDF: the same content as the HTML, laid out for A4."""
    report = progress or (lambda _percent: None)
    pack = evidence_pack(run, language, trail=trail, rationale=rationale)
    report(30)
    png = render_figure(matrix_figure(pack_matrix_spec(scored_run(run), pack)), "png-print")
    report(60)
    return render_evidence_pdf(pack, png)


class _PackPdf(DocumentPdf):
    """The evidence pack: a running footer naming the assessment and the run."""

    def __init__(self, pack: EvidencePack) -> None:
        super().__init__(
            title=pack.title, language=pack.language, lang_tag=pack.html_lang, margin=18
        )
        self.pack = pack
        self.set_subject(pack.assessment_title)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.body, size=7.5)
        self.set_text_color(*MUTED)
        text = self.pack.t["footer"] % {
            "title": self.pack.assessment_title,
            "run": self.pack.run_id,
            "page": self.page_no(),
        }
        self.cell(0, 5, text, align="C")

    # -- building blocks ----------------------------------------------------------------------
    def heading(self, section: Section, *, keep_with: float = 40) -> None:
        """A numbered section heading, moved to a new page unless *keep_with* mm of the
        section's content fit under it."""
        if self.get_y() + 16 + keep_with > self.h - self.b_margin:
            self.add_page()
        self.ln(4)
        text = f"{section.number}. {section.heading}"
        self.start_section(text)
        self.set_font(self.body, self.strong, size=14)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=self.wrap)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)

    def subheading(self, text: str) -> None:
        self.ln(1.5)
        self.set_font(self.body, self.strong, size=10.5)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=self.wrap)

    def facts(self, facts: Sequence[Fact], *, label_width: float = 0.26) -> None:
        self.table_of(
            [],
            [[f.label, f.value] for f in facts],
            [label_width, 1 - label_width],
            first_column_bold=True,
        )


def render_evidence_pdf(pack: EvidencePack, matrix_png: bytes) -> bytes:
    pdf = _PackPdf(pack)
    t = pack.t
    zh = pdf.chinese
    pdf.add_page()
    pdf.set_font(pdf.body, pdf.strong, size=19)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 10, pack.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=pdf.wrap)
    pdf.set_font(pdf.body, size=12)
    pdf.set_text_color(*INK)
    pdf.multi_cell(
        0, 7, f"{pack.assessment_title} · {pack.period}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(2)
    pdf.para(pack.intro)
    pdf.para(pack.generated, size=8.5, muted=True)
    pdf.subheading(t["contents"])
    pdf.bullets([f"{s.number}. {s.heading}" for s in pack.sections])
    section = {s.key: s for s in pack.sections}

    pdf.heading(section["process"])
    pdf.bullets(pack.process)

    pdf.heading(section["screening"])
    pdf.para(pack.t["screening_intro"])
    pdf.para(pack.sources_used)
    columns = len(pack.framework_columns)
    ref_width = 0.62 / max(columns, 1)
    pdf.table_of(
        [t["col_topic"], t["col_dimension"], *pack.framework_columns],
        [[row.name, row.dimension, *row.references] for row in pack.screening],
        [0.24, 0.14, *([ref_width] * columns)],
        size=8,
    )

    pdf.heading(section["groups"])
    pdf.para(t["groups_intro"])
    group_rows = [
        [g.name, g.side, g.invited, g.submitted, g.rate, g.counted]
        for g in [*pack.groups, pack.group_total]
    ]
    pdf.table_of(
        [
            t["col_group"],
            t["col_side"],
            t["col_invited"],
            t["col_submitted"],
            t["col_rate"],
            t["col_counted"],
        ],
        group_rows,
        [0.34, 0.14, 0.13, 0.13, 0.13, 0.13],
        numeric=(2, 3, 4, 5),
    )
    for note in pack.group_notes:
        pdf.para(note, size=8.5, muted=True)

    pdf.heading(section["scale"])
    pdf.para(pack.scale_intro)
    pdf.table_of([t["col_level"], t["col_meaning"]], pack.scale, [0.15, 0.85], numeric=(0,))
    pdf.para(t["dont_know"])
    pdf.para(t["axes_intro"])
    pdf.facts(pack.axes, label_width=0.45)

    pdf.heading(section["method"])
    pdf.facts(pack.method)
    if pack.group_weights:
        pdf.subheading(t["group_weights"])
        pdf.table_of(
            [t["col_group"], t["col_weight"]], pack.group_weights, [0.7, 0.3], numeric=(1,)
        )
    pdf.subheading(t["rationale"])
    pdf.bullets(pack.rationale)
    if pack.team_rationale:
        pdf.para(t["rationale_team"])
        pdf.para(pack.team_rationale)

    pdf.heading(section["filters"])
    pdf.table_of(
        [t["col_check"], t["col_setting"], t["col_excluded"]],
        pack.filters,
        [0.42, 0.42, 0.16],
        numeric=(2,),
    )
    pdf.para(pack.filter_summary)

    image_height = pdf.epw * 6.5 / 8.0  # the matrix figure's aspect ratio
    pdf.heading(section["matrix"], keep_with=image_height)
    pdf.image(
        io.BytesIO(matrix_png), x=pdf.l_margin, w=pdf.epw, h=image_height, alt_text=t["matrix"]
    )
    pdf.ln(2)
    pdf.para(pack.matrix_caption, size=8.5, muted=True)

    pdf.heading(section["material_topics"])
    pdf.para(pack.material_intro)
    if pack.material:
        pdf.table_of(
            [
                t["col_rank"],
                t["col_topic"],
                t["col_dimension"],
                t["col_tier"],
                t["col_p"],
                t["col_company"],
                t["col_stakeholder"],
                t["col_combined"],
            ],
            [
                [
                    str(m.rank),
                    m.name,
                    m.dimension,
                    m.tier,
                    m.p_material,
                    m.company,
                    m.stakeholder,
                    m.combined,
                ]
                for m in pack.material
            ],
            [0.07, 0.33, 0.1, 0.08, 0.11, 0.1, 0.11, 0.1],
            numeric=(0, 4, 5, 6, 7),
        )
    pdf.para(pack.not_material)

    pdf.heading(section["change"])
    pdf.para(pack.change_intro)
    if pack.changes:
        pdf.table_of(
            [
                t["col_topic"],
                t["col_rank"],
                t["col_previous_rank"],
                t["col_change"],
                t["col_material_now_before"],
                t["col_status"],
            ],
            [
                [c.name, c.rank, c.previous_rank, c.change, c.material, c.status]
                for c in pack.changes
            ],
            [0.34, 0.1, 0.12, 0.1, 0.18, 0.16],
            numeric=(1, 2, 3),
        )
    pdf.bullets(pack.change_notes)

    pdf.heading(section["trail"])
    if pack.trail:
        pdf.table_of(
            [t["col_when"], t["col_who"], t["col_action"], t["col_note"]],
            [[e.when, e.who, e.action, e.note] for e in pack.trail],
            [0.22, 0.18, 0.2, 0.4],
        )
    else:
        pdf.subheading(t["not_confirmed"])
        pdf.para(t["not_confirmed_note"])

    pdf.heading(section["reproduce"])
    pdf.subheading(t["fingerprint"])
    # Small enough that the 64 characters stay on one line, so the hash is copied whole.
    pdf.para(pack.fingerprint, size=8.5 if zh else 9, mono=True)
    pdf.para(t["fingerprint_note"], size=8.5, muted=True)
    pdf.facts(pack.reproducibility)
    pdf.subheading(t["how_to_check"])
    pdf.bullets(pack.how_to_check)
    pdf.subheading(t["parameters"])
    pdf.para(pack.parameters, size=7.5, mono=True)

    content = bytes(pdf.output())
    missing = {
        key: glyphs
        for key, font in pdf.fonts.items()
        if (glyphs := getattr(font, "missing_glyphs", None))
    }
    if missing:
        # fpdf2 has logged which characters; say which pack they belong to.
        logger.warning(
            "Evidence pack for run %s (%s) lacks glyphs: %s", pack.run_id, pack.language, missing
        )
    return content
