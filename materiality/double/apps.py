from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoubleConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "materiality.double"
    label = "double"
    verbose_name = _("Double materiality")
