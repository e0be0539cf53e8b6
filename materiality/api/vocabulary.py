"""The vocabulary: topics and stakeholder groups. Role members read them; writing them
is for administrators (the ``add``/``change`` permissions of the models, which only
superusers hold). Nothing is deleted: a retired row keeps every past assessment, answer
and score pointing at it, as in the admin."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django_filters import rest_framework as django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import filters, mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.routers import SimpleRouter

from materiality.api.fields import TranslatedTextField
from materiality.api.parsers import TextJSONParser
from materiality.models import StakeholderGroup, Topic, TopicReference
from materiality.models.vocabulary import code_validator

# The codes the models accept (code_validator), so that anything else is an unknown
# address before it reaches the database.
CODE_PATTERN = r"[a-z0-9_-]+"  # no groups: the URL-walking access test fills it in
MAX_ORDER = 2_147_483_647  # the largest value every database keeps in the column

RETIRE_NOTE = (
    "Nothing here is ever deleted: past assessments, answers and scores keep pointing at "
    "a row. To stop using one, retire it with `active: false` (PATCH); it disappears from "
    "new assessments and stays readable."
)


class TopicReferenceSerializer(serializers.ModelSerializer):
    title = TranslatedTextField(required=False, max_length=200)

    class Meta:
        model = TopicReference
        fields = ["framework", "reference", "title"]


class VocabularySerializer(serializers.ModelSerializer):
    """What topics and groups share: a stable code, fixed once created, and an order."""

    code = serializers.CharField(
        max_length=64,
        validators=[code_validator],
        help_text="Stable identifier used in exports and the API; fixed once created.",
    )
    order = serializers.IntegerField(min_value=0, max_value=MAX_ORDER, required=False)

    def validate_code(self, value: str) -> str:
        # Checked here, once the value is a valid code, rather than by a field validator
        # that would query the database with whatever was sent.
        model: type[Model] = self.Meta.model
        if model._default_manager.filter(code=value).exists():
            raise ValidationError(_("This code is already in use."), code="unique")
        return value


class TopicSerializer(VocabularySerializer):
    """An ESG topic, in both languages, with where it comes from (GRI, SASB, SDGs …)."""

    name = TranslatedTextField(max_length=120)
    description = TranslatedTextField(required=False, multiline=True, max_length=500)
    references = TopicReferenceSerializer(many=True, read_only=True)

    class Meta:
        model = Topic
        fields = ["code", "name", "description", "dimension", "active", "order", "references"]


class TopicUpdateSerializer(TopicSerializer):
    code = serializers.CharField(read_only=True)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^\d{1,3}(?:\.\d{1,3})?$"})
class WeightField(serializers.DecimalField):
    """A group's default weight: 0 to 999.999, as a decimal string ("1.500")."""


class StakeholderGroupSerializer(VocabularySerializer):
    """A stakeholder group: internal or external, its default weight, how it is engaged."""

    name = TranslatedTextField(max_length=120)
    description = TranslatedTextField(required=False, multiline=True, max_length=500)
    concerns = TranslatedTextField(required=False, multiline=True, max_length=500)
    channels = TranslatedTextField(required=False, multiline=True, max_length=500)
    frequency = TranslatedTextField(required=False, max_length=120)
    default_weight = WeightField(max_digits=6, decimal_places=3, min_value=0, required=False)

    class Meta:
        model = StakeholderGroup
        fields = [
            "code",
            "name",
            "description",
            "internal",
            "default_weight",
            "concerns",
            "channels",
            "frequency",
            "active",
            "order",
        ]


class StakeholderGroupUpdateSerializer(StakeholderGroupSerializer):
    code = serializers.CharField(read_only=True)


def _vocabulary_permissions(model: str) -> dict[str, str]:
    read = f"materiality.view_{model}"
    change = f"materiality.change_{model}"
    return {
        "list": read,
        "retrieve": read,
        "create": f"materiality.add_{model}",
        "update": change,
        "partial_update": change,
    }


class PlainSearchFilter(filters.SearchFilter):
    """``?search=`` over the code and the name in every language (DRF's own filter, which
    already refuses a NUL with a 400), documented for this list."""

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["description"] = (
                "Words to find in the code or in the name, in any language; "
                "a row must contain every word."
            )
        return parameters


class StrictOrderingFilter(filters.OrderingFilter):
    """``?ordering=`` with a field this list cannot be sorted by is a 400, not ignored."""

    def remove_invalid_fields(
        self, queryset: QuerySet[Any], fields: Iterable[str], view: Any, request: Request
    ) -> list[str]:
        fields = [field for field in fields if field.strip()]
        valid: list[str] = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len(fields):
            allowed = ", ".join(view.ordering_fields)
            message = _("Sort by one of: %(fields)s (a leading - reverses).") % {"fields": allowed}
            raise ValidationError({self.ordering_param: [message]}, code="invalid")
        return valid

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        names = [name for field in view.ordering_fields for name in (field, f"-{field}")]
        for parameter in parameters:
            parameter["schema"] = {"type": "string", "enum": names}
            parameter["description"] = (
                "Sort by this field (a leading - reverses); by order, then code, if absent."
            )
        return parameters


class StrictBooleanField(forms.NullBooleanField):
    """``true`` or ``false``; anything else is a 400 rather than a filter quietly dropped."""

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if isinstance(value, bool):  # the widget has read "true"/"false" already
            return value
        if value in (None, ""):
            return None
        found = {"true": True, "false": False}.get(str(value))
        if found is None:
            raise forms.ValidationError(_("Enter true or false."), code="invalid")
        return found

    def validate(self, value: Any) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The raw text reaches the field: django-filter's own widget reads "127563" as
        # "not given", and the filter would be dropped without a word.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class TopicFilter(django_filters.FilterSet):
    active = StrictBooleanFilter()

    class Meta:
        model = Topic
        fields = ["dimension", "active"]


class StakeholderGroupFilter(django_filters.FilterSet):
    internal = StrictBooleanFilter()
    active = StrictBooleanFilter()

    class Meta:
        model = StakeholderGroup
        fields = ["internal", "active"]


def _search_fields() -> list[str]:
    return ["code", *(f"name__{code}" for code, _name in settings.LANGUAGES)]


class VocabularyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    filter_backends = [DjangoFilterBackend, PlainSearchFilter, StrictOrderingFilter]
    ordering_fields = ["order", "code"]
    ordering = ["order", "code"]
    parser_classes = [TextJSONParser]  # the texts are objects by language: no form can carry them
    update_serializer_class: type[serializers.Serializer]

    @property
    def search_fields(self) -> list[str]:
        return _search_fields()

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action in ("update", "partial_update"):
            return self.update_serializer_class
        return super().get_serializer_class()


TOPIC_EXAMPLE = OpenApiExample(
    "A new topic",
    request_only=True,
    value={
        "code": "biodiversity",
        "name": {"zh-hans": "生物多样性保护", "en": "Biodiversity protection"},
        "description": {"en": "Protecting habitats near our sites."},
        "dimension": "E",
        "order": 18,
    },
)


@extend_schema_view(
    list=extend_schema(description="Topics, in their order. Filter, search and sort below."),
    create=extend_schema(
        description="Add a topic (administrators). " + RETIRE_NOTE, examples=[TOPIC_EXAMPLE]
    ),
    update=extend_schema(description="Replace a topic's texts (administrators). " + RETIRE_NOTE),
    partial_update=extend_schema(
        description='Change some of a topic\'s fields (administrators); `{"active": false}` '
        "retires it. " + RETIRE_NOTE
    ),
)
class TopicViewSet(VocabularyViewSet):
    serializer_class = TopicSerializer
    update_serializer_class = TopicUpdateSerializer
    action_permissions = _vocabulary_permissions("topic")
    filterset_class = TopicFilter

    def get_queryset(self) -> QuerySet[Topic]:
        return Topic.objects.prefetch_related("references")


@extend_schema_view(
    list=extend_schema(
        description="Stakeholder groups, in their order. Filter, search and sort below."
    ),
    create=extend_schema(description="Add a stakeholder group (administrators). " + RETIRE_NOTE),
    update=extend_schema(
        description="Replace a stakeholder group's texts (administrators). " + RETIRE_NOTE
    ),
    partial_update=extend_schema(
        description='Change some of a group\'s fields (administrators); `{"active": false}` '
        "retires it. " + RETIRE_NOTE
    ),
)
class StakeholderGroupViewSet(VocabularyViewSet):
    serializer_class = StakeholderGroupSerializer
    update_serializer_class = StakeholderGroupUpdateSerializer
    action_permissions = _vocabulary_permissions("stakeholdergroup")
    filterset_class = StakeholderGroupFilter
    queryset = StakeholderGroup.objects.all()


router = SimpleRouter()
router.register("topics", TopicViewSet, basename="topic")
router.register("stakeholder-groups", StakeholderGroupViewSet, basename="stakeholder-group")
urlpatterns = router.urls
