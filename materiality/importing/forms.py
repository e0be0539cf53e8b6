"""The forms of a reply import: the upload, the column mapping and the value mapping.

They turn the ESG team's choices into a `ReplyMapping` (materiality.importing.mapping);
the views in materiality.views.importing show them."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from materiality.importing.context import ImportContext, ReplySheet
from materiality.importing.mapping import (
    DONT_KNOW,
    EXTERNAL,
    INTERNAL,
    LEAVE_OUT,
    REJECT,
    SKIPPED,
    CellColumn,
    ReplyMapping,
    ScaleMapping,
    ScaleMode,
)
from materiality.importing.reading import RatingReader, ValueCount, column_values
from materiality.importing.recognition import value_key
from materiality.importing.suggesting import with_option_orders
from materiality.importing.tables import limits
from materiality.models import AXES
from surveys.translations import pick

# --- Forms ----------------------------------------------------------------------------


class ReplyUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Replies (.csv or .xlsx)"),
        help_text=gettext_lazy(
            "One row per respondent; the first row names the columns. CSV in UTF-8 or "
            "GB18030 separated by commas, semicolons or tabs, or the first sheet of an "
            ".xlsx workbook. At most 50 MB and 200,000 rows; a file of more than 10,000 "
            "rows is read whole by a background task when you import it."
        ),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        # Up to the worker's size: the pages read only the first rows of a larger file.
        if (upload.size or 0) > limits.BACKGROUND.bytes:
            raise forms.ValidationError(
                _("The file is larger than %(max)d MB.")
                % {"max": limits.BACKGROUND.bytes // (1024 * 1024)}
            )
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
                ScaleMode.OPTION_NUMBER,
                gettext_lazy(
                    "option numbers, as 问卷星 and 腾讯问卷 export them: 1 is the lowest "
                    "level, and the option after the highest level is “don't know”"
                ),
            ),
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

    reference_prefix = forms.CharField(
        label=gettext_lazy("Prefix for the references (optional)"),
        help_text=gettext_lazy(
            "For a file from another survey whose numbers start at 1 again (a second "
            "问卷星 survey, say): “external-” keeps its reply 1 apart from the reply 1 "
            "imported before, instead of taking it as already imported."
        ),
        required=False,
        max_length=40,
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
        self.sheet = sheet
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
        names = [*self.RESPONDENT_FIELDS]
        names.insert(names.index("reference_column") + 1, "reference_prefix")
        return [self[name] for name in names]

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
        mapping = ReplyMapping(
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
            reference_prefix=data.get("reference_prefix") or "",
        )
        return with_option_orders(mapping, self.sheet, self.context)


def _digest(key: str) -> str:
    """A field name for a cell value (values may hold any character)."""
    return hashlib.blake2s(key.encode(), digest_size=6).hexdigest()


class ValueMappingForm(forms.Form):
    """For each distinct group, side and rating value in the mapped columns: keep the
    automatic reading (shown in the first option) or choose another, once per value.
    And, for a file that numbers the group question's options, their order."""

    group_options_text = forms.CharField(
        label=gettext_lazy("The group question's options, in your questionnaire's order"),
        help_text=gettext_lazy(
            "The file numbers the options (1, 2, 3 …). A questionnaire made from Materia's "
            "text file lists the groups in this assessment's order, and needs nothing "
            "here. For another questionnaire, paste its options as your survey tool lists "
            "them, one per line, by name or code."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )

    def __init__(
        self,
        data: Any = None,
        *,
        context: ImportContext,
        sheet: ReplySheet,
        columns: ReplyMapping,
    ) -> None:
        super().__init__(data)
        self.context = context
        self.lookup = context.group_lookup()
        pasted = self._pasted(data.get(self.add_prefix("group_options_text"), "") if data else "")
        if pasted:  # read as the pasted order says, before the form is validated
            columns = replace(columns, group_options=pasted)
        self.columns = columns
        self.numbered_groups = bool(columns.group_options)
        groups = {group.code: group for group in context.groups}
        self.group_values, self.group_distinct = column_values(sheet, _listed(columns.group_column))
        self.side_values, _side_distinct = column_values(sheet, _listed(columns.side_column))
        self.rating_values, self.rating_distinct = column_values(
            sheet, [cell.column for cell in columns.cells]
        )
        for value in self.group_values:
            known = groups.get(columns.group_read(value.key, self.lookup) or "")
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
        sides = {INTERNAL: _("Internal"), EXTERNAL: _("External")}
        for value in self.side_values:
            side = columns.side_read(value.key)
            if side is not None:
                automatic = _("As read: %(side)s") % {"side": sides[side]}
            elif value.key:
                automatic = _("Neither (an error)")
            else:
                automatic = _("Empty: as set for the group")
            self.fields[f"side__{_digest(value.key)}"] = forms.ChoiceField(
                label=_("Rows with side “%(value)s”") % {"value": value.shown or _("(empty)")},
                required=False,
                choices=[("", automatic), *sides.items()],
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
            elif read.skipped:
                automatic = _("As read: not answered")
            else:
                automatic = _("As read: %(level)s") % {"level": read.value}
            self.fields[f"value__{_digest(value.key)}"] = forms.ChoiceField(
                label=_("Value “%(value)s”") % {"value": value.shown or _("(empty)")},
                required=False,
                choices=[
                    ("", automatic),
                    *levels,
                    (DONT_KNOW, _("Don't know")),
                    (SKIPPED, _("Not answered")),
                    (REJECT, _("Refuse (an error)")),
                ],
            )

    def _pasted(self, text: str) -> tuple[str, ...]:
        """The group code of each pasted option line, in order; "" for a line that names
        no group, so that the options after it keep their numbers."""
        keys = [value_key(line) for line in text.splitlines() if line.strip()]
        return tuple(self.lookup.get(key, "") for key in keys)

    def clean_group_options_text(self) -> tuple[str, ...]:
        text = self.cleaned_data["group_options_text"]
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        unknown = [line for line in lines if value_key(line) not in self.lookup]
        if unknown:
            raise forms.ValidationError(
                _("Not a group of this assessment: %(lines)s.") % {"lines": "; ".join(unknown[:10])}
            )
        codes = self._pasted(text)
        twice = [line for line, code in zip(lines, codes, strict=True) if codes.count(code) > 1]
        if twice:
            raise forms.ValidationError(
                _("Each group can be one option only: %(lines)s.")
                % {"lines": "; ".join(dict.fromkeys(twice))}
            )
        return codes

    def group_rows(self) -> list[tuple[ValueCount, forms.BoundField]]:
        return [(value, self[f"group__{_digest(value.key)}"]) for value in self.group_values]

    def side_rows(self) -> list[tuple[ValueCount, forms.BoundField]]:
        return [(value, self[f"side__{_digest(value.key)}"]) for value in self.side_values]

    def rating_rows(self) -> list[tuple[ValueCount, forms.BoundField]]:
        return [(value, self[f"value__{_digest(value.key)}"]) for value in self.rating_values]

    def mapping(self) -> ReplyMapping:
        """The column mapping with the values chosen here (valid forms only)."""
        pasted: tuple[str, ...] = self.cleaned_data.get("group_options_text") or ()
        return replace(
            self.columns,
            group_values=self._chosen("group", self.group_values),
            group_options=pasted or self.columns.group_options,
            side_values=self._chosen("side", self.side_values),
            scale=replace(self.columns.scale, values=self._chosen("value", self.rating_values)),
        )

    def _chosen(self, prefix: str, values: list[ValueCount]) -> dict[str, str]:
        chosen = {
            value.key: self.cleaned_data.get(f"{prefix}__{_digest(value.key)}") or ""
            for value in values
        }
        return {key: choice for key, choice in chosen.items() if choice}


def _listed(column: int | None) -> list[int]:
    return [] if column is None else [column]


def _level_label(context: ImportContext, level: int) -> str:
    label = pick(context.scale_labels.get(str(level)))
    return f"{level} ({label})" if label else str(level)
