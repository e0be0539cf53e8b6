"""What the headers and values of another survey tool's export mean: the words and
value sets that recognise groups, sides, references, durations and "don't know"."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from materiality.importing.invitees import GROUP_HEADERS


def value_key(raw: str) -> str:
    """How cell values are compared: full-width forms folded (NFKC), case-folded, inner
    spaces collapsed, typographic apostrophes straightened (U+2019 → ')."""
    text = unicodedata.normalize("NFKC", raw).replace("\u2019", "'").casefold()
    return " ".join(text.split())


DONT_KNOW_VALUES = frozenset(
    value_key(text)
    for text in (
        "N/A",
        "NA",
        "n.a.",
        "-",
        "—",
        "?",
        "Don't know",
        "Dont know",
        "Do not know",
        "Not sure",
        "Unknown",
        "No opinion",
        "不知道",
        "不清楚",
        "不了解",
        "不确定",
        "说不清",
        "无法判断",
        "无意见",
        "DK",  # Materia's own responses export
    )
)
# No answer, which is not "don't know" either: an empty cell, and what survey tools write
# for a question the respondent never saw (问卷星 and 腾讯问卷 export -3 for a question
# skipped by the questionnaire's logic, -2 for one not shown; "(跳过)" and "(空)" in
# their option-text exports).
SKIPPED_VALUES = frozenset(
    value_key(text)
    for text in (
        "",
        "-2",
        "-3",
        "(跳过)",
        "跳过",
        "(空)",
        "(未显示)",
        "未显示",
        "Skipped",
        "Not shown",
    )
)
INTERNAL_VALUES = frozenset(
    value_key(text)
    for text in (
        "internal",
        "inside",
        "in",
        "yes",
        "内部",
        "内",
        "是",
        "Internal (I work for the company)",
        "内部（在公司工作）",
    )
)
EXTERNAL_VALUES = frozenset(
    value_key(text) for text in ("external", "outside", "out", "no", "外部", "外", "否")
)

# Header words that name the two axes. Topic names are taken out of a header before these
# are looked for: "企业管治" (corporate governance) contains "企业" (company).
COMPANY_WORDS = ("company", "companies", "business", "organisation", "organization", "firm")
COMPANY_WORDS_ZH = ("公司", "企业", "业务", "经营")
STAKEHOLDER_WORDS = ("stakeholder", "stakeholders", "you", "your", "yourself")
STAKEHOLDER_WORDS_ZH = ("利益相关方", "相关方", "利益相关者", "您", "你")
REPLY_GROUP_HEADERS = (
    *GROUP_HEADERS,
    "stakeholder type",
    "respondent group",
    "stakeholder category",
    "利益相关方类型",
    "利益相关方类别",
    "您的身份",
    "身份",
    "您属于哪一类利益相关方",
    "Which stakeholder group do you belong to",
)
SIDE_HEADERS = (
    "internal/external",
    "internal or external",
    "side",
    "respondent side",
    "internal",
    "内部/外部",
    "内外部",
    "内部或外部",
    "您是公司内部还是外部的利益相关方",
    "Are you inside or outside the company",
)
REFERENCE_HEADERS = (
    "id",
    "respondent id",
    "respondent",
    "response id",
    "reference",
    "ref",
    "record id",
    "submission id",
    "编号",
    "答卷编号",
    "问卷编号",
    "答卷id",
    "序号",  # 问卷星
    "response",  # Materia's own responses export
)
DURATION_HEADERS = (
    "duration",
    "duration (seconds)",
    "duration in seconds",
    "seconds",
    "time taken",
    "time taken (seconds)",
    "所用时间",
    "答题时长",
    "答题用时",
    "用时",
    "时长",
)
# The first column codes of Materia's own responses export (reporting.response_files),
# whose second row names the columns in words: a file that starts so is read back as
# such, the round trip of an assessment's replies.
MATERIA_EXPORT_CODES = ("response", "group", "group_name", "side")


def is_materia_export(headers: Sequence[str]) -> bool:
    return tuple(cell.strip() for cell in headers[: len(MATERIA_EXPORT_CODES)]) == (
        MATERIA_EXPORT_CODES
    )


# Small words that a header may spell differently ("&" for "and") or leave out.
STOP_WORDS = frozenset({"and", "of", "the", "for", "to", "in", "on", "a", "an"})
NON_WORD = re.compile(r"[\W_]+")


def spaced_text(text: str) -> str:
    """Header text for matching: normalised, punctuation turned into spaces, padded with
    spaces so that " word " finds whole words only."""
    words = NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split()
    return " " + " ".join(words) + " "


def has_cjk(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" for char in text)


def without_phrase(spaced: str, phrase: str) -> str | None:
    """`spaced` with `phrase` taken out if it holds it (as whole words; anywhere for
    Chinese, which has no spaces between words), else None."""
    needle = spaced_text(phrase).strip()
    if not needle:
        return None
    if has_cjk(needle):
        compact = needle.replace(" ", "")
        if compact in spaced:
            return spaced.replace(compact, " ", 1)
        squeezed = spaced.replace(" ", "")
        if compact in squeezed:
            return " " + squeezed.replace(compact, " ", 1) + " "
        return None
    if f" {needle} " in spaced:
        return spaced.replace(f" {needle} ", " ", 1)
    # "Business ethics & anti-corruption" for "Business ethics and anti-corruption".
    words = [word for word in needle.split() if word not in STOP_WORDS]
    if words and all(f" {word} " in spaced for word in words):
        for word in words:
            spaced = spaced.replace(f" {word} ", " ", 1)
        return spaced
    return None


def header_in(header: str, names: Sequence[str]) -> bool:
    """The header is one of the names, once a leading question number is taken off."""
    spaced = spaced_text(question_header(header)[1])
    return any(spaced == spaced_text(name) for name in names)


# A survey tool's column header starts with its question's number: "1、您属于…" and
# "第3题(数据安全)" (问卷星), "3.对公司的重要性—数据安全" (腾讯问卷), "Q3 …".
# Matched after NFKC, which folds full-width stops, colons and brackets into ASCII.
QUESTION_NUMBER = re.compile(r"^\s*(?:第\s*(\d+)\s*题|[Qq]?(\d+)(?=\s*[、.:)(]))\s*[、.:)]?\s*")


def question_header(header: str) -> tuple[int | None, str]:
    """A header's question number, if it starts with one, and the text after it."""
    text = unicodedata.normalize("NFKC", header)
    match = QUESTION_NUMBER.match(text)
    if match is None:
        return None, header
    return int(match.group(1) or match.group(2)), text[match.end() :]


_WHOLE = re.compile(r"[+-]?[0-9]+")


def whole_number(key: str) -> int | None:
    """The integer a value key spells ("3", "+3", "-3"), else None."""
    return int(key) if _WHOLE.fullmatch(key) else None


NUMBER = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)(?:\s*[-–—:：.、)）]?\s*[^\d]*)?$")


def number_value(key: str) -> Fraction | None:
    match = NUMBER.match(key)
    if match is None:
        return None
    return Fraction(Decimal(match.group(1).replace(",", ".")))
