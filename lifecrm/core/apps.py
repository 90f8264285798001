"""The shared kernel: money, business dates, jurisdiction rules, audit trail, batch jobs, registries."""
from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_reference_data(sender, using="default", **kwargs) -> None:
    from lifecrm.core.reference_data import load_reference_data

    load_reference_data()


class CoreConfig(AppConfig):
    name = "lifecrm.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from lifecrm.core import lookups  # noqa: F401  registers `__any`
        from lifecrm.core.appendonly import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="lifecrm.core.audit_maintenance")
        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="lifecrm.core.reference_data")
        from lifecrm.core.request_id import connect_celery_signals

        connect_celery_signals()  # a task queued in this process carries the current request id
        from lifecrm.core import choices

        choices.install()  # get_FOO_display without translating every label of the field
