"""Importing replies collected with another tool: upload a CSV/XLSX file, map its
columns and values, check every row, import (in a Celery task when large) and follow
the progress.

Thin views: the forms turn the user's choices into a `ReplyMapping`; reading, checking,
storing and progress live in `materiality.importing`. `urlpatterns` is included from
`materiality.urls` (namespace "materiality").
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from materiality.importing.checking import MAX_REPORTED_ERRORS, ReplyCheck, replies_check
from materiality.importing.context import ImportContext, ReplySheet, import_context
from materiality.importing.jobs import (
    ImportProgress,
    ImportState,
    import_progress,
    import_progress_forget,
    reply_import_start,
)
from materiality.importing.mapping import (
    DONT_KNOW,
    LEAVE_OUT,
    REJECT,
    CellColumn,
    ReplyMapping,
    ScaleMapping,
    ScaleMode,
    reply_mapping_suggest,
)
from materiality.importing.reading import RatingReader, ValueCount, column_values
from materiality.importing.tables import MAX_BYTES, SpreadsheetError, column_letter, read_table
from materiality.importing.uploads import (
    ReplyImportJob,
    import_job_create,
    import_job_discard,
    import_job_load,
    import_job_table,
)
from materiality.models import AXES, Assessment
from materiality.views.access import get_assessment, permission_required
from surveys.models import SurveyStatus
from surveys.translations import pick

CHANGE = "materiality.change_assessment"


# --- Forms ----------------------------------------------------------------------------


class ReplyUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Replies (.csv or .xlsx)"),
        help_text=gettext_lazy(
            "One row per respondent; the first row names the columns. CSV in UTF-8 or "
            "GB18030 separated by commas, semicolons or tabs, or the first sheet of an "
            ".xlsx workbook. At most 5 MB."
        ),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


def _column(value: str | None) -> int | None:
    return int(value) if value else None


class ColumnMappingForm(forms.Form):
    """Which column holds what, and the scale the file's numbers are on."""

    scale_mode = forms.ChoiceField(
        label=gettext_lazy("The numbers in the file are"),
        widget=forms.RadioSelect,
        choices=[
            (ScaleMode.SAME, gettext_lazy("levels of this assessment's scale")),
            (
                ScaleMode.LINEAR,
                gettext_lazy("on another scale, stretched linearly onto this one (rounded)"),
            ),
        ],
    )
    source_min = forms.IntegerField(
        label=gettext_lazy("Lowest value of the file's scale"),
        required=False,
        min_value=-1000,
        max_value=1000,
    )
    source_max = forms.IntegerField(
        label=gettext_lazy("Highest value of the file's scale"),
        required=False,
        min_value=-1000,
        max_value=1000,
    )
    skip_errors = forms.BooleanField(
        label=gettext_lazy(
            "Import the rows without errors and skip the rows with errors "
            "(the result lists every skipped row)"
        ),
        required=False,
    )

    RESPONDENT_FIELDS = ("group_column", "side_column", "reference_column", "duration_column")

    def __init__(
        self,
        data: Any = None,
        *,
        sheet: ReplySheet,
        context: ImportContext,
        suggestion: ReplyMapping,
    ) -> None:
        super().__init__(data, initial=self._initial(suggestion))
        self.context = context
        columns = [(str(index), sheet.label(index)) for index in range(sheet.width)]

        def choice(label: str, empty: str, help_text: str = "") -> forms.ChoiceField:
            return forms.ChoiceField(
                label=label, choices=[("", empty), *columns], required=False, help_text=help_text
            )

        self.fields["group_column"] = choice(
            _("Stakeholder group"),
            _("— choose a column —"),
            _("Group codes or names, in Chinese or English."),
        )
        self.fields["group_column"].required = True
        self.fields["side_column"] = choice(
            _("Internal or external (optional)"),
            _("— not in the file: as set for the group —"),
        )
        self.fields["reference_column"] = choice(
            _("Respondent ID or reference (optional)"),
            _("— not in the file: “file name:row” —"),
            _("Kept with each reply; a reference can be imported only once."),
        )
        self.fields["duration_column"] = choice(
            _("Time taken, in seconds (optional)"), _("— not in the file —")
        )
        for topic in context.topics:
            for axis in AXES:
                self.fields[self.cell_name(topic.code, axis)] = choice(
                    f"{topic.label} – {context.axis_label(axis)}", _("— not in the file —")
                )

    @staticmethod
    def cell_name(topic: str, axis: str) -> str:
        return f"cell__{topic}__{axis}"

    @classmethod
    def _initial(cls, suggestion: ReplyMapping) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "scale_mode": suggestion.scale.mode,
            "source_min": suggestion.scale.source_min,
            "source_max": suggestion.scale.source_max,
        }
        for name in cls.RESPONDENT_FIELDS:
            column = getattr(suggestion, name)
            initial[name] = "" if column is None else str(column)
        for cell in suggestion.cells:
            initial[cls.cell_name(cell.topic, cell.axis)] = str(cell.column)
        return initial

    def respondent_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.RESPONDENT_FIELDS]

    def cell_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (topic.label, [self[self.cell_name(topic.code, axis)] for axis in AXES])
            for topic in self.context.topics
        ]

    def axis_labels(self) -> list[str]:
        return [self.context.axis_label(axis) for axis in AXES]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen: dict[str, str] = {}
        for name, bound in self.fields.items():
            if name in self.RESPONDENT_FIELDS or name.startswith("cell__"):
                value = str(cleaned.get(name) or "")
                if not value:
                    continue
                if value in seen:
                    self.add_error(
                        name,
                        _("This column is already used for “%(use)s”.") % {"use": seen[value]},
                    )
                else:
                    seen[value] = str(bound.label)
        if not any(cleaned.get(name) for name in self.fields if name.startswith("cell__")):
            raise forms.ValidationError(_("Choose the column of at least one topic rating."))
        if cleaned.get("scale_mode") == ScaleMode.LINEAR:
            low, high = cleaned.get("source_min"), cleaned.get("source_max")
            if low is None or high is None or low >= high:
                self.add_error(
                    "source_max", _("Give the file's scale: a lowest and a higher highest value.")
                )
        return cleaned

    def mapping(self) -> ReplyMapping:
        """The columns and scale chosen (valid forms only); value choices come later."""
        data = self.cleaned_data
        mode = ScaleMode(data["scale_mode"])
        low = data.get("source_min")
        high = data.get("source_max")
        return ReplyMapping(
            group_column=_column(data["group_column"]),
            side_column=_column(data.get("side_column")),
            reference_column=_column(data.get("reference_column")),
            duration_column=_column(data.get("duration_column")),
            cells=tuple(
                CellColumn(topic.code, axis, column)
                for topic in self.context.topics
                for axis in AXES
                if (column := _column(data.get(self.cell_name(topic.code, axis)))) is not None
            ),
            scale=ScaleMapping(
                mode,
                low if low is not None else self.context.scale_min,
                high if high is not None else self.context.scale_max,
            ),
            skip_errors=bool(data.get("skip_errors")),
        )


def _digest(key: str) -> str:
    """A field name for a cell value (values may hold any character)."""
    return hashlib.blake2s(key.encode(), digest_size=6).hexdigest()


class ValueMappingForm(forms.Form):
    """For each distinct group value and rating value in the mapped columns: keep the
    automatic reading (shown in the first option) or choose another."""

    def __init__(
        self,
        data: Any = None,
        *,
        context: ImportContext,
        sheet: ReplySheet,
        columns: ReplyMapping,
    ) -> None:
        super().__init__(data)
        lookup = context.group_lookup()
        groups = {group.code: group for group in context.groups}
        group_column = [] if columns.group_column is None else [columns.group_column]
        self.group_values, self.group_distinct = column_values(sheet, group_column)
        self.rating_values, self.rating_distinct = column_values(
            sheet, [cell.column for cell in columns.cells]
        )
        for value in self.group_values:
            known = groups.get(lookup.get(value.key, ""))
            if known is not None:
                automatic = _("As read: %(group)s") % {"group": known.label}
            elif value.key:
                automatic = _("Not a group of this assessment (an error)")
            else:
                automatic = _("Missing (an error)")
            self.fields[f"group__{_digest(value.key)}"] = forms.ChoiceField(
                label=_("Rows with group “%(value)s”") % {"value": value.shown or _("(empty)")},
                required=False,
                choices=[
                    ("", automatic),
                    *((group.code, group.label) for group in context.groups),
                    (LEAVE_OUT, _("Leave these rows out")),
                ],
            )
        reader = RatingReader(context, columns.scale)
        levels = [
            (str(level), _level_label(context, level))
            for level in range(context.scale_min, context.scale_max + 1)
        ]
        for value in self.rating_values:
            read = reader.automatic(value.key)
            if isinstance(read, str):
                automatic = _("An error: %(problem)s") % {"problem": read}
            elif read.dont_know:
                automatic = _("As read: don't know")
            else:
                automatic = _("As read: %(level)s") % {"level": read.value}
            self.fields[f"value__{_digest(value.key)}"] = forms.ChoiceField(
                label=_("Value “%(value)s”") % {"value": value.shown or _("(empty)")},
                required=False,
                choices=[
                    ("", automatic),
                    *levels,
                    (DONT_KNOW, _("Don't know")),
                    (REJECT, _("Refuse (an error)")),
                ],
            )

    def group_rows(self) -> list[tuple[ValueCount, forms.BoundField]]:
        return [(value, self[f"group__{_digest(value.key)}"]) for value in self.group_values]

    def rating_rows(self) -> list[tuple[ValueCount, forms.BoundField]]:
        return [(value, self[f"value__{_digest(value.key)}"]) for value in self.rating_values]

    def group_choices(self) -> dict[str, str]:
        return self._chosen("group", self.group_values)

    def rating_choices(self) -> dict[str, str]:
        return self._chosen("value", self.rating_values)

    def _chosen(self, prefix: str, values: list[ValueCount]) -> dict[str, str]:
        chosen = {
            value.key: self.cleaned_data.get(f"{prefix}__{_digest(value.key)}") or ""
            for value in values
        }
        return {key: choice for key, choice in chosen.items() if choice}


def _level_label(context: ImportContext, level: int) -> str:
    label = pick(context.scale_labels.get(str(level)))
    return f"{level} ({label})" if label else str(level)


# --- Views ----------------------------------------------------------------------------


def _job(assessment: Assessment, import_id: uuid.UUID) -> ReplyImportJob | None:
    job = import_job_load(import_id.hex)
    if job is not None and job.assessment_id != assessment.pk:
        raise Http404
    return job


def _to_progress(assessment: Assessment, import_id: str) -> HttpResponse:
    return redirect(
        "materiality:replies-import-progress", pk=assessment.pk, import_id=uuid.UUID(import_id)
    )


@permission_required(CHANGE)
def reply_import_upload(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment(pk)
    form = ReplyUploadForm(request.POST or None, request.FILES or None)
    # Replies can only join a questionnaire whose questions are fixed: editing a draft
    # rebuilds its questions and would drop the imported answers.
    draft = assessment.survey.status == SurveyStatus.DRAFT
    if request.method == "POST" and not draft and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            ReplySheet.from_table(read_table(upload.name, content))
        except SpreadsheetError as error:
            form.add_error("file", str(error))
        else:
            job = import_job_create(
                assessment=assessment,
                user=request.user,
                file_name=upload.name,
                content=content,
                language=get_language() or "",
            )
            return redirect("materiality:replies-import-map", pk=pk, import_id=uuid.UUID(job.id))
    status = 400 if request.method == "POST" else 200
    context = {"assessment": assessment, "form": form, "draft": draft}
    return render(request, "materiality/import_upload.html", context, status=status)


@permission_required(CHANGE)
def reply_import_map(request: HttpRequest, pk: int, import_id: uuid.UUID) -> HttpResponse:
    assessment = get_assessment(pk)
    job = _job(assessment, import_id)
    progress = import_progress(import_id.hex)
    if job is None or (progress is not None and progress.active):
        if progress is None:
            raise Http404
        return _to_progress(assessment, import_id.hex)  # imported, or being imported
    try:
        sheet = ReplySheet.from_table(import_job_table(job))
    except (SpreadsheetError, FileNotFoundError):
        import_job_discard(job.id)
        messages.error(request, _("The uploaded file can no longer be read: upload it again."))
        return redirect("materiality:replies-import", pk=pk)
    context = import_context(assessment)
    suggestion = reply_mapping_suggest(sheet, context)
    data = request.POST if request.method == "POST" else None
    column_form = ColumnMappingForm(data, sheet=sheet, context=context, suggestion=suggestion)
    columns = column_form.mapping() if column_form.is_valid() else suggestion
    value_form = ValueMappingForm(data, context=context, sheet=sheet, columns=columns)
    page: dict[str, Any] = {
        "assessment": assessment,
        "job": job,
        "import_id": import_id,
        "sheet": sheet,
        "column_form": column_form,
        "value_form": value_form,
        "columns": _column_overview(sheet, columns),
    }
    if data is None:
        return render(request, "materiality/import_mapping.html", page)
    if not (column_form.is_valid() and value_form.is_valid()):
        return render(request, "materiality/import_mapping.html", page, status=400)
    mapping = replace(
        columns,
        group_values=value_form.group_choices(),
        scale=replace(columns.scale, values=value_form.rating_choices()),
    )
    check = replies_check(sheet, context=context, mapping=mapping, file_name=job.file_name)
    page["check"] = _report(check)
    if request.POST.get("action") != "import":
        return render(request, "materiality/import_mapping.html", page)  # a check only
    if not check.storable:
        return render(request, "materiality/import_mapping.html", page, status=400)
    # Small files are stored now, large ones by a worker: either way the progress page
    # shows what happened (and is the record of the import while it is cached).
    reply_import_start(job=job, mapping=mapping, context=context, check=check)
    return _to_progress(assessment, job.id)


@require_POST
@permission_required(CHANGE)
def reply_import_cancel(request: HttpRequest, pk: int, import_id: uuid.UUID) -> HttpResponse:
    assessment = get_assessment(pk)
    _job(assessment, import_id)
    progress = import_progress(import_id.hex)
    if progress is not None and progress.active:
        messages.error(request, _("This import is running and can no longer be cancelled."))
        return _to_progress(assessment, import_id.hex)
    import_job_discard(import_id.hex)
    import_progress_forget(import_id.hex)
    messages.success(request, _("Import cancelled. The uploaded file was deleted."))
    return redirect("materiality:assessment", pk=pk)


@permission_required(CHANGE)
def reply_import_progress(request: HttpRequest, pk: int, import_id: uuid.UUID) -> HttpResponse:
    assessment = get_assessment(pk)
    job = _job(assessment, import_id)
    progress = import_progress(import_id.hex)
    if progress is None or progress.assessment_id != assessment.pk:
        if job is not None:
            return redirect("materiality:replies-import-map", pk=pk, import_id=import_id)
        raise Http404
    page = {
        "assessment": assessment,
        "import_id": import_id,
        "progress": progress,
        "can_map_again": job is not None and not progress.active,
        "summary": _imported_message(progress) if progress.state == ImportState.DONE else "",
    }
    return render(request, "materiality/import_progress.html", page)


def _report(check: ReplyCheck) -> dict[str, Any]:
    return {
        "ok": not check.errors,
        "storable": check.storable,
        "rows": len(check.rows),
        "error_rows": len(check.error_lines),
        "errors": check.errors[:MAX_REPORTED_ERRORS],
        "more_errors": max(0, len(check.errors) - MAX_REPORTED_ERRORS),
        "left_out": check.left_out[:MAX_REPORTED_ERRORS],
        "left_out_count": len(check.left_out),
    }


def _imported_message(progress: ImportProgress) -> str:
    return _(
        "%(count)d replies imported from “%(file)s” by %(user)s. The scores are being "
        "computed again."
    ) % {"count": progress.stored, "file": progress.file_name, "user": progress.user_name}


def _column_overview(sheet: ReplySheet, columns: ReplyMapping) -> list[dict[str, Any]]:
    used = columns.used_columns()
    return [
        {
            "letter": column_letter(index),
            "header": sheet.headers[index],
            "samples": sheet.samples(index),
            "use": used.get(index, ""),
        }
        for index in range(sheet.width)
    ]


urlpatterns = [
    path("assessments/<int:pk>/replies/import/", reply_import_upload, name="replies-import"),
    path(
        "assessments/<int:pk>/replies/import/<uuid:import_id>/",
        reply_import_map,
        name="replies-import-map",
    ),
    path(
        "assessments/<int:pk>/replies/import/<uuid:import_id>/cancel/",
        reply_import_cancel,
        name="replies-import-cancel",
    ),
    path(
        "assessments/<int:pk>/replies/import/<uuid:import_id>/progress/",
        reply_import_progress,
        name="replies-import-progress",
    ),
]
