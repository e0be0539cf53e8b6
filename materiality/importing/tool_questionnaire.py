"""The questionnaire as a text file that 问卷星 and 腾讯问卷 import as a new survey.

Teams that collect replies with those tools build the survey from this file, so that
their export maps back onto the assessment with no hand work: the same questions in the
same order, the topics by their names, and the options in the order the importer
assumes for a file that numbers them (`suggesting.with_option_orders`): the groups in the
assessment's order, internal before external, the scale's levels from the lowest, and
"don't know" as the option after the highest (`ScaleMode.OPTION_NUMBER`).

The layout is the numbered one of 问卷星's text import: a title line, then each question
as "N. text[type]" followed by its options one per line; a matrix question's first line
lists its columns separated by spaces, and each further line is a row.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from materiality.importing.context import ImportContext
from materiality.importing.mapping import SIDE_OPTIONS
from materiality.models import AXES, Assessment
from materiality.questionnaire import (
    GROUP_QUESTION,
    IMPORTANCE_QUESTION,
    OVERALL_COMMENT_QUESTION,
    SIDE_QUESTION,
    questionnaire_specs,
)
from surveys.translations import pick

# The question types as 问卷星's text import names them; the type names are the tool's
# syntax, so they stay in Chinese whatever the questionnaire's language.
SINGLE_CHOICE = "[单选题]"
MATRIX_SCALE = "[矩阵量表题]"
TEXT_ANSWER = "[填空题]"


def _one_word(label: str) -> str:
    """A matrix column label without plain spaces (the line separates columns by them):
    "Very important" keeps a no-break space, which the importer reads as a space."""
    return "\u00a0".join(label.split())


def tool_questionnaire_text(assessment: Assessment, context: ImportContext, language: str) -> str:
    """The questionnaire in `language`, in the text layout survey tools import."""
    with translation.override(language):
        return "\n".join(_lines(assessment, context, language)) + "\n"


def _lines(assessment: Assessment, context: ImportContext, language: str) -> list[str]:
    # The question texts are those of Materia's own questionnaire, so that the tools'
    # headers ("1、您属于哪一类利益相关方？") are recognised like Materia's own.
    specs = {
        spec.code: spec
        for spec in questionnaire_specs(
            topics=[],
            groups=[],
            scale_min=context.scale_min,
            scale_max=context.scale_max,
            scale_labels={},
            company_axis={},
            stakeholder_axis={},
        )
    }
    group_question, side_question = specs[GROUP_QUESTION], specs[SIDE_QUESTION]
    grid, overall = specs[IMPORTANCE_QUESTION], specs[OVERALL_COMMENT_QUESTION]
    sides = dict(zip(SIDE_OPTIONS, side_question.choices, strict=True))
    levels = [
        pick(context.scale_labels.get(str(level)), language) or str(level)
        for level in range(context.scale_min, context.scale_max + 1)
    ]
    columns = " ".join(
        _one_word(label) for label in [*levels, pgettext("survey-tool option", "Don't know")]
    )
    lines = [pick(assessment.survey.title, language), ""]
    number = 0

    def question(text: str, kind: str) -> None:
        nonlocal number
        number += 1
        lines.append(f"{number}. {text}{kind}")

    question(pick(group_question.text, language), SINGLE_CHOICE)
    lines += [pick(group.name, language) or group.code for group in context.groups]
    lines.append("")
    question(pick(side_question.text, language), SINGLE_CHOICE)
    lines += [pick(sides[side].label, language) for side in SIDE_OPTIONS]
    for axis in AXES:
        lines.append("")
        # The axis in the question's text: 腾讯问卷 heads a row "question—row", and the
        # importer finds the axis there; 问卷星's "第3题(row)" gives it by the order.
        text = _("%(axis)s: %(question)s") % {
            "axis": context.axis_label(axis),
            "question": pick(grid.text, language),
        }
        question(text, MATRIX_SCALE)
        lines.append(columns)
        lines += [pick(topic.name, language) or topic.code for topic in context.topics]
    lines.append("")
    question(pick(overall.text, language), TEXT_ANSWER)
    return lines
