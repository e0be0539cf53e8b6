"""The first mapping of a reply sheet, suggested from its headers and values: topics by
name, axes by word or by question, the respondent's columns by header or by value, the
survey tools' option numbers, and the scale the numbers are on."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from materiality.importing.context import ImportContext, ReplySheet, distinct_values
from materiality.importing.mapping import (
    SIDE_OPTIONS,
    CellColumn,
    ReplyMapping,
    ScaleMapping,
    ScaleMode,
)
from materiality.importing.recognition import (
    COMPANY_WORDS,
    COMPANY_WORDS_ZH,
    DURATION_HEADERS,
    EXTERNAL_VALUES,
    INTERNAL_VALUES,
    REFERENCE_HEADERS,
    REPLY_GROUP_HEADERS,
    SIDE_HEADERS,
    SKIPPED_VALUES,
    STAKEHOLDER_WORDS,
    STAKEHOLDER_WORDS_ZH,
    header_in,
    number_value,
    question_header,
    spaced_text,
    value_key,
    whole_number,
    without_phrase,
)
from materiality.importing.tables import cell_text
from materiality.models import AXES, COMPANY_AXIS, STAKEHOLDER_AXIS


def _topic_in(header: str, context: ImportContext) -> tuple[str, str] | None:
    """The topic a header names, with what is left of the header once its name is taken
    out: the longest topic name or code (any language) found in it."""
    spaced = spaced_text(header)
    best: tuple[int, str, str] | None = None
    for topic in context.topics:
        for name in (*topic.name.values(), topic.code):
            rest = without_phrase(spaced, name)
            strength = len(spaced_text(name).replace(" ", ""))
            if rest is not None and (best is None or strength > best[0]):
                best = (strength, topic.code, rest)
    return None if best is None else (best[1], best[2])


def _axis_in(text: str, context: ImportContext) -> str | None:
    """The axis a header's text names by an axis word or the assessment's axis label, if
    it names exactly one: "importance to the company's stakeholders" is left to the user."""
    spaced = spaced_text(text)
    axis_words = {
        COMPANY_AXIS: (*COMPANY_WORDS, *COMPANY_WORDS_ZH),
        STAKEHOLDER_AXIS: (*STAKEHOLDER_WORDS, *STAKEHOLDER_WORDS_ZH),
    }
    found = {
        axis
        for axis, words in axis_words.items()
        if any(without_phrase(spaced, word) is not None for word in words)
        or any(
            without_phrase(spaced, label) is not None
            for label in context.axis_labels.get(axis, {}).values()
        )
    }
    return found.pop() if len(found) == 1 else None


def _rating_columns(
    sheet: ReplySheet, context: ImportContext, taken: set[int]
) -> dict[tuple[str, str], int]:
    """(topic, axis) → column, from the headers.

    A header names its topic, and its axis by a word or label ("数据安全（对公司的重要性）",
    腾讯问卷's "对公司的重要性—数据安全"), or by its question: 问卷星 heads a matrix row
    "第3题(数据安全)", and every row of question 3 has the axis that one of them names, or
    else, when two questions rate the topics, the first is the company axis and the
    second the stakeholder axis, the order of the questionnaire Materia writes for it."""
    cells: dict[tuple[str, str], int] = {}
    unplaced: dict[int, dict[str, int]] = {}  # question number → topic → column
    question_axes: dict[int, set[str]] = {}
    for index in range(sheet.width):
        if index in taken:
            continue
        number, text = question_header(sheet.headers[index])
        found = _topic_in(text, context)
        if found is None:
            continue
        topic, rest = found
        axis = _axis_in(rest, context)
        if axis is not None:
            cells.setdefault((topic, axis), index)
            if number is not None:
                question_axes.setdefault(number, set()).add(axis)
        elif number is not None:
            unplaced.setdefault(number, {}).setdefault(topic, index)
    by_order = sorted(number for number in unplaced if number not in question_axes)
    for number, topics in unplaced.items():
        named = question_axes.get(number, set())
        if len(named) == 1:
            axis = next(iter(named))
        elif len(by_order) == len(AXES) and number in by_order:
            axis = AXES[by_order.index(number)]
        else:
            continue
        for topic, index in topics.items():
            cells.setdefault((topic, axis), index)
    return cells


def _share_of_values(sheet: ReplySheet, index: int, accepted: Callable[[str], bool]) -> float:
    values = [value_key(cell_text(cells, index)) for _line, cells in sheet.rows[:200]]
    values = [value for value in values if value]
    return sum(map(accepted, values)) / len(values) if values else 0.0


def reply_mapping_suggest(sheet: ReplySheet, context: ImportContext) -> ReplyMapping:
    """A first mapping from the headers (topic names and axis words in Chinese and
    English) and, for the group and side columns, from the values. The user corrects it."""
    columns = range(sheet.width)
    taken: set[int] = set()

    def by_header(names: Sequence[str]) -> int | None:
        # The first name that a column has wins: "Respondent ID" before 问卷星's "序号".
        index = next(
            (
                i
                for name in names
                for i in columns
                if i not in taken and header_in(sheet.headers[i], (name,))
            ),
            None,
        )
        if index is not None:
            taken.add(index)
        return index

    def by_values(accepted: Callable[[str], bool], share: float) -> int | None:
        scores = [(_share_of_values(sheet, i, accepted), i) for i in columns if i not in taken]
        best = max(scores, default=(0.0, 0))
        if best[0] < share:
            return None
        taken.add(best[1])
        return best[1]

    lookup = context.group_lookup()
    group = by_header(REPLY_GROUP_HEADERS)
    if group is None:
        group = by_values(lambda key: key in lookup, 0.5)
    side = by_header(SIDE_HEADERS)
    if side is None:
        side = by_values(lambda key: key in INTERNAL_VALUES or key in EXTERNAL_VALUES, 0.9)
    reference = by_header(REFERENCE_HEADERS)
    duration = by_header(DURATION_HEADERS)
    cells = _rating_columns(sheet, context, taken)
    ordered = tuple(
        CellColumn(topic.code, axis, cells[(topic.code, axis)])
        for topic in context.topics
        for axis in AXES
        if (topic.code, axis) in cells
    )
    numbered = _numbers_options(sheet, group, lookup)
    return ReplyMapping(
        group_column=group,
        side_column=side,
        reference_column=reference,
        duration_column=duration,
        cells=ordered,
        group_options=tuple(g.code for g in context.groups) if numbered else (),
        side_options=SIDE_OPTIONS if _numbers_options(sheet, side, {}) else (),
        scale=_suggest_scale(
            sheet, context, [cell.column for cell in ordered], option_numbers=numbered
        ),
    )


def _numbers_options(sheet: ReplySheet, column: int | None, names: Mapping[str, str]) -> bool:
    """The column holds option numbers, not names: the file was exported "by option
    number" (问卷星 按选项序号, 腾讯问卷's option numbers)."""
    if column is None:
        return False

    def numbered(key: str) -> bool:
        return key not in names and whole_number(key) is not None

    return _share_of_values(sheet, column, numbered) >= 0.9


def with_option_orders(
    mapping: ReplyMapping, sheet: ReplySheet, context: ImportContext
) -> ReplyMapping:
    """The mapping with the option orders of its group and side columns: the orders of
    the questionnaire Materia writes for survey tools (the assessment's groups, then
    internal before external) where a column holds option numbers, else none."""
    lookup = context.group_lookup()
    groups = tuple(g.code for g in context.groups)
    return replace(
        mapping,
        group_options=groups if _numbers_options(sheet, mapping.group_column, lookup) else (),
        side_options=SIDE_OPTIONS if _numbers_options(sheet, mapping.side_column, {}) else (),
    )


def _suggest_scale(
    sheet: ReplySheet, context: ImportContext, columns: Sequence[int], *, option_numbers: bool
) -> ScaleMapping:
    """The assessment's own scale when every number fits it; the survey tools' option
    numbers when the file numbers its options (its group column does, or the only number
    beyond the scale is the option after it, "don't know"); else a linear mapping from
    the range the numbers suggest (a 1–7 or 0–10 scale, say)."""
    numbers = [
        number
        for key, _shown, _count in distinct_values(sheet, columns)
        if key not in SKIPPED_VALUES and (number := number_value(key)) is not None
    ]
    low, high = context.scale_min, context.scale_max
    levels = high - low + 1
    whole = all(n == int(n) for n in numbers)
    options = numbers and whole and all(1 <= n <= levels + 1 for n in numbers)
    if options and (option_numbers or (max(numbers) == levels + 1 and low == 1)):
        return ScaleMapping(ScaleMode.OPTION_NUMBER, 1, levels)
    if not numbers or (whole and all(low <= n <= high for n in numbers)):
        return ScaleMapping(ScaleMode.SAME, low, high)
    seen_low, seen_high = min(numbers), max(numbers)
    source_min = 0 if seen_low < 1 else 1
    source_max = math.ceil(seen_high)
    for common in (5, 7, 10, 100):  # a scale whose top nobody chose is still that scale
        if source_max <= common:
            source_max = common
            break
    return ScaleMapping(ScaleMode.LINEAR, min(source_min, int(seen_low)), source_max)
