from rest_framework.routers import DefaultRouter

from materiality.api.views import StakeholderGroupViewSet, TopicViewSet

router = DefaultRouter()
router.register("topics", TopicViewSet, basename="topic")
router.register("stakeholder-groups", StakeholderGroupViewSet, basename="stakeholder-group")

urlpatterns = router.urls
