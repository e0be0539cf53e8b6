"""factory_boy factories for the questionnaire engine's own objects. They import nothing
but `surveys`, so the engine's tests build surveys that know nothing of ESG (the
project's other factories, for users and the ESG vocabulary: tests/factories.py)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import factory
from django.utils import timezone

from surveys.models import (
    Answer,
    Invitation,
    InvitationKind,
    OptionRole,
    Question,
    QuestionKind,
    QuestionOption,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
)
from surveys.services import invitation_create

Option = str | tuple[str, dict[str, str]]  # a code, or a code and its label per language


class SurveyFactory(factory.django.DjangoModelFactory):
    """An open survey in Chinese and English, with no questions yet."""

    class Meta:
        model = Survey

    title = factory.Sequence(
        lambda n: {"zh-hans": f"校园服务调查 {n}", "en": f"Campus services survey {n}"}
    )
    intro = factory.LazyFunction(
        lambda: {
            "zh-hans": "请告诉我们校园服务的情况。",
            "en": "Tell us how the campus services work for you.",
        }
    )
    privacy_notice = factory.LazyFunction(
        lambda: {
            "zh-hans": "您的回答仅以汇总形式使用。",
            "en": "Your answers are used only in aggregate.",
        }
    )
    languages = factory.LazyFunction(lambda: ["zh-hans", "en"])
    status = SurveyStatus.OPEN
    estimated_minutes = 5


class QuestionFactory(factory.django.DjangoModelFactory):
    """A free-text question; the factories below make the kinds that have options."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    survey = factory.SubFactory(SurveyFactory)
    code = factory.Sequence(lambda n: f"question-{n}")
    kind = QuestionKind.TEXT
    text = factory.LazyAttribute(lambda q: {"zh-hans": f"问题 {q.code}", "en": f"Ask {q.code}"})
    order = factory.Sequence(lambda n: (n + 1) * 10)
    page = 1


def _add_options(question: Question, role: str, options: Sequence[Option] | None) -> None:
    for position, option in enumerate(options or (), start=1):
        code, label = option if isinstance(option, tuple) else (option, {"en": option})
        QuestionOption.objects.create(
            question=question, role=role, code=code, label=label, order=position
        )


class GridQuestionFactory(QuestionFactory):
    """A rating grid: `rows=[...]` and `columns=[...]`, each a code or (code, label)."""

    kind = QuestionKind.GRID
    scale_min = 1
    scale_max = 5

    @factory.post_generation
    def rows(self, create: bool, extracted: Sequence[Option] | None, **kwargs: Any) -> None:
        if create:
            _add_options(self, OptionRole.ROW, extracted)

    @factory.post_generation
    def columns(self, create: bool, extracted: Sequence[Option] | None, **kwargs: Any) -> None:
        if create:
            _add_options(self, OptionRole.COLUMN, extracted)


class ChoiceQuestionFactory(QuestionFactory):
    """A single-choice question: `choices=[...]`, each a code or (code, label)."""

    kind = QuestionKind.SINGLE

    @factory.post_generation
    def choices(self, create: bool, extracted: Sequence[Option] | None, **kwargs: Any) -> None:
        if create:
            _add_options(self, OptionRole.CHOICE, extracted)


class InvitationFactory(factory.django.DjangoModelFactory):
    """A link made by the engine's own service, so that it works: `invitation.token` is
    the token the link carries (the database keeps only its digest). A group link by
    default."""

    class Meta:
        model = Invitation

    survey = factory.SubFactory(SurveyFactory)
    kind = InvitationKind.SHARED
    respondent_group = "staff"
    respondent_internal = True

    @classmethod
    def _create(cls, model_class: type[Invitation], *args: Any, **kwargs: Any) -> Invitation:
        issued = invitation_create(**kwargs)
        issued.invitation.token = issued.token  # type: ignore[attr-defined]
        return issued.invitation


class ResponseFactory(factory.django.DjangoModelFactory):
    """A submitted response; its answers: `AnswerFactory(response=...)`."""

    class Meta:
        model = Response

    survey = factory.SubFactory(SurveyFactory)
    resume_hash = factory.LazyFunction(lambda: secrets.token_hex(32))
    status = ResponseStatus.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)
    duration_seconds = 300
    language = "en"
    respondent_group = "staff"
    respondent_internal = True


class AnswerFactory(factory.django.DjangoModelFactory):
    """A free-text answer; for a grid cell pass the grid question, `row_code`,
    `column_code` and `value` (a rating holds no text)."""

    class Meta:
        model = Answer

    response = factory.SubFactory(ResponseFactory)
    question = factory.SubFactory(
        QuestionFactory, survey=factory.SelfAttribute("..response.survey")
    )
    value = None
    text = factory.LazyAttribute(lambda answer: "" if answer.value is not None else "A comment.")
