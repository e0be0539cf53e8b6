"""Read-only API over the vocabulary. Writes happen in the admin (administrators only)."""

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.permissions import DjangoModelPermissions

from materiality.api.serializers import StakeholderGroupSerializer, TopicSerializer
from materiality.models import StakeholderGroup, Topic


class ViewModelPermissions(DjangoModelPermissions):
    """Reading needs the model's ``view`` permission too (DRF's default lets any user read)."""

    perms_map = {**DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}


class TopicViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TopicSerializer
    permission_classes = [ViewModelPermissions]
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Topic]:
        return Topic.objects.prefetch_related("references")


class StakeholderGroupViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StakeholderGroupSerializer
    permission_classes = [ViewModelPermissions]
    lookup_field = "code"
    queryset = StakeholderGroup.objects.all()
