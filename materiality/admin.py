"""Administration of the vocabulary: both languages side by side, search, filters,
retire instead of delete (past assessments keep pointing at retired rows)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from materiality.models import CommentTag, StakeholderGroup, Topic, TopicReference


def translated_column(field: str, language: str, title: str) -> Callable[[Any], str]:
    """A changelist column showing `field` in one language (no fallback: gaps must show)."""

    def column(obj: Any) -> str:
        return getattr(obj, field).get(language, "") or "—"

    column.short_description = title  # type: ignore[attr-defined]
    column.admin_order_field = f"{field}__{language}"  # type: ignore[attr-defined]
    return column


def name_columns() -> list[Callable[[Any], str]]:
    return [
        translated_column("name", code, f"{_('name')} ({label})")
        for code, label in settings.LANGUAGES
    ]


def name_search_fields() -> list[str]:
    # One key lookup per language: a plain search on the JSON column would miss
    # Chinese text on SQLite, which stores it \u-escaped.
    return [f"name__{code}" for code, _label in settings.LANGUAGES]


class RetireMixin:
    """Retire/reactivate actions in place of deletion."""

    actions: Any = ["retire", "reactivate"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Retire selected (keeps their history)"))
    def retire(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = queryset.update(active=False)
        self.message_user(  # type: ignore[attr-defined]
            request,
            ngettext("%(count)d item retired.", "%(count)d items retired.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reactivate selected"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = queryset.update(active=True)
        self.message_user(  # type: ignore[attr-defined]
            request,
            ngettext("%(count)d item reactivated.", "%(count)d items reactivated.", count)
            % {"count": count},
            messages.SUCCESS,
        )


class TopicReferenceInline(admin.TabularInline):
    model = TopicReference
    extra = 1


@admin.register(Topic)
class TopicAdmin(RetireMixin, admin.ModelAdmin):
    list_display = ["code", *name_columns(), "dimension", "active", "order"]
    list_display_links = ["code"]
    list_filter = ["dimension", "active"]
    list_editable = ["order"]
    search_fields = ["code", *name_search_fields()]
    ordering = ["order", "code"]
    inlines = [TopicReferenceInline]
    fieldsets = [
        (None, {"fields": ["code", "dimension", "name", "description"]}),
        (_("Status"), {"fields": ["active", "order"]}),
        (_("What report readers said"), {"fields": ["reader_comments"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Topic | None = None) -> list[str]:
        # The code is what exports, imports and the API rely on: fixed once created.
        return ["code", "reader_comments"] if obj is not None else ["reader_comments"]

    @admin.display(description=_("Reader comments tagged with this topic"))
    def reader_comments(self, obj: Topic) -> str:
        if obj.pk is None:
            return "—"
        tags = (
            CommentTag.objects.filter(topic=obj)
            .select_related("answer__response__survey__report")
            .order_by("-created_at")[:20]
        )
        items = [
            format_html(
                "<li>{} ({}): {}</li>",
                tag.answer.response.survey.report,
                tag.answer.response.submitted_at.date() if tag.answer.response.submitted_at else "",
                tag.answer.text,
            )
            for tag in tags
        ]
        if not items:
            return "—"
        return format_html("<ul>{}</ul>", mark_safe("".join(items)))  # noqa: S308 - each item escaped by format_html


@admin.register(StakeholderGroup)
class StakeholderGroupAdmin(RetireMixin, admin.ModelAdmin):
    list_display = ["code", *name_columns(), "internal", "default_weight", "active", "order"]
    list_display_links = ["code"]
    list_filter = ["internal", "active"]
    list_editable = ["order"]
    search_fields = ["code", *name_search_fields()]
    ordering = ["order", "code"]
    fieldsets = [
        (None, {"fields": ["code", "name", "description", "internal", "default_weight"]}),
        (_("Engagement"), {"fields": ["concerns", "channels", "frequency"]}),
        (_("Status"), {"fields": ["active", "order"]}),
    ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: StakeholderGroup | None = None
    ) -> list[str]:
        return ["code"] if obj is not None else []
