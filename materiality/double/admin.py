"""Administration of double materiality: rule packs and matters (both languages side by
side), the DMAs and their registers. Ratings and methodology versions are records and
are shown read-only: they are only ever added, through the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from materiality.admin import name_columns, name_search_fields, translated_column
from materiality.double.models import (
    DisclosureText,
    DmaApproval,
    DoubleAssessment,
    Iro,
    Matter,
    MatterDecision,
    MatterTopic,
    MethodologyVersion,
    Rater,
    Rating,
    RulePack,
    TopicResult,
)
from materiality.double.snapshot import read_snapshot


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RulePack)
class RulePackAdmin(admin.ModelAdmin):
    list_display = ["code", *name_columns(), "framework", "version", "loaded_at"]
    list_filter = ["framework"]
    readonly_fields = ["loaded_at"]


class MatterTopicInline(admin.TabularInline):
    model = MatterTopic
    extra = 0
    autocomplete_fields = ["topic"]


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):
    list_display = ["code", *name_columns(), "level", "reference", "pack", "company_specific"]
    list_filter = ["pack", "level", "dimension", "company_specific"]
    search_fields = ["code", "reference", *name_search_fields()]
    list_select_related = ["pack"]
    raw_id_fields = ["parent", "dma", "created_by"]
    inlines = [MatterTopicInline]


@admin.register(MatterTopic)
class MatterTopicAdmin(admin.ModelAdmin):
    list_display = ["topic", "matter", "coverage"]
    list_filter = ["coverage", "matter__pack"]
    list_select_related = ["topic", "matter"]
    raw_id_fields = ["matter"]


class MethodologyVersionInline(admin.TabularInline):
    model = MethodologyVersion
    extra = 0
    fields = ("number", "note", "created_by", "created_by_name", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RaterInline(admin.TabularInline):
    model = Rater
    extra = 0
    raw_id_fields = ["user"]


@admin.register(DoubleAssessment)
class DoubleAssessmentAdmin(admin.ModelAdmin):
    list_display = [*name_columns(), "period_start", "period_end", "frameworks", "status"]
    list_filter = ["status", "frameworks"]
    search_fields = name_search_fields()
    raw_id_fields = ["survey_assessment", "created_by"]
    readonly_fields = ["created_at"]
    filter_horizontal = ["packs"]
    inlines = [RaterInline, MethodologyVersionInline]


@admin.register(MethodologyVersion)
class MethodologyVersionAdmin(ReadOnlyAdmin):
    list_display = ["dma", "number", "who_created", "created_at"]
    list_select_related = ["dma", "created_by"]

    # The account's name, else the name kept (a DMA restored from a file has no account).
    @admin.display(description=_("created by"))
    def who_created(self, obj: MethodologyVersion) -> str | None:
        return obj.created_by_username or None


def title_columns() -> list[Callable[[Any], str]]:
    return [
        translated_column("title", code, f"{_('title')} ({label})")
        for code, label in settings.LANGUAGES
    ]


@admin.register(Iro)
class IroAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        *title_columns(),
        "kind",
        "matter",
        "dma",
    ]
    list_filter = ["kind", "polarity", "actuality", "human_rights", "source"]
    search_fields = ["reference", *(f"title__{code}" for code, _label in settings.LANGUAGES)]
    list_select_related = ["matter", "dma"]
    raw_id_fields = ["matter", "dma", "created_by"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Rater)
class RaterAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "user", "dma"]
    list_filter = ["role"]
    list_select_related = ["user", "dma"]
    raw_id_fields = ["user", "dma"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = [
        "iro",
        "rater",
        "scale",
        "scope",
        "irremediability",
        "likelihood",
        "magnitude",
        "amount",
        "created_at",
    ]
    list_select_related = ["iro", "rater"]
    list_filter = ["rater__role"]


# Decisions and approvals are append-only records of the review (review.py, decisions.py):
# shown, never added, changed or deleted here.
@admin.register(MatterDecision)
class MatterDecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "matter",
        "perspective",
        "computed_value",
        "final_value",
        "material_final",
        "who_approved",
        "who_recorded",
        "created_at",
        "dma",
    ]
    list_filter = ["perspective", "material_final"]
    list_select_related = ["matter", "dma", "approver", "created_by"]
    search_fields = ["note", "reason", *(f"matter__{field}" for field in name_search_fields())]

    # The account's name, else the name kept (a DMA restored from a file has no account).
    @admin.display(description=_("approved by"))
    def who_approved(self, obj: MatterDecision) -> str | None:
        return obj.approver_username or None

    @admin.display(description=_("recorded by"))
    def who_recorded(self, obj: MatterDecision) -> str | None:
        return obj.created_by_username or None


@admin.register(DmaApproval)
class DmaApprovalAdmin(ReadOnlyAdmin):
    list_display = ["dma", "methodology_number", "who_approved", "approved_at", "material_count"]
    list_select_related = ["dma", "approved_by"]
    fields = (
        "dma",
        "methodology_number",
        "approved_by",
        "approved_by_name",
        "approved_at",
        "note",
        "material_count",
    )
    readonly_fields = fields

    # The account's name, else the name kept (a DMA restored from a file has no account).
    @admin.display(description=_("approved by"))
    def who_approved(self, obj: DmaApproval) -> str | None:
        return obj.approved_by_username or None

    @admin.display(description=_("material matters"))
    def material_count(self, obj: DmaApproval) -> str:
        matters = read_snapshot(obj.results).matters
        material = sum(1 for matter in matters if matter.material)
        return f"{material} / {len(matters)}"


# The outputs' report texts: read-only here, so that every change goes through
# `outputs/services.py` and is recorded in the DMA's trail.
@admin.register(DisclosureText)
class DisclosureTextAdmin(ReadOnlyAdmin):
    list_display = ["dma", "key", "updated_by", "updated_at"]
    list_select_related = ["dma", "updated_by"]
    search_fields = ["key"]


@admin.register(TopicResult)
class TopicResultAdmin(ReadOnlyAdmin):
    list_display = ["dma", "matter", "outcome", "updated_by", "updated_at"]
    list_filter = ["outcome"]
    list_select_related = ["dma", "matter", "updated_by"]
