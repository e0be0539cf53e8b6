"""Administrators' view of surveys and responses: for support and for data-protection
requests (a respondent's data exported or erased), not for everyday work."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import JSONField, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from surveys.models import (
    Answer,
    OptionRole,
    QuestionOption,
    QuestionPurpose,
    Response,
    Survey,
)
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
    search_fields = ["pk", "source_reference", "contact_email"]
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

    def delete_model(self, request: HttpRequest, obj: Response) -> None:
        responses_erase(responses=Response.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> None:
        responses_erase(responses=queryset)

    @admin.action(description=_("Export the selected responses (JSON)"))
    def export_json(self, request: HttpRequest, queryset: QuerySet[Response]) -> HttpResponse:
        data = []
        for response in queryset.select_related("survey").prefetch_related("answers__question"):
            data.append(
                {
                    "response": response.pk,
                    "survey": pick(response.survey.title),
                    "status": response.status,
                    "group": response.respondent_group,
                    "internal": response.respondent_internal,
                    "language": response.language,
                    "started_at": response.started_at.isoformat(),
                    "submitted_at": response.submitted_at.isoformat()
                    if response.submitted_at
                    else None,
                    "contact_email": response.contact_email,
                    "answers": [
                        {
                            "question": answer.question.code,
                            "row": answer.row_code,
                            "column": answer.column_code,
                            "value": answer.value,
                            "dont_know": answer.dont_know,
                            "text": answer.text,
                        }
                        for answer in response.answers.all()
                    ],
                }
            )
        self.message_user(
            request,
            ngettext("%(n)d response exported.", "%(n)d responses exported.", len(data))
            % {"n": len(data)},
            messages.SUCCESS,
        )
        body = json.dumps(data, ensure_ascii=False, indent=2)
        http = HttpResponse(body, content_type="application/json; charset=utf-8")
        http["Content-Disposition"] = 'attachment; filename="responses.json"'
        return http
