from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from materiality.importing.tables import MAX_BYTES
from materiality.models import Assessment, StakeholderGroup, Topic
from materiality.services import AssessmentInput
from surveys.forms import PageForm
from surveys.translations import TranslatedTextFormField


class TopicChoiceField(forms.ModelMultipleChoiceField):
    """Topics with their dimension and, for next year's screening, how many report
    readers' comments were tagged with them."""

    def label_from_instance(self, obj: Any) -> str:
        label = gettext("%(topic)s (%(dimension)s)") % {
            "topic": obj.get_name(),
            "dimension": obj.get_dimension_display(),
        }
        comments = getattr(obj, "reader_comment_count", 0)
        if comments:
            label += " · " + ngettext("%(n)d reader comment", "%(n)d reader comments", comments) % {
                "n": comments
            }
        return label


class GroupChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_name()


def assessment_date_errors(values: Mapping[str, Any]) -> dict[str, str]:
    """The rules an assessment's dates follow, by field: the form and the API check them
    alike."""
    errors: dict[str, str] = {}
    start, end = values.get("period_start"), values.get("period_end")
    if start and end and start > end:
        errors["period_end"] = gettext("The period must end after it starts.")
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if opens and closes and opens >= closes:
        errors["closes_at"] = gettext("The survey must close after it opens.")
    return errors


class AssessmentForm(forms.Form):
    title = TranslatedTextFormField(label=_("Title"), max_length=200)
    period_start = forms.DateField(
        label=_("Reporting period starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("Reporting period ends"), widget=forms.DateInput(attrs={"type": "date"})
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages offered to respondents"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    topics = TopicChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.active().annotate(reader_comment_count=Count("reader_comments")),
        widget=forms.CheckboxSelectMultiple,
    )
    groups = GroupChoiceField(
        label=_("Stakeholder groups"),
        queryset=StakeholderGroup.objects.active(),
        widget=forms.CheckboxSelectMultiple,
    )
    opens_at = forms.DateTimeField(
        label=_("Opens at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    estimated_minutes = forms.IntegerField(
        label=_("Estimated minutes to answer"), min_value=1, max_value=120, initial=10
    )
    previous = forms.ModelChoiceField(
        label=_("Previous assessment (for year-over-year comparison)"),
        queryset=Assessment.objects.select_related("survey"),
        required=False,
    )

    def __init__(self, *args: Any, instance: Assessment | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance
        previous = self.fields["previous"]
        if instance is not None and isinstance(previous, forms.ModelChoiceField):
            previous.queryset = Assessment.objects.exclude(pk=instance.pk)
        if not self.is_bound:
            self._set_initial(instance)

    def _set_initial(self, instance: Assessment | None) -> None:
        if instance is None:
            self.initial.update(
                languages=[code for code, _name in settings.LANGUAGES],
                topics=list(Topic.objects.active()),
                groups=list(StakeholderGroup.objects.active()),
            )
            return
        survey = instance.survey
        self.initial.update(
            title=survey.title,
            period_start=instance.period_start,
            period_end=instance.period_end,
            languages=survey.languages,
            topics=list(instance.topics.all()),
            groups=list(instance.groups.all()),
            opens_at=survey.opens_at,
            closes_at=survey.closes_at,
            estimated_minutes=survey.estimated_minutes,
            previous=instance.previous,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, message in assessment_date_errors(cleaned).items():
            self.add_error(name, message)
        return cleaned

    def to_input(self) -> AssessmentInput:
        data = self.cleaned_data
        topic_order = {pk: i for i, pk in enumerate(Topic.objects.values_list("pk", flat=True))}
        return AssessmentInput(
            title=data["title"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            languages=[code for code, _name in settings.LANGUAGES if code in data["languages"]],
            topics=sorted(data["topics"], key=lambda t: topic_order[t.pk]),
            groups=list(data["groups"]),
            opens_at=data.get("opens_at"),
            closes_at=data.get("closes_at"),
            estimated_minutes=data["estimated_minutes"],
            previous=data.get("previous"),
        )


class InviteeUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet of invitees (.csv or .xlsx)"),
        help_text=_("Columns: email, group (code or name), optionally language."),
    )
    expires_at = forms.DateTimeField(
        label=_("Links expire at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        # Refused before it is read into memory.
        if (upload.size or 0) > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class GroupLinkForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("Stakeholder group"), queryset=StakeholderGroup.objects.none()
    )

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = assessment.groups.all()
            field.label_from_instance = lambda obj: obj.get_name()  # type: ignore[method-assign]


# --- Reports and reader feedback ----------------------------------------------------------


class ReportForm(forms.Form):
    title = TranslatedTextFormField(label=_("Title"), max_length=200)
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    document_url = forms.URLField(
        label=_("Link to the report (optional)"), required=False, assume_scheme="https"
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages of the feedback form"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        initial=[code for code, _name in settings.LANGUAGES],
    )


class FeedbackPageForm(PageForm):
    """The feedback questions: none is required, but a form without a single answer is
    refused, so an empty post is never stored and counted as a reader."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors and next(self.answer_inputs(), None) is None:
            raise forms.ValidationError(
                _("Please answer at least one question before sending the form."),
                code="empty",
            )
        return cleaned


class FeedbackContactForm(forms.Form):
    """What the public feedback form asks besides its questions: an optional address,
    kept only with explicit consent, and a field that only robots fill in."""

    contact_email = forms.EmailField(
        label=_("Your e-mail address (optional)"),
        required=False,
        max_length=254,
        help_text=_("Only if you would like a reply."),
    )
    contact_consent = forms.BooleanField(
        label=_("I agree that my e-mail address is kept to reply to my feedback."),
        required=False,
    )
    # A honeypot: hidden from people (and from screen readers), tempting for robots.
    website = forms.CharField(required=False, max_length=200, label=_("Leave this field empty"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("contact_email") and not cleaned.get("contact_consent"):
            self.add_error(
                "contact_consent",
                _("Tick this box to let us keep your address, or leave the address empty."),
            )
        return cleaned

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website"))


class QuestionEditForm(forms.Form):
    text = TranslatedTextFormField(label=_("Question"), max_length=500, multiline=True)
    required = forms.BooleanField(label=_("An answer is required"), required=False)


class QuestionAddForm(forms.Form):
    KINDS = [
        ("single", _("Single choice")),
        ("multiple", _("Multiple choice")),
        ("rating", _("Rating (1 to 5)")),
        ("text", _("Free text")),
    ]
    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS)
    text = TranslatedTextFormField(label=_("Question"), max_length=500, multiline=True)
    choices = forms.CharField(
        label=_("Choices, one per line (for choice questions): English | 中文"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        lines = [
            line.strip() for line in (cleaned.get("choices") or "").splitlines() if line.strip()
        ]
        if kind in ("single", "multiple") and len(lines) < 2:
            self.add_error("choices", _("A choice question needs at least two choices."))
        if len(lines) > 20:
            self.add_error("choices", _("At most 20 choices."))
        cleaned["choice_lines"] = lines
        return cleaned


class CommentTagForm(forms.Form):
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
