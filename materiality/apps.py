from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MaterialityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "materiality"
    verbose_name = _("Materiality")

    def ready(self) -> None:
        from materiality.roles import sync_roles_after_migrate

        # Permissions only exist once every app has migrated, so the role groups are
        # (re)synchronised after `migrate`, the same hook Django uses to create them.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="materiality.sync_roles")
