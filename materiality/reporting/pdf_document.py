"""The A4 document both PDFs the site writes are built on (the survey's evidence pack,
the DMA outputs): fpdf2 with the fonts embedded, one text face with a fallback for the
other script, and the paragraphs, lists and tables they share."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode, WrapMode, XPos, YPos

from materiality.plots import fonts

DEJAVU = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
INK = (26, 26, 26)
MUTED = (90, 90, 90)
ACCENT = (31, 77, 58)
RULE = (200, 205, 202)
HEADING_FILL = (234, 240, 236)


class DocumentPdf(FPDF):
    """A4 in the reader's language, with the document's title in its metadata."""

    table_size = 8.5  # points, a table's text unless the call says otherwise

    def __init__(self, *, title: str, language: str, lang_tag: str, margin: float) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        found = fonts.cjk_font_path()
        if found is None:
            raise fonts.CJKFontUnavailableError(
                "A PDF needs a CJK font; install the 'pylopdf-fonts-zh-cn' package."
            )
        self.chinese = language.lower().startswith("zh")
        self.add_font("cjk", "", str(found[0]))
        self.add_font("latin", "", str(DEJAVU / "DejaVuSans.ttf"))
        self.add_font("latin", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
        self.add_font("mono", "", str(DEJAVU / "DejaVuSansMono.ttf"))
        # Chinese text is set in Noto Sans SC, whose Latin matches its Han; English text in
        # DejaVu Sans. Either falls back glyph by glyph to the other, so a Chinese name in
        # an English document (or a symbol in a Chinese one) is never a box.
        self.body = "cjk" if self.chinese else "latin"
        self.set_fallback_fonts(["latin" if self.chinese else "cjk"], exact_match=False)
        # Noto Sans SC comes in one weight: Chinese headings stand out by size and colour.
        self.strong = "" if self.chinese else "B"
        self.wrap = WrapMode.CHAR if self.chinese else WrapMode.WORD
        self.set_margins(margin, margin, margin)
        self.set_auto_page_break(auto=True, margin=margin)
        self.set_title(title)
        self.set_author("Materia")
        self.set_creator("Materia")
        self.set_lang(lang_tag)

    def para(
        self, text: str, *, size: float = 9.5, muted: bool = False, mono: bool = False
    ) -> None:
        if not text:
            return
        self.set_font("mono" if mono else self.body, size=size)
        self.set_text_color(*(MUTED if muted else INK))
        self.multi_cell(
            0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=self.wrap
        )
        self.ln(1.5)

    def bullets(self, items: Sequence[str]) -> None:
        self.set_font(self.body, size=9.5)
        self.set_text_color(*INK)
        for item in items:
            self.set_x(self.l_margin)
            self.cell(5, 4.75, "•")
            self.multi_cell(
                0, 4.75, item, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=self.wrap
            )
            self.ln(0.8)
        self.ln(1)

    def table_of(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        size: float | None = None,
        first_column_bold: bool = False,
        numeric: Sequence[int] = (),
    ) -> None:
        """A table that breaks across pages, repeating its heading row; the columns in
        *numeric* are right-aligned."""
        size = size or self.table_size
        self.set_font(self.body, size=size)
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        style = FontFace(
            emphasis=self.strong or None, color=ACCENT, fill_color=HEADING_FILL, size_pt=size
        )
        with self.table(
            col_widths=tuple(widths),
            width=self.epw,
            text_align="LEFT",
            line_height=size * 0.5,
            headings_style=style,
            first_row_as_headings=bool(headings),
            wrapmode=self.wrap,
            padding=(1.2, 1.5),
            cell_fill_mode=TableCellFillMode.NONE,
        ) as table:
            if headings:
                heading_row = table.row()
                for index, text in enumerate(headings):
                    heading_row.cell(text, align="RIGHT" if index in numeric else None)
            for values in rows:
                row = table.row()
                for index, text in enumerate(values):
                    bold = first_column_bold and index == 0 and self.strong
                    row.cell(
                        text,
                        align="RIGHT" if index in numeric else None,
                        style=FontFace(emphasis="B") if bold else None,
                    )
        self.ln(2)
