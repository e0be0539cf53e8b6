"""What the assessment endpoints read and write: an assessment with its topics, groups,
state and progress; its method settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from materiality.api.fields import TranslatedTextField
from materiality.forms import assessment_date_errors
from materiality.models import Assessment, StakeholderGroup, Topic
from materiality.runs.options import MAX_SECONDS_PER_CELL
from materiality.scoring import MAX_BOOTSTRAP_SAMPLES, AxisSource, ThresholdMode, Weighting
from materiality.services import AssessmentInput
from surveys.models import Availability, SurveyStatus

# --- Reading ---------------------------------------------------------------------------


class TopicRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TranslatedTextField()


class AssessmentGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TranslatedTextField()
    internal = serializers.BooleanField()
    weight = serializers.DecimalField(max_digits=6, decimal_places=3)


class GroupProgressSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The group's code; empty for open-link replies.")
    name = serializers.CharField(help_text="In the language of Accept-Language.")
    internal = serializers.BooleanField(allow_null=True)
    invited = serializers.IntegerField(help_text="Personal invitations.")
    started = serializers.IntegerField()
    completed = serializers.IntegerField()
    percent = serializers.IntegerField(
        allow_null=True, help_text="Completed of invited; null without personal invitations."
    )


class ProgressSerializer(serializers.Serializer):
    groups = GroupProgressSerializer(many=True)
    started = serializers.IntegerField()
    completed = serializers.IntegerField()
    invited = serializers.IntegerField()
    invitations_sent = serializers.IntegerField()


class AssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = TranslatedTextField(source="survey.title")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    status = serializers.ChoiceField(
        choices=SurveyStatus.choices, source="survey.status", help_text="draft, open or closed."
    )
    availability = serializers.ChoiceField(
        choices=[(a.value, a.value) for a in Availability],
        help_text="Whether respondents can answer now, given the status and the dates.",
    )
    editable = serializers.BooleanField(
        help_text="A draft: its topics, groups and wording can still change."
    )
    languages = serializers.ListField(child=serializers.CharField(), source="survey.languages")
    opens_at = serializers.DateTimeField(source="survey.opens_at", allow_null=True)
    closes_at = serializers.DateTimeField(source="survey.closes_at", allow_null=True)
    estimated_minutes = serializers.IntegerField(source="survey.estimated_minutes")
    scale_min = serializers.IntegerField()
    scale_max = serializers.IntegerField()
    previous = serializers.IntegerField(source="previous_id", allow_null=True)
    published_run = serializers.IntegerField(
        source="published_run_id", allow_null=True, help_text="The confirmed run, if any."
    )
    topics = TopicRefSerializer(many=True)
    groups = AssessmentGroupSerializer(many=True)
    created_at = serializers.DateTimeField()


class AssessmentDetailSerializer(AssessmentSerializer):
    progress = ProgressSerializer(help_text="Replies per group, as the assessment page shows.")


def assessment_data(assessment: Assessment) -> dict[str, Any]:
    """The assessment as AssessmentSerializer reads it, from rows already fetched (the
    list prefetches the topic and group rows)."""
    survey = assessment.survey
    return {
        "id": assessment.pk,
        "survey": survey,
        "period_start": assessment.period_start,
        "period_end": assessment.period_end,
        "availability": survey.availability().value,
        "editable": survey.status == SurveyStatus.DRAFT,
        "scale_min": assessment.scale_min,
        "scale_max": assessment.scale_max,
        "previous_id": assessment.previous_id,
        "published_run_id": assessment.published_run_id,
        "created_at": assessment.created_at,
        "topics": [
            {"code": row.topic.code, "name": row.topic.name}
            for row in assessment.assessmenttopic_set.all()
        ],
        "groups": [
            {
                "code": row.group.code,
                "name": row.group.name,
                "internal": row.group.internal,
                "weight": row.weight,
            }
            for row in assessment.assessmentgroup_set.all()
        ],
    }


# --- Writing ---------------------------------------------------------------------------


class AssessmentWriteSerializer(serializers.Serializer):
    """The assessment form's fields and rules (materiality.forms.AssessmentForm), with
    topics and groups by code."""

    title = TranslatedTextField(max_length=200)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    languages = serializers.MultipleChoiceField(
        choices=settings.LANGUAGES, allow_empty=False, help_text="Offered to respondents."
    )
    topics = serializers.SlugRelatedField(
        many=True,
        allow_empty=False,
        slug_field="code",
        queryset=Topic.objects.active(),
        help_text="Codes of active topics (see /api/topics/).",
    )
    groups = serializers.SlugRelatedField(
        many=True,
        allow_empty=False,
        slug_field="code",
        queryset=StakeholderGroup.objects.active(),
        help_text="Codes of active stakeholder groups (see /api/stakeholder-groups/).",
    )
    opens_at = serializers.DateTimeField(required=False, allow_null=True)
    closes_at = serializers.DateTimeField(required=False, allow_null=True)
    estimated_minutes = serializers.IntegerField(min_value=1, max_value=120, default=10)
    previous = serializers.PrimaryKeyRelatedField(
        queryset=Assessment.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the previous assessment, for year-over-year comparison.",
    )

    def validate_title(self, value: dict[str, str]) -> dict[str, str]:
        if not value.get(settings.LANGUAGE_CODE):
            raise serializers.ValidationError(
                _("Enter the text in %(language)s, the site's default language.")
                % {"language": dict(settings.LANGUAGES)[settings.LANGUAGE_CODE]},
                code="required",
            )
        return value

    def validate_previous(self, value: Assessment | None) -> Assessment | None:
        if value is not None and self.instance is not None and value.pk == self.instance.pk:
            raise serializers.ValidationError(
                _("An assessment cannot be its own previous assessment."), code="invalid"
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        merged = {**self.current_values(), **attrs}
        errors = assessment_date_errors(merged)
        if errors:
            raise serializers.ValidationError(errors, code="invalid")
        return merged

    def current_values(self) -> dict[str, Any]:
        """What a partial update leaves as it is."""
        assessment = self.instance
        if assessment is None:
            return {}
        survey = assessment.survey
        return {
            "title": survey.title,
            "period_start": assessment.period_start,
            "period_end": assessment.period_end,
            "languages": survey.languages,
            "topics": list(assessment.topics.order_by("assessmenttopic__order")),
            "groups": list(assessment.groups.order_by("assessmentgroup__order")),
            "opens_at": survey.opens_at,
            "closes_at": survey.closes_at,
            "estimated_minutes": survey.estimated_minutes,
            "previous": assessment.previous,
        }

    def to_input(self) -> AssessmentInput:
        """As the form's `to_input`: languages and topics in the site's order, groups in
        the order given; an edit keeps the scale and axis labels it had."""
        data = self.validated_data
        topic_order = {pk: i for i, pk in enumerate(Topic.objects.values_list("pk", flat=True))}
        kept: dict[str, Any] = {}
        if self.instance is not None:
            assessment = self.instance
            kept = {
                "scale_min": assessment.scale_min,
                "scale_max": assessment.scale_max,
                "scale_labels": assessment.scale_labels,
                "company_axis_label": assessment.company_axis_label,
                "stakeholder_axis_label": assessment.stakeholder_axis_label,
            }
        return AssessmentInput(
            title=data["title"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            languages=[code for code, _name in settings.LANGUAGES if code in data["languages"]],
            topics=sorted(data["topics"], key=lambda t: topic_order[t.pk]),
            groups=list(dict.fromkeys(data["groups"])),
            opens_at=data.get("opens_at"),
            closes_at=data.get("closes_at"),
            estimated_minutes=data["estimated_minutes"],
            previous=data.get("previous"),
            **kept,
        )


# --- Method settings -----------------------------------------------------------------


class GroupWeightSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(read_only=True, help_text="In the language of Accept-Language.")
    weight = serializers.DecimalField(max_digits=6, decimal_places=3, coerce_to_string=False)


class MethodSettingsSerializer(serializers.Serializer):
    """An assessment's method settings (docs/methodology.md). Every field is needed on
    PUT; `weights` names every group of the assessment."""

    weighting = serializers.ChoiceField(choices=[(w.value, w.value) for w in Weighting])
    weights = GroupWeightSerializer(
        many=True, help_text="Used by the custom weighting; one per group of the assessment."
    )
    axis_source = serializers.ChoiceField(choices=[(a.value, a.value) for a in AxisSource])
    exclude_straight_lined = serializers.BooleanField()
    straight_line_min_cells = serializers.IntegerField(
        allow_null=True, help_text="Null: half of the grid, and at least 4."
    )
    exclude_too_fast = serializers.BooleanField()
    too_fast_fraction = serializers.CharField(
        max_length=20,
        help_text="A share of the median completion time: 0.25, or a fraction such as 1/3.",
    )
    too_fast_seconds_per_cell = serializers.FloatField(
        help_text=f"From 0 to {MAX_SECONDS_PER_CELL}; 0 turns the floor off."
    )
    threshold_mode = serializers.ChoiceField(choices=[(t.value, t.value) for t in ThresholdMode])
    company_threshold = serializers.FloatField()
    stakeholder_threshold = serializers.FloatField()
    confidence = serializers.FloatField(help_text="Between 0 and 1, such as 0.95.")
    bootstrap_samples = serializers.IntegerField(
        help_text=f"From 0 (no intervals) to {MAX_BOOTSTRAP_SAMPLES}."
    )


class MethodReadSerializer(MethodSettingsSerializer):
    too_fast_fraction = serializers.FloatField()  # type: ignore[assignment]
    editable = serializers.BooleanField(
        help_text="False once a result is confirmed: the settings are fixed then."
    )


class MethodUpdatedSerializer(MethodReadSerializer):
    run = serializers.IntegerField(
        allow_null=True,
        help_text="The run computing the scores with the new settings; null if nothing changed.",
    )
