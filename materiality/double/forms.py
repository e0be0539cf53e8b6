"""The forms of the DMA setup pages. Each checks what a person can get wrong beside the
field it is about; the rules themselves live in the services (`setup`, `register`,
`raters_service`), whose messages the forms place on their fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from materiality.double.models import (
    NATURE,
    Actuality,
    DmaFrameworks,
    DoubleAssessment,
    Horizon,
    Involvement,
    Iro,
    IroKind,
    IroSource,
    Matter,
    Polarity,
    RaterRole,
    ValueChainStage,
)
from materiality.double.register import IroInput, iro_field_errors
from materiality.double.setup import BAND_COUNT, DmaInput, dma_field_errors
from materiality.importing.tables import MAX_BYTES
from materiality.models import Assessment
from surveys.translations import TranslatedTextFormField

BAND_FIELDS = [f"band_{level}" for level in range(1, BAND_COUNT + 1)]
DATE = forms.DateInput(attrs={"type": "date"})


def place_errors(form: forms.Form, errors: Iterable[tuple[str, str]]) -> None:
    """Put a service's (field, message) pairs on the form: beside the field, or at the
    top for "" or a field the form does not show."""
    for name, message in errors:
        form.add_error(name if name in form.fields else None, message)


class DmaForm(forms.Form):
    name = TranslatedTextFormField(label=_("Name"), max_length=200)
    period_start = forms.DateField(label=_("Reporting period starts"), widget=DATE)
    period_end = forms.DateField(label=_("Reporting period ends"), widget=DATE)
    frameworks = forms.ChoiceField(
        label=_("Frameworks"), choices=DmaFrameworks.choices, widget=forms.RadioSelect
    )
    survey_assessment = forms.ModelChoiceField(
        label=_("Stakeholder survey (optional)"),
        help_text=_("Its scores are shown beside each matter as evidence."),
        queryset=Assessment.objects.select_related("survey"),
        required=False,
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        initial="CNY",
        help_text=_("A three-letter code such as CNY."),
    )

    def __init__(self, *args: Any, instance: DoubleAssessment | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for level, name in enumerate(BAND_FIELDS, start=1):
            self.fields[name] = forms.DecimalField(
                label=_("Magnitude %(level)d from") % {"level": level},
                required=False,
                min_value=0,
                max_digits=18,
                decimal_places=2,
            )
        if instance is not None and not self.is_bound:
            self.initial.update(
                name=instance.name,
                period_start=instance.period_start,
                period_end=instance.period_end,
                frameworks=instance.frameworks,
                survey_assessment=instance.survey_assessment,
                currency=instance.currency,
                **dict(zip(BAND_FIELDS, instance.magnitude_bands, strict=False)),
            )
        elif not self.is_bound:
            self.initial.setdefault("frameworks", DmaFrameworks.BOTH)

    def band_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in BAND_FIELDS]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in BAND_FIELDS]

    def band_errors(self) -> list[str]:
        return [str(error) for name in BAND_FIELDS for error in self.errors.get(name, [])]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        bands = [cleaned.get(name) for name in BAND_FIELDS]
        if any(band is not None for band in bands) and None in bands:
            self.add_error(BAND_FIELDS[0], gettext("Give all five bands, or none for now."))
            return cleaned
        for name, messages in dma_field_errors(self.to_input()).items():
            target = BAND_FIELDS[0] if name == "magnitude_bands" else name
            for message in messages:
                self.add_error(target if target in self.fields else None, message)
        return cleaned

    def to_input(self) -> DmaInput:
        data = self.cleaned_data
        bands = [data.get(name) for name in BAND_FIELDS]
        return DmaInput(
            name=data["name"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            frameworks=data["frameworks"],
            survey_assessment=data.get("survey_assessment"),
            currency=data["currency"],
            magnitude_bands=[str(band) for band in bands] if None not in bands else [],
        )


class ContextForm(forms.Form):
    context = TranslatedTextFormField(
        label=_("Business context and value chain"),
        help_text=_(
            "What the company does, where, with whom: its business model, its value chain "
            "upstream and downstream, and its affected stakeholders. The long list is drawn "
            "from it."
        ),
        max_length=8000,
        multiline=True,
        required=False,
    )


class MatterForm(forms.Form):
    name = TranslatedTextFormField(label=_("Name of the matter"), max_length=300)
    parent = forms.ModelChoiceField(
        label=_("Under (optional)"), queryset=Matter.objects.none(), required=False
    )
    dimension = forms.ChoiceField(
        label=_("Dimension"),
        choices=[("", "—"), ("E", _("Environmental")), ("S", _("Social")), ("G", _("Governance"))],
        required=False,
        help_text=_("Taken from the matter above when left blank."),
    )
    reference = forms.CharField(label=_("Reference (optional)"), max_length=64, required=False)

    def __init__(self, *args: Any, matters: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_matters(self.fields["parent"], matters.filter(level__lt=3))


def set_matters(field: forms.Field, matters: Any) -> None:
    if isinstance(field, forms.ModelChoiceField):
        field.queryset = matters
        field.label_from_instance = matter_label  # type: ignore[method-assign,assignment]


def matter_label(matter: Matter) -> str:
    prefix = "\u2003" * (matter.level - 1)  # em spaces show the tree in a plain <select>
    reference = f" ({matter.reference})" if matter.reference else ""
    return f"{prefix}{matter.get_name()}{reference}"


class IroForm(forms.Form):
    matter = forms.ModelChoiceField(label=_("Matter"), queryset=Matter.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=IroKind.choices, widget=forms.RadioSelect)
    title = TranslatedTextFormField(label=_("Title"), max_length=300)
    description = TranslatedTextFormField(
        label=_("Description (optional)"), max_length=4000, multiline=True, required=False
    )
    polarity = forms.ChoiceField(
        label=_("Negative or positive (impacts)"),
        choices=Polarity.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    actuality = forms.ChoiceField(
        label=_("Actual or potential (impacts)"),
        choices=Actuality.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    human_rights = forms.BooleanField(label=_("A human-rights impact"), required=False)
    involvement = forms.ChoiceField(
        label=_("Involvement (impacts, optional)"),
        choices=[("", _("Not stated")), *Involvement.choices],
        widget=forms.RadioSelect,
        required=False,
    )
    value_chain = forms.MultipleChoiceField(
        label=_("Value-chain stages"),
        choices=ValueChainStage.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("At least one before the IRO can be rated."),
    )
    horizons = forms.MultipleChoiceField(
        label=_("Time horizons"),
        choices=Horizon.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("At least one before the IRO can be rated."),
    )
    stakeholders = forms.CharField(
        label=_("Affected stakeholders (optional)"),
        help_text=_("One a line, such as customers or employees."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    nature = forms.BooleanField(label=_("Nature is affected"), required=False)
    financial_effect = TranslatedTextFormField(
        label=_("Financial effect (risks and opportunities)"),
        help_text=_("How it would affect cash flows, financial position or cost of capital."),
        max_length=4000,
        multiline=True,
        required=False,
    )
    source = forms.ChoiceField(
        label=_("Where it came from"), choices=[("", "—"), *IroSource.choices]
    )
    reference = forms.CharField(
        label=_("Reference (optional)"),
        help_text=_("Left blank, the next free IRO-nnn is given."),
        max_length=32,
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        dma: DoubleAssessment,
        matters: Any,
        instance: Iro | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.dma = dma
        set_matters(self.fields["matter"], matters)
        if instance is not None and not self.is_bound:
            self.initial.update(
                {
                    name: getattr(instance, name)
                    for name in (
                        "matter",
                        "kind",
                        "title",
                        "description",
                        "polarity",
                        "actuality",
                        "human_rights",
                        "involvement",
                        "value_chain",
                        "horizons",
                        "financial_effect",
                        "source",
                        "reference",
                    )
                }
            )
            self.initial["stakeholders"] = "\n".join(
                s for s in instance.stakeholders if s != NATURE
            )
            self.initial["nature"] = NATURE in instance.stakeholders

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            place_errors(self, iro_field_errors(self.dma, self.to_input()))
        return cleaned

    def to_input(self) -> IroInput:
        data = self.cleaned_data
        stakeholders = [line.strip() for line in data["stakeholders"].splitlines() if line.strip()]
        if data["nature"]:
            stakeholders.append(NATURE)
        impact = data["kind"] == IroKind.IMPACT
        return IroInput(
            matter=data["matter"],
            kind=data["kind"],
            title=data["title"],
            description=data["description"],
            # What describes impacts only is dropped from a risk or opportunity, so a
            # choice left over from switching the kind is no mistake.
            polarity=data["polarity"] if impact else "",
            actuality=data["actuality"] if impact else "",
            human_rights=data["human_rights"] and impact,
            involvement=data["involvement"] if impact else "",
            value_chain=data["value_chain"],
            horizons=data["horizons"],
            stakeholders=stakeholders,
            financial_effect=data["financial_effect"] if not impact else {},
            source=data["source"],
            reference=data["reference"].strip(),
        )


class RegisterFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *IroKind.choices], required=False
    )
    matter = forms.ModelChoiceField(
        label=_("Matter"), queryset=Matter.objects.none(), required=False, empty_label=_("All")
    )
    ratable = forms.ChoiceField(
        label=_("Can be rated"),
        choices=[("", _("All")), ("yes", _("Yes")), ("no", _("Not yet"))],
        required=False,
    )

    def __init__(self, *args: Any, matters: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_matters(self.fields["matter"], matters)


class RegisterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Register file (.xlsx or .csv)"),
        help_text=_(
            "Start from the downloaded register: a row with a known reference changes that "
            "IRO, any other row adds one. Nothing is stored while a row is wrong."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if (upload.size or 0) > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class RaterForm(forms.Form):
    username = forms.CharField(
        label=_("Username on this site"),
        help_text=_("A rater with an account rates in the browser."),
        max_length=150,
        required=False,
    )
    name = forms.CharField(
        label=_("Name"),
        help_text=_("For a rater without an account (the team enters their ratings)."),
        max_length=120,
        required=False,
    )
    role = forms.ChoiceField(label=_("Role"), choices=RaterRole.choices, widget=forms.RadioSelect)
