"""The outputs as PDF (fpdf2), A4, fonts embedded: Noto Sans SC for Chinese, DejaVu Sans
for the rest, each the other's fallback glyph by glyph, as the evidence pack does
(`reporting/evidence/pdf.py`)."""

from __future__ import annotations

import io
import logging

from django.utils import translation
from django.utils.formats import date_format
from fpdf.enums import XPos, YPos

from materiality.double.matrix_files import dma_matrix_file
from materiality.double.outputs.selectors import DmaOutputs
from materiality.double.outputs.wording import labels
from materiality.reporting.pdf_document import ACCENT, MUTED, RULE, DocumentPdf

logger = logging.getLogger(__name__)


def matrix_png(outputs: DmaOutputs) -> bytes | None:
    """The double materiality matrix as PNG; None (a placeholder in the document) if it
    cannot be drawn: the document still goes out."""
    try:
        return dma_matrix_file(outputs.dma, fmt="png", language=outputs.language)
    except Exception:
        logger.exception("The DMA matrix could not be drawn for DMA %s", outputs.dma.pk)
        return None


class OutputsPdf(DocumentPdf):
    table_size = 8

    def __init__(self, title: str, language: str) -> None:
        chinese = language.lower().startswith("zh")
        super().__init__(
            title=title, language=language, lang_tag="zh-Hans" if chinese else "en", margin=16
        )
        self.doc_title = title

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(self.body, size=7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, labels()["footer"] % {"title": self.doc_title, "page": self.page_no()},
                  align="C")  # fmt: skip

    def heading(self, text: str, size: float = 13) -> None:
        if self.get_y() + 40 > self.h - self.b_margin:
            self.add_page()
        self.ln(3)
        self.start_section(text)
        self.set_font(self.body, self.strong, size=size)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                        wrapmode=self.wrap)  # fmt: skip
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)


def _figure(value: object) -> str:
    return "—" if value is None else str(value)


def outputs_pdf(outputs: DmaOutputs, document: str) -> bytes:
    """`document` is "esrs" or "exchanges"; the caller checks it is not refused."""
    with translation.override(outputs.language):
        t = labels()
        title = t["esrs_title"] if document == "esrs" else t["exchanges_title"]
        pdf = OutputsPdf(title, outputs.language)
        pdf.add_page()
        pdf.heading(title, size=16)
        pdf.para(outputs.dma.get_name(outputs.language), size=11)
        pdf.para(
            t["approved"]
            % {
                "date": date_format(outputs.approved_at, "Y-m-d"),
                "by": outputs.approved_by or "—",
                "version": outputs.methodology,
            },
            muted=True,
        )
        pdf.heading(t["matrix"])
        png = matrix_png(outputs)
        if png is not None:
            pdf.image(io.BytesIO(png), w=pdf.epw * 0.85)
        else:
            pdf.para(t["matrix_missing"], muted=True)
        if document == "esrs":
            _esrs(pdf, outputs, t)
        else:
            _exchanges(pdf, outputs, t)
        return bytes(pdf.output())


def _esrs(pdf: OutputsPdf, outputs: DmaOutputs, t: dict[str, str]) -> None:
    pdf.heading(t["results"])
    pdf.para(t["results_intro"], muted=True)
    pdf.table_of(
        [t["matter"], t["impact_score"], t["financial_score"], t["computed"], t["final"]],
        [
            [
                "  " * row.depth + row.name,
                _figure(row.impact_score),
                _figure(row.financial_score),
                t["material"] if row.computed else t["not_material"],
                (t["material"] if row.material else t["not_material"])
                + ("\n" + "\n".join(row.notes) if row.notes else ""),
            ]
            for row in outputs.matters
        ],
        (0.34, 0.11, 0.11, 0.14, 0.30),
    )
    pdf.heading(t["sbm3"])
    if not outputs.register:
        pdf.para(t["sbm3_empty"])
    for r in outputs.register:
        pdf.para(f"{r.reference} · {r.title}", size=10)
        facts = [
            (t["kind"], ", ".join(p for p in (r.kind, r.character) if p)),
            (t["matter"], r.matter),
            (t["description"], r.description),
            (t["value_chain"], r.value_chain),
            (t["horizons"], r.horizons),
            (t["stakeholders"], r.stakeholders),
            (t["financial_effect"], r.financial_effect),
            (t["source"], r.source),
            (t["score"], _figure(r.score)),
        ]
        pdf.table_of([], [[k, v] for k, v in facts if v], (0.28, 0.72))
    pdf.heading(t["iro1"])
    for point in outputs.iro1:
        pdf.para(f"§53 ({point.code}) {point.title}", size=10)
        pdf.table_of(
            [],
            [[t["known"], "\n".join(point.known) or "—"], [t["team_adds"], point.team_adds]],
            (0.28, 0.72),
        )
    iro2 = outputs.iro2
    if iro2 is not None:
        pdf.heading(t["iro2"])
        if iro2.matters:
            pdf.table_of(
                [t["matter"], t["framework"]],
                [[m.name, m.framework] for m in iro2.matters],
                (0.6, 0.4),
            )
        else:
            pdf.para(t["iro2_empty"])
        pdf.para(t["e1"], size=10)
        pdf.para(t["e1_material"] if iro2.e1_material else t["e1_not_material"])
        if not iro2.e1_material:
            pdf.para(iro2.e1_explanation)


def _exchanges(pdf: OutputsPdf, outputs: DmaOutputs, t: dict[str, str]) -> None:
    exchange = outputs.exchange
    if exchange is None:
        return
    pdf.heading(t["topics"])
    pdf.table_of(
        [t["topic"], t["article"], t["result"], t["reason"]],
        [[row.name, row.reference, row.outcome_label, row.reason] for row in exchange.topics],
        (0.3, 0.14, 0.24, 0.32),
    )
    pdf.heading(t["article5"])
    if not exchange.article5_written:
        pdf.para(t["article5_draft"], muted=True)
    pdf.para(exchange.article5)
    pdf.heading(t["checklist"])
    material = [row for row in exchange.topics if row.checklist]
    if not material:
        pdf.para(t["checklist_empty"])
    for row in material:
        pdf.para(f"{row.name} ({row.reference})", size=10)
        pdf.table_of(
            [t["part"], t["discloses"], t["note"]],
            [[item.title, item.discloses, item.note or "—"] for item in row.checklist],
            (0.22, 0.43, 0.35),
        )
