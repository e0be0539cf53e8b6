"""The forms of a reply import: the upload, the column mapping and the value mapping.

They turn the ESG team's choices into a `ReplyMapping` (materiality.importing.mapping);
the views in materiality.views.importing show them."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from materiality.importing.context import ImportContext, ReplySheet
from materiality.importing.mapping import (
    DONT_KNOW,
    LEAVE_OUT,
    REJECT,
    CellColumn,
    ReplyMapping,
    ScaleMapping,
    ScaleMode,
)
from materiality.importing.reading import RatingReader, ValueCount, column_values
from materiality.importing.tables import MAX_BYTES
from materiality.models import AXES
from surveys.translations import pick

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
