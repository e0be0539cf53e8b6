"""Administration of the vocabulary: both languages side by side, search, filters,
retire instead of delete (past assessments keep pointing at retired rows)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import User
from django.db.models import JSONField, OuterRef, QuerySet, Subquery
from django.forms import CheckboxSelectMultiple, ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from materiality.access_tokens import api_token_revoke
from materiality.models import (
    ApiToken,
    Assessment,
    CommentTag,
    StakeholderGroup,
    Topic,
    TopicReference,
)
from materiality.runs.describing import option_lines
from materiality.runs.method import (
    MethodLocked,
    current_options,
    method_editable,
    method_groups,
    method_update,
)
from materiality.runs.method_form import WEIGHT_PREFIX, MethodForm
from materiality.services import group_link_rotate, invitation_link_revoke
from surveys.models import Invitation, InvitationKind
from surveys.translations import pick


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


class LabelledOrderForm(ModelForm):
    """A row of a changelist whose order is edited in place: the field says whose order
    it is, since the list gives it no label of its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["order"]
        field.widget.attrs["aria-label"] = _("%(field)s: %(name)s") % {
            "field": field.label,
            "name": self.instance.get_name() if self.instance.pk else "",
        }


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose fields say what they are: to a screen reader the table's
    column headings label nothing, and every row's fields would go unnamed."""

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            # A related field's widget sits inside the admin's add/change links wrapper.
            widget = getattr(field.widget, "widget", None) or field.widget
            widget.attrs.setdefault("aria-label", field.label)
        return field

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(formset):  # type: ignore[misc,valid-type]
            def add_fields(self, form: Any, index: Any) -> None:
                super().add_fields(form, index)
                # The formset's own "delete" box, added after the model's fields.
                if "DELETE" in form.fields:
                    delete = form.fields["DELETE"]
                    delete.widget.attrs.setdefault("aria-label", delete.label)

        return LabelledFormSet


class TopicReferenceInline(LabelledTabularInline):
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

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[ModelForm[Any]]:
        return super().get_changelist_form(request, form=LabelledOrderForm, **kwargs)

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

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[ModelForm[Any]]:
        return super().get_changelist_form(request, form=LabelledOrderForm, **kwargs)


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    """An assessment's method settings, with the ESG team's form and service (so the
    audit trail notes the change and the scores are computed again). Assessments are
    made and changed on the site; here nothing is added or deleted."""

    list_display = ["__str__", "period", "survey_status", "published_result"]
    list_select_related = ["survey"]
    ordering = ["-period_end", "-pk"]
    summary_fields = ["title", "period", "survey_status", "published_result"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assessment]:
        return super().get_queryset(request).select_related("survey")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Once a result is confirmed, the settings are only shown.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or method_editable(obj))

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Assessment]]:
        return MethodForm

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.summary_fields, "method_lock", "method_in_use"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        summary = (None, {"fields": self.summary_fields})
        if obj is None:
            return [summary]
        if not self.has_change_permission(request, obj):
            return [summary, (_("Method settings"), {"fields": ["method_lock", "method_in_use"]})]
        weights = [WEIGHT_PREFIX + group.code for group in method_groups(obj)]
        return [
            summary,
            (_("Weighting"), {"fields": ["weighting", *weights]}),
            (_("Axis source"), {"fields": ["axis_source"]}),
            (
                _("Quality filters"),
                {
                    "fields": [
                        "exclude_straight_lined",
                        "straight_line_min_cells",
                        "exclude_too_fast",
                        "too_fast_fraction",
                        "too_fast_seconds_per_cell",
                    ]
                },
            ),
            (
                _("Thresholds"),
                {"fields": ["threshold_mode", "company_threshold", "stakeholder_threshold"]},
            ),
            (_("Confidence intervals"), {"fields": ["confidence", "bootstrap_samples"]}),
        ]

    def save_model(self, request: HttpRequest, obj: Assessment, form: Any, change: bool) -> None:
        try:
            run = method_update(assessment=obj, user=request.user, settings=form.settings())
        except MethodLocked:
            self.message_user(request, str(MethodLocked.message), messages.ERROR)
            return
        if run is not None:
            self.message_user(
                request,
                _("The scores are being computed with the new settings (run #%(id)s).")
                % {"id": run.pk},
                messages.SUCCESS,
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # the form has no model field: method_update stored everything

    @admin.display(description=_("title"))
    def title(self, obj: Assessment) -> str:
        return obj.get_title()

    @admin.display(description=_("reporting period"))
    def period(self, obj: Assessment) -> str:
        return f"{obj.period_start:%Y-%m-%d} – {obj.period_end:%Y-%m-%d}"

    @admin.display(description=_("survey status"))
    def survey_status(self, obj: Assessment) -> str:
        return str(obj.survey.get_status_display())

    @admin.display(description=_("published result"))
    def published_result(self, obj: Assessment) -> str:
        return f"#{obj.published_run_id}" if obj.published_run_id else "—"

    @admin.display(description=_("why the settings cannot change"))
    def method_lock(self, obj: Assessment) -> str:
        return str(MethodLocked.message)

    @admin.display(description=_("settings in use"))
    def method_in_use(self, obj: Assessment) -> str:
        groups = method_groups(obj)
        lines = option_lines(current_options(obj, groups), {g.code: g.name for g in groups})
        return format_html(
            "<dl>{}</dl>",
            mark_safe(  # noqa: S308 - each line escaped by format_html
                "".join(
                    format_html("<dt>{}</dt><dd>{}</dd>", line.label, line.value)
                    for line in lines
                    if line.shown
                )
            ),
        )


@admin.register(Invitation)
class GroupLinkAdmin(admin.ModelAdmin):
    """The group links (shared by a group, or open) of the assessments: to revoke one
    that leaked, or replace it with a new one. Revoking or replacing goes through the
    same services as the assessment page, with the same audit entry; a link's token is
    never shown, only its first characters."""

    list_display = ["link", "assessment_name", "kind", "group_name", "created_at", "state"]
    list_filter = ["kind"]
    fields = ("link", "assessment_name", "kind", "group_name", "created_at", "expires_at", "state")
    readonly_fields = fields
    actions = ["revoke_links", "rotate_links"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invitation]:
        group_name = StakeholderGroup.objects.filter(code=OuterRef("respondent_group")).values(
            "name"
        )[:1]
        return (
            super()
            .get_queryset(request)
            .filter(kind__in=[InvitationKind.SHARED, InvitationKind.OPEN])
            .select_related("survey__assessment")
            .annotate(group_label=Subquery(group_name, output_field=JSONField()))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # links are made on the assessment page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked instead: the replies and the trail keep their link

    @admin.display(description=_("link"))
    def link(self, obj: Invitation) -> str:
        return f"…/s/i/{obj.token_hint}…"

    @admin.display(description=_("assessment"))
    def assessment_name(self, obj: Invitation) -> str:
        assessment = getattr(obj.survey, "assessment", None)
        return str(assessment) if assessment is not None else str(obj.survey)

    @admin.display(description=_("group"), ordering="respondent_group")
    def group_name(self, obj: Invitation) -> str:
        label = getattr(obj, "group_label", None)
        if label:
            return pick(label)
        return obj.respondent_group or str(_("chosen by the respondent"))

    @admin.display(description=_("state"))
    def state(self, obj: Invitation) -> str:
        if obj.revoked_at is not None:
            return str(_("revoked"))
        if obj.is_expired():
            return str(_("expired"))
        return str(_("in use"))

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Invitation],
        change: Callable[..., Any],
        done: Callable[[int], str],
    ) -> None:
        changed = 0
        for invitation in queryset:
            assessment = getattr(invitation.survey, "assessment", None)
            if assessment is not None and change(
                assessment=assessment, invitation=invitation, actor=request.user
            ):
                changed += 1
        self.message_user(request, done(changed), messages.SUCCESS)

    @admin.action(description=_("Revoke the selected links"), permissions=["change"])
    def revoke_links(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        self._each(
            request,
            queryset,
            invitation_link_revoke,
            lambda n: ngettext("%(n)d link revoked.", "%(n)d links revoked.", n) % {"n": n},
        )

    @admin.action(description=_("Replace the selected links with new ones"), permissions=["change"])
    def rotate_links(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        self._each(
            request,
            queryset,
            group_link_rotate,
            lambda n: (
                ngettext(
                    "%(n)d link replaced: the old one no longer works; the new one is on the "
                    "assessment page.",
                    "%(n)d links replaced: the old ones no longer work; the new ones are on the "
                    "assessment page.",
                    n,
                )
                % {"n": n}
            ),
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every user's API tokens, to revoke one that leaked or belongs to someone who left.
    Tokens are created by their owner (account page) or with `manage.py create_api_token`;
    only their first characters are known."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username", "prefix"]
    fields = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke_tokens"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the secret is shown to the one who creates it, never here

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked instead, so the list keeps what existed

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = sum(api_token_revoke(token=token) for token in queryset)
        message = ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", revoked)
        self.message_user(request, message % {"n": revoked}, messages.SUCCESS)


class UserAdmin(auth_admin.UserAdmin):
    """Django's user pages, with fields everyone can name and reach: the groups (the
    roles, see roles.py) as check boxes, and permissions as a plain list, for Django's
    two-box filter widget labels its icons in a way screen readers are not given;
    sign-in and joining times shown, not edited (their split date and time fields have
    no label of their own)."""

    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            kwargs["widget"] = CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
