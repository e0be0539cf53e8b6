"""The methodology and evidence pack: every section, both languages, HTML and PDF."""

from __future__ import annotations

import io
import logging
import random
import re
from datetime import date, datetime
from functools import partial
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import NameObject

from materiality.models import AggregationRun, Assessment, StakeholderGroup, Topic, TopicScore
from materiality.reporting.evidence.contents import TrailEntry
from materiality.reporting.evidence.html import evidence_html
from materiality.reporting.evidence.pack import evidence_pack
from materiality.reporting.evidence.pdf import evidence_pdf
from materiality.reporting.jobs import ExportKind, build_export
from materiality.reporting.wording import EXPORT_WORDS, PACK_WORDS
from materiality.services import assessment_open
from tests.factories import (
    AggregationRunFactory,
    AssessmentFactory,
    add_mixed_replies,
    add_reply,
    random_ratings,
)

# Scored over hand-written replies: the pack's numbers (20 submitted, 2 excluded, an
# answered personal invitation) are theirs.
pytestmark = [pytest.mark.django_db, pytest.mark.scored_run(replies=add_mixed_replies)]

HEADINGS = {
    "en": [
        "How the assessment was done",
        "Topic screening sources",
        "Stakeholder groups and respondents",
        "Rating scale and axes",
        "Weighting, axis source and thresholds",
        "Quality filters",
        "Materiality matrix",
        "Material topics",
        "Change from the previous period",
        "Confirmation trail",
        "Input fingerprint and reproducibility",
    ],
    "zh-hans": [
        "评估流程",
        "议题识别来源",
        "利益相关方群体与受访者",
        "评分量表与评估维度",
        "权重、评分来源与阈值",
        "数据质量筛查",
        "实质性议题矩阵",
        "实质性议题清单",
        "与上一报告期相比的变化",
        "内部确认记录",
        "输入指纹与结果复现",
    ],
}
NOT_CONFIRMED = {"en": "Not yet confirmed", "zh-hans": "尚未确认"}


def text_readable(reader: PdfReader) -> PdfReader:
    """Let pypdf read the text of the pack's CID fonts.

    fpdf2 embeds Noto Sans SC (CFF outlines) as a CIDFontType0 whose /Encoding is an
    embedded CMap of two-byte codes, with a ToUnicode map from those codes to text.
    pypdf (7.1) does not read embedded encoding CMaps and takes the codes for one-byte
    ones, garbling every glyph past the 255th (poppler's pdftotext reads the file
    right). Telling it the codes are two-byte (Identity-H) makes it decode them through
    the font's own ToUnicode map, which is what copying and searching use.
    """
    for page in reader.pages:
        for ref in (page["/Resources"].get("/Font") or {}).values():
            font = ref.get_object()
            if font.get("/Subtype") == "/Type0" and not isinstance(
                font["/Encoding"].get_object(), NameObject
            ):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")
    return reader


def section(html: str, key: str) -> str:
    match = re.search(rf'<section id="{key}">(.*?)</section>', html, re.S)
    assert match, key
    return match.group(1)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_html_pack_has_every_section_in_the_language_asked_for(
    scored_run: AggregationRun, language: str
) -> None:
    html = evidence_html(scored_run, language)
    assert html.startswith("<!doctype html>")
    lang = "zh-Hans" if language == "zh-hans" else "en"
    assert f'<html lang="{lang}">' in html
    for number, heading in enumerate(HEADINGS[language], start=1):
        assert f"<h2>{number}. {heading}</h2>" in html
    other = "en" if language == "zh-hans" else "zh-hans"
    for heading in HEADINGS[other][1:]:
        assert heading not in html
    topics = {t.code: t.get_name(language) for t in Topic.objects.all()}
    screening = section(html, "screening")
    assert topics["data-security-privacy"] in screening
    assert "418" in screening  # its GRI reference
    groups = section(html, "groups")
    for group in StakeholderGroup.objects.all():
        assert group.get_name(language) in groups
    material = section(html, "material_topics")
    for score in TopicScore.objects.filter(run=scored_run, material=True).select_related("topic"):
        assert topics[score.topic.code] in material
    assert "<svg" in section(html, "matrix")
    assert scored_run.fingerprint in section(html, "reproduce")
    assert NOT_CONFIRMED[language] in section(html, "trail")
    # Self-contained: nothing is fetched from anywhere.
    assert "<script" not in html
    assert "<link" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_the_english_pack_states_the_method_and_the_numbers(scored_run: AggregationRun) -> None:
    html = evidence_html(scored_run, "en")
    method = section(html, "method")
    assert "Per respondent" in method
    assert "Every respondent rated both axes" in method
    assert "Relative" in method
    assert "200 bootstrap resamples" in method
    assert "random seed 20211231" in method
    filters = section(html, "filters")
    assert "20 responses submitted, 2 excluded, 18 counted" in filters
    # The rule as the run applied it, the floor per grid cell included (issue #16).
    assert "or below 1 s per grid cell, whichever is higher" in filters
    groups = section(html, "groups")
    # One personal invitation to the regulators, answered: a 100 % response rate.
    assert re.search(
        r"Government and regulators</th><td>External</td>"
        r'<td class="num">1</td><td class="num">3</td><td class="num">100%</td>',
        groups,
    )
    scale = section(html, "scale")
    assert "Very important" in scale
    assert "Importance to the company" in scale
    reproduce = section(html, "reproduce")
    assert "those completed in under" in reproduce
    assert "&quot;bootstrap_samples&quot;: 200" in reproduce  # the JSON, escaped
    change = section(html, "change")
    assert "No previous assessment is linked" in change


def test_the_pack_compares_with_the_previous_period(
    scored_run: AggregationRun, open_assessment: Assessment
) -> None:
    previous = AssessmentFactory(
        title={"zh-hans": "2025 年度实质性评估", "en": "2025 materiality assessment"},
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        topics=list(Topic.objects.exclude(code="climate-change")),
    )
    Assessment.objects.filter(pk=open_assessment.pk).update(previous=previous)
    pack = evidence_pack(scored_run, "en")
    assert "has no computed result" in pack.change_intro
    assessment_open(assessment=previous)
    before = AggregationRunFactory(assessment=previous, replies=partial(add_mixed_replies, seed=99))
    pack = evidence_pack(scored_run, "en")
    assert pack.change_intro.startswith("Compared with 2025 materiality assessment")
    assert f"run {before.pk}" in pack.change_intro
    rows = {row.name: row for row in pack.changes}
    assert len(rows) == 17
    climate = rows["Climate change response"]
    assert climate.status == "New"
    assert climate.previous_rank == "—"
    assert "New topics: Climate change response." in pack.change_notes
    now = TopicScore.objects.get(run=scored_run, topic__code="risk-management")
    then = TopicScore.objects.get(run=before, topic__code="risk-management")
    risk = rows["Risk management"]
    assert (risk.rank, risk.previous_rank) == (str(now.rank), str(then.rank))
    change = then.rank - now.rank
    assert risk.change == (f"{change:+d}" if change else "0")
    html = evidence_html(scored_run, "zh-hans")
    assert "与2025 年度实质性评估" in section(html, "change")
    assert "新增议题：应对气候变化。" in section(html, "change")


def test_the_confirmation_trail_is_listed_when_there_is_one(scored_run: AggregationRun) -> None:
    trail = [
        TrailEntry(timezone.make_aware(datetime(2026, 12, 1, 9, 30)), "esg-member", "Submitted"),
        TrailEntry(
            timezone.make_aware(datetime(2026, 12, 3, 14, 0)),
            "decider",
            "Confirmed",
            "Matches the board's view <b>",
        ),
    ]
    html = evidence_html(scored_run, "en", trail=trail, rationale="Regulators matter most.")
    part = section(html, "trail")
    assert "Not yet confirmed" not in part
    assert "2026-12-03 14:00" in part
    assert "decider" in part
    assert "Matches the board&#x27;s view &lt;b&gt;" in part  # escaped, never markup
    assert "Regulators matter most." in section(html, "method")


PDF_TEXTS = {
    "zh-hans": ["实质性议题清单", "风险管理", "数据安全与隐私保护", "尚未确认", "第 1 页"],
    "en": ["Material topics", "Risk management", "Not yet confirmed", "page 1"],
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pdf_pack_is_real_text_in_both_scripts(
    scored_run: AggregationRun, language: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A group named in Chinese only: the English pack must set it in the CJK font too.
    StakeholderGroup.objects.filter(code="media").update(name={"zh-hans": "媒体"})
    progress: list[int] = []
    with caplog.at_level(logging.WARNING):
        content = evidence_pdf(scored_run, language, progress=progress.append)
    assert content.startswith(b"%PDF-")
    assert not [r for r in caplog.records if "glyph" in r.getMessage()]
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) > 3
    pages = [page.extract_text() for page in text_readable(reader).pages]
    text = "\n".join(pages)
    assert scored_run.fingerprint in text  # on one line, so it can be copied whole
    assert "媒体" in text
    for expected in PDF_TEXTS[language]:
        assert expected in text
    assert f" {len(pages)}" in pages[-1].splitlines()[-1]  # the last page's footer
    fonts = {
        str(ref.get_object()["/BaseFont"])
        for page in reader.pages
        for ref in (page["/Resources"].get("/Font") or {}).values()
    }
    assert any("NotoSansSC" in name for name in fonts)  # embedded, not referenced
    assert len(reader.outline) == 11  # a bookmark per section
    assert progress == sorted(progress)


def test_the_pack_says_when_the_replies_have_changed_since_the_run(
    scored_run: AggregationRun, open_assessment: Assessment
) -> None:
    add_reply(open_assessment, "customers", random_ratings(open_assessment, random.Random(2)))
    pack = evidence_pack(scored_run, "en")
    assert any("have changed since this run" in note for note in pack.group_notes)
    assert pack.reproducibility[-1].value.startswith("not recoverable")
    assert pack.fingerprint == scored_run.fingerprint


def test_the_pack_is_built_into_storage_for_download(scored_run: AggregationRun) -> None:
    built = build_export(ExportKind.EVIDENCE_HTML, scored_run.pk, "zh-hans")
    assert built.filename == f"evidence-run{scored_run.pk}-zh-hans.html"
    assert built.content_type == "text/html; charset=utf-8"
    with default_storage.open(built.path, "rb") as stored:
        assert "实质性议题清单" in stored.read().decode()
    seen: list[int] = []
    pdf = build_export(ExportKind.EVIDENCE_PDF, scored_run.pk, "en", seen.append)
    with default_storage.open(pdf.path, "rb") as stored:
        assert stored.read(5) == b"%PDF-"
    assert seen == sorted(seen)
    assert seen[-1] == 100


def test_a_pack_needs_scores(open_assessment: Assessment) -> None:
    run: Any = AggregationRun.objects.create(assessment=open_assessment, trigger="manual")
    with pytest.raises(ValueError, match="has no scores"):
        evidence_pack(run, "en")


ACRONYMS = {"GRI", "SASB", "SDGs", "SDG", "Nasdaq", "CSV", "XLSX", "PDF", "SVG", "PNG"}


def test_a_key_shared_by_the_exports_and_the_pack_means_one_text() -> None:
    shared = EXPORT_WORDS.keys() & PACK_WORDS.keys()
    assert {key: EXPORT_WORDS[key] for key in shared} == {key: PACK_WORDS[key] for key in shared}


def test_every_text_of_exports_and_pack_has_a_chinese_translation() -> None:
    from django.utils import translation

    for table in (EXPORT_WORDS, PACK_WORDS):
        for message in table.values():
            with translation.override("en"):
                english = str(message)  # a message with a context is lazy
            with translation.override("zh-hans"):
                chinese = translation.gettext(message) if isinstance(message, str) else str(message)
            if english not in ACRONYMS:  # names of standards stay as they are
                assert chinese != english, english
            placeholders = set(re.findall(r"%\((\w+)\)s", english))
            assert set(re.findall(r"%\((\w+)\)s", chinese)) == placeholders, english
