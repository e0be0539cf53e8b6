"""What the runs API answers: a run and its status, its scores overall and per group, the
sensitivity table. Output only; the views fill them from the selectors the results page
uses, so the numbers and words are the page's."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from materiality.api.fields import TranslatedTextField
from materiality.models import AggregationRun, RunStatus, RunTrigger
from materiality.models.runs import ReviewStatus


def scored_run_id(run: AggregationRun) -> int | None:
    """The run whose scores *run* stands for (itself, or the earlier run with the same
    input for a run marked unchanged); None while it has none."""
    if run.status == RunStatus.SUCCEEDED:
        return run.pk
    if run.status == RunStatus.UNCHANGED:
        return run.same_as_id
    return None


class RunSerializer(serializers.ModelSerializer):
    """A run as the list and the status poll show it."""

    status = serializers.ChoiceField(choices=RunStatus.choices, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    trigger = serializers.ChoiceField(choices=RunTrigger.choices, read_only=True)
    trigger_display = serializers.CharField(source="get_trigger_display", read_only=True)
    review = serializers.ChoiceField(choices=ReviewStatus.choices, read_only=True)
    review_display = serializers.CharField(source="get_review_display", read_only=True)
    progress = serializers.IntegerField(read_only=True, help_text="Percent done, 0–100.")
    error = serializers.SerializerMethodField(help_text="Why the run failed, in your language.")
    scored_run = serializers.SerializerMethodField(
        help_text="The run whose scores this run stands for: itself when it succeeded, an "
        "earlier run with the same input and settings when unchanged; null until done."
    )
    requested_by = serializers.CharField(
        source="requested_by.username", read_only=True, allow_null=True
    )

    class Meta:
        model = AggregationRun
        fields = [
            "id",
            "assessment",
            "status",
            "status_display",
            "trigger",
            "trigger_display",
            "progress",
            "error",
            "review",
            "review_display",
            "scored_run",
            "requested_by",
            "responses_counted",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_error(self, run: AggregationRun) -> str:
        # Stored as the English message id (gettext_noop); said in the reader's language.
        return _(run.error) if run.error else ""

    def get_scored_run(self, run: AggregationRun) -> int | None:
        return scored_run_id(run)


class SettingLineSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Stable: weighting, weight:<group>, confidence, …")
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField()


class AxisThresholdsSerializer(serializers.Serializer):
    company = serializers.FloatField(allow_null=True)
    stakeholder = serializers.FloatField(allow_null=True)


class RunDetailSerializer(RunSerializer):
    """The status of one run, with the settings it used and what it counted."""

    settings = serializers.SerializerMethodField(
        help_text="The method settings the run used, as the results page lists them "
        "(empty until the run has started)."
    )
    thresholds = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = [
            *RunSerializer.Meta.fields,
            "started_at",
            "duration_ms",
            "responses_total",
            "excluded_straight_lined",
            "excluded_too_fast",
            "ratings_counted",
            "thresholds",
            "settings",
        ]
        read_only_fields = fields

    @extend_schema_field(SettingLineSerializer(many=True))
    def get_settings(self, run: AggregationRun) -> list[dict[str, str]]:
        lines = self.context.get("settings", [])
        return [{"key": line.key, "label": line.label, "value": line.value} for line in lines]

    @extend_schema_field(AxisThresholdsSerializer)
    def get_thresholds(self, run: AggregationRun) -> dict[str, Any]:
        # An unchanged run stores no thresholds of its own: they are its earlier twin's.
        source = run.same_as if run.status == RunStatus.UNCHANGED and run.same_as else run
        recorded = source.thresholds or {}
        return {axis: recorded.get(axis) for axis in ("company", "stakeholder")}


class AxisScoreSerializer(serializers.Serializer):
    """One axis of a topic's score, on the rating scale."""

    n = serializers.IntegerField(help_text="Ratings counted (“don't know” is not one).")
    mean = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True, required=False)
    sd = serializers.FloatField(allow_null=True, required=False)
    ci_low = serializers.FloatField(allow_null=True, help_text="Confidence interval, low end.")
    ci_high = serializers.FloatField(allow_null=True, help_text="Confidence interval, high end.")
    normalised = serializers.FloatField(allow_null=True, required=False, help_text="0–100.")


class TopicScoreSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    code = serializers.CharField()
    name = TranslatedTextField()
    dimension = serializers.CharField(help_text="E, S or G.")
    dimension_display = serializers.CharField()
    company = AxisScoreSerializer()
    stakeholder = AxisScoreSerializer()
    material = serializers.BooleanField(help_text="Above the threshold on the matrix.")
    tier = serializers.CharField(help_text="high (both axes), medium (one axis), low.")
    tier_display = serializers.CharField()
    p_material = serializers.FloatField(
        allow_null=True, help_text="Share of bootstrap samples in which it is material."
    )
    divergence_flag = serializers.BooleanField(help_text="The groups disagree on it.")


class RunScoresSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    scored_run = serializers.IntegerField(help_text="The run whose stored scores these are.")
    responses_counted = serializers.IntegerField()
    thresholds = AxisThresholdsSerializer(help_text="Applied per axis, on the rating scale.")
    topics = TopicScoreSerializer(many=True, help_text="In rank order.")


class GroupCountSerializer(serializers.Serializer):
    company = serializers.IntegerField()
    stakeholder = serializers.IntegerField()


class RunGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TranslatedTextField()
    internal = serializers.BooleanField()
    n = GroupCountSerializer(help_text="The group's n per axis in this run.")
    n_text = serializers.CharField(help_text="The n as the matrix caption gives it.")
    has_matrix = serializers.BooleanField(
        help_text="Some topic has the group's means on both axes."
    )
    message = serializers.CharField(
        help_text="Why there is no matrix for the group; empty if there is."
    )


class GroupTopicScoreSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TranslatedTextField()
    dimension = serializers.CharField()
    company = AxisScoreSerializer(allow_null=True)
    stakeholder = AxisScoreSerializer(allow_null=True)


class GroupScoresSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    scored_run = serializers.IntegerField()
    group = RunGroupSerializer()
    message = serializers.CharField(
        help_text="Why the group has no scores in this run; empty when it has some."
    )
    topics = GroupTopicScoreSerializer(
        many=True, help_text="In topic-code order; empty when the group has no replies."
    )


class VariantSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="e.g. weighting:equal_group, threshold:+0.25")
    name = serializers.CharField()


class SensitivityRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TranslatedTextField()
    material = serializers.BooleanField(help_text="The verdict in the run itself.")
    robust = serializers.BooleanField(help_text="No variant changes the verdict.")
    flips = serializers.ListField(
        child=serializers.CharField(), help_text="Keys of the variants that change the verdict."
    )


class SensitivitySerializer(serializers.Serializer):
    run = serializers.IntegerField()
    scored_run = serializers.IntegerField()
    variants = VariantSerializer(many=True)
    topics = SensitivityRowSerializer(many=True)
