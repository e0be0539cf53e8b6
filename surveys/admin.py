"""Administrators' view of surveys and responses: for support and for data-protection
requests (a respondent's data exported or erased), not for everyday work."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import JSONField, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from surveys.models import (
    Answer,
    OptionRole,
    QuestionOption,
    QuestionPurpose,
    Response,
    Survey,
)
from surveys.privacy import link_tokens, responses_export_json, responses_of_person
from surveys.services import responses_erase
from surveys.translations import pick


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "opens_at", "closes_at", "anonymous", "created_at"]
    list_filter = ["status", "anonymous"]
    # The straight-lining minimum changes through `survey_update`, which flags the
    # submitted replies again (an assessment's method settings set it).
    readonly_fields = ["straight_line_min_cells", "created_at", "updated_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # surveys carry assessments and reports: never deleted from here


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ["question", "row_code", "column_code", "value", "dont_know", "text"]
    readonly_fields = ["question", "row_code", "column_code", "value", "dont_know", "text"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _group_choices() -> QuerySet[QuestionOption]:
    """The choices of the questions that ask respondents for their group."""
    return QuestionOption.objects.filter(
        question__purpose=QuestionPurpose.RESPONDENT_GROUP, role=OptionRole.CHOICE
    )


class RespondentGroupFilter(admin.SimpleListFilter):
    title = _("group")
    parameter_name = "respondent_group"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        names: dict[str, str] = {}
        for code, label in _group_choices().order_by("pk").values_list("code", "label"):
            names.setdefault(code, pick(label) or code)
        return sorted(names.items(), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(respondent_group=value) if value else queryset


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "survey",
        "status",
        "group_name",
        "respondent_internal",
        "source",
        "submitted_at",
    ]
    list_filter = ["status", "source", "survey", RespondentGroupFilter]
    search_fields = ["pk", "source_reference", "contact_email"]  # and e-mails, links: below
    readonly_fields = [field.name for field in Response._meta.fields]
    inlines = [AnswerInline]
    actions = ["export_json", "delete_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        # The group's name is the label of its choice in the survey's question about
        # the respondent's group: read with the rows, not looked up per row.
        group_choice = (
            _group_choices()
            .filter(question__survey=OuterRef("survey"), code=OuterRef("respondent_group"))
            .values("label")[:1]
        )
        return (
            super()
            .get_queryset(request)
            .annotate(group_label=Subquery(group_choice, output_field=JSONField()))
        )

    @admin.display(description=_("group"), ordering="respondent_group")
    def group_name(self, obj: Response) -> str:
        label = getattr(obj, "group_label", None)
        return pick(label) if label else obj.respondent_group or "—"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Response], search_term: str
    ) -> tuple[QuerySet[Response], bool]:
        # A respondent's request names them by e-mail or by a link they kept: only
        # digests of links are stored, so a link is looked up by its digest.
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if "@" in term or link_tokens(term):
            person = responses_of_person(email=term if "@" in term else "", link=term)
            found = found | queryset.filter(pk__in=person.values("pk"))
        return found, duplicates

    def delete_model(self, request: HttpRequest, obj: Response) -> None:
        responses_erase(responses=Response.objects.filter(pk=obj.pk), actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> None:
        responses_erase(responses=queryset, actor=request.user)

    @admin.action(description=_("Export the selected responses for their respondent"))
    def export_json(self, request: HttpRequest, queryset: QuerySet[Response]) -> HttpResponse:
        # Names, not codes, in the administrator's language: what the person will read.
        body = responses_export_json(
            responses=queryset, language=get_language() or settings.LANGUAGE_CODE
        )
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(n)d response exported.", "%(n)d responses exported.", count) % {"n": count},
            messages.SUCCESS,
        )
        http = HttpResponse(body, content_type="application/json; charset=utf-8")
        http["Content-Disposition"] = 'attachment; filename="responses.json"'
        return http
