"""The shapes of the double materiality API (materiality/api/double.py): what it answers
and what it takes. Every coded attribute goes out as its code and its name in the
reader's language; translated texts as objects keyed by language code."""

from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from materiality.api.fields import StrictCharField, TranslatedTextField
from materiality.double.models import (
    LEVEL_MAX,
    LEVEL_MIN,
    NATURE,
    Actuality,
    Horizon,
    Involvement,
    Iro,
    IroKind,
    IroSource,
    Polarity,
    ValueChainStage,
)
from materiality.double.register import (
    MAX_STAKEHOLDER_CHARS,
    MAX_STAKEHOLDERS,
    TEXT_CHARS,
    TITLE_CHARS,
    iro_ratable,
)
from surveys.plaintext import plain_text

ID_MAX = 2**31 - 1


class DmaCodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


def coded(choices: type[TextChoices], values: list[str]) -> list[dict[str, str]]:
    return [{"code": v, "name": str(choices(v).label)} for v in values if v in choices.values]


# --- Assessments ------------------------------------------------------------------------


class DmaPackSerializer(serializers.Serializer):
    code = serializers.CharField()
    framework = serializers.CharField()
    version = serializers.CharField()
    name = TranslatedTextField(read_only=True)


class DmaMethodologyVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class DmaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = TranslatedTextField(read_only=True)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    frameworks = serializers.CharField()
    frameworks_display = serializers.CharField(source="get_frameworks_display")
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    packs = DmaPackSerializer(many=True, source="packs.all")
    survey_assessment = serializers.IntegerField(source="survey_assessment_id", allow_null=True)
    methodology_versions = DmaMethodologyVersionSerializer(
        many=True, source="methodology_versions.all"
    )
    iro_count = serializers.IntegerField(help_text="IROs in the register.")
    rater_count = serializers.IntegerField(help_text="Raters on the panel (active).")
    rating_count = serializers.IntegerField(help_text="Ratings given, the history included.")
    created_at = serializers.DateTimeField()


# --- The register -----------------------------------------------------------------------


class DmaMatterBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = TranslatedTextField(read_only=True)
    pack = serializers.CharField(source="pack.code", allow_null=True, default=None)
    company_specific = serializers.BooleanField()


class IroSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    matter = DmaMatterBriefSerializer()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    title = TranslatedTextField(read_only=True)
    description = TranslatedTextField(read_only=True)
    polarity = serializers.CharField()
    polarity_display = serializers.CharField(source="get_polarity_display")
    actuality = serializers.CharField()
    actuality_display = serializers.CharField(source="get_actuality_display")
    human_rights = serializers.BooleanField()
    involvement = serializers.CharField()
    involvement_display = serializers.CharField(source="get_involvement_display")
    value_chain = serializers.SerializerMethodField()
    horizons = serializers.SerializerMethodField()
    stakeholders = serializers.SerializerMethodField()
    financial_effect = TranslatedTextField(read_only=True)
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source
    source_display = serializers.CharField(source="get_source_display")
    blockers = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(DmaCodeNameSerializer(many=True))
    def get_value_chain(self, iro: Iro) -> list[dict[str, str]]:
        return coded(ValueChainStage, iro.value_chain)

    @extend_schema_field(DmaCodeNameSerializer(many=True))
    def get_horizons(self, iro: Iro) -> list[dict[str, str]]:
        return coded(Horizon, iro.horizons)

    @extend_schema_field(DmaCodeNameSerializer(many=True))
    def get_stakeholders(self, iro: Iro) -> list[dict[str, str]]:
        # Named by the ESG team as they wrote them; "nature" is a code, named here.
        return [{"code": s, "name": _("Nature") if s == NATURE else s} for s in iro.stakeholders]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_blockers(self, iro: Iro) -> list[str]:
        """Why it cannot be rated yet; empty when it can."""
        return iro_ratable(iro)


class CodeField(serializers.ChoiceField):
    """One of a fixed list of codes. A wrong one is answered with the list, not echoed
    back: what was sent may not even be encodable (a lone surrogate)."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            codes = ", ".join(str(code) for code in self.choice_strings_to_values if code)
            raise serializers.ValidationError(
                _("Choose one of: %(choices)s.") % {"choices": codes}, code="invalid_choice"
            ) from None


class PlainTextField(StrictCharField):
    """Text stored as given, cleaned of control characters and lone surrogates."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        return plain_text(super().to_internal_value(data), multiline=self.multiline).strip()


def _choices(choices: type[TextChoices], **kwargs: Any) -> CodeField:
    return CodeField(choices=choices.choices, **kwargs)


class IroWriteSerializer(serializers.Serializer):
    """What `register.iro_create` takes; on PATCH only the fields sent change."""

    reference = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="Blank or left out: the next free IRO-nnn.",
    )
    matter = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, help_text="The id of one of the assessment's matters."
    )
    kind = _choices(IroKind)
    title = TranslatedTextField(max_length=TITLE_CHARS)
    description = TranslatedTextField(max_length=TEXT_CHARS, multiline=True, required=False)
    polarity = _choices(Polarity, required=False, allow_blank=True, help_text="Impacts only.")
    actuality = _choices(Actuality, required=False, allow_blank=True, help_text="Impacts only.")
    human_rights = serializers.BooleanField(required=False, help_text="Impacts only.")
    involvement = _choices(Involvement, required=False, allow_blank=True, help_text="Impacts only.")
    value_chain = serializers.ListField(
        child=_choices(ValueChainStage), required=False, max_length=len(ValueChainStage.values)
    )
    horizons = serializers.ListField(
        child=_choices(Horizon), required=False, max_length=len(Horizon.values)
    )
    stakeholders = serializers.ListField(
        child=PlainTextField(max_length=MAX_STAKEHOLDER_CHARS),
        required=False,
        max_length=MAX_STAKEHOLDERS,
        help_text='Who is affected, in words; "nature" for the environment.',
    )
    financial_effect = TranslatedTextField(
        max_length=TEXT_CHARS,
        multiline=True,
        required=False,
        help_text="Risks and opportunities only.",
    )
    source = _choices(IroSource)  # type: ignore[assignment]  # a field, not Field.source


# --- Matters ------------------------------------------------------------------------------


class DmaTopicLinkSerializer(serializers.Serializer):
    code = serializers.CharField(source="topic.code")
    name = TranslatedTextField(read_only=True, source="topic.name")
    coverage = serializers.CharField()
    coverage_display = serializers.CharField(source="get_coverage_display")


class DmaMatterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = TranslatedTextField(read_only=True)
    level = serializers.IntegerField()
    level_display = serializers.CharField(source="get_level_display")
    parent = serializers.IntegerField(source="parent_id", allow_null=True)  # type: ignore[assignment]
    parent_code = serializers.CharField(source="parent.code", allow_null=True, default=None)
    reference = serializers.CharField()
    dimension = serializers.CharField()
    dimension_display = serializers.CharField(source="get_dimension_display")
    pack = DmaPackSerializer(allow_null=True)
    company_specific = serializers.BooleanField()
    topics = DmaTopicLinkSerializer(many=True, source="topic_links.all")


# --- Ratings ------------------------------------------------------------------------------


class DmaRaterBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    role_display = serializers.CharField(source="get_role_display")


class DmaIroBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = TranslatedTextField(read_only=True)


class DmaRatingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    iro = DmaIroBriefSerializer()
    rater = DmaRaterBriefSerializer()
    scale = serializers.IntegerField(allow_null=True)
    scope = serializers.IntegerField(allow_null=True)
    irremediability = serializers.IntegerField(allow_null=True)
    likelihood = serializers.IntegerField(allow_null=True)
    magnitude = serializers.IntegerField(allow_null=True)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    rationale = serializers.CharField()
    methodology_version = serializers.IntegerField(source="methodology_version.number")
    created_at = serializers.DateTimeField()


def _level() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=LEVEL_MIN, max_value=LEVEL_MAX
    )


class DmaRatingWriteSerializer(serializers.Serializer):
    """What `ratings.rating_add` takes. Which criteria apply depends on the IRO: an
    impact takes scale and scope, irremediability unless positive, likelihood unless
    actual; a risk or an opportunity takes magnitude and likelihood (and an amount)."""

    scale = _level()
    scope = _level()
    irremediability = _level()
    likelihood = _level()
    magnitude = _level()
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    rationale = PlainTextField(allow_blank=True, multiline=True, max_length=4000)


# --- Results ------------------------------------------------------------------------------


class DmaAxisSerializer(serializers.Serializer):
    score = serializers.CharField(allow_null=True, help_text="A decimal, as a string.")
    interval = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="Low and high, as decimals."
    )
    material = serializers.BooleanField()


class DmaIroResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = TranslatedTextField(read_only=True)
    kind = serializers.CharField()
    kind_display = serializers.CharField()
    score = serializers.CharField(allow_null=True, help_text="A decimal, as a string.")
    interval = serializers.ListField(child=serializers.CharField(), allow_null=True)
    threshold = serializers.CharField(allow_null=True)
    material = serializers.BooleanField(allow_null=True)
    raters = serializers.IntegerField(allow_null=True)
    flags = serializers.ListField(child=serializers.CharField())
    explanation = serializers.ListField(child=serializers.CharField())
    problem = serializers.CharField(help_text="Why it could not be scored; empty when it was.")


class DmaGroupEvidenceSerializer(serializers.Serializer):
    name = serializers.CharField()
    company = serializers.FloatField(allow_null=True)
    stakeholder = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()


class DmaTopicEvidenceSerializer(serializers.Serializer):
    name = serializers.CharField()
    coverage = serializers.CharField()
    company = serializers.FloatField(allow_null=True)
    stakeholder = serializers.FloatField(allow_null=True)
    material = serializers.BooleanField()
    groups = DmaGroupEvidenceSerializer(many=True)


class DmaMatterResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = TranslatedTextField(read_only=True)
    pack = serializers.CharField(allow_null=True)
    parent_code = serializers.CharField(allow_null=True)
    depth = serializers.IntegerField()
    impact = DmaAxisSerializer()
    financial = DmaAxisSerializer()
    material = serializers.BooleanField()
    flags = serializers.ListField(child=serializers.CharField())
    evidence = DmaTopicEvidenceSerializer(many=True)
    iros = DmaIroResultSerializer(many=True)


class DmaResultsSerializer(serializers.Serializer):
    methodology_version = serializers.IntegerField(allow_null=True)
    impact_threshold = serializers.CharField(allow_null=True)
    financial_threshold = serializers.CharField(allow_null=True)
    survey_run = serializers.IntegerField(allow_null=True)
    company_axis = serializers.CharField()
    stakeholder_axis = serializers.CharField()
    problems = serializers.ListField(child=serializers.CharField())
    matters = DmaMatterResultSerializer(many=True)
