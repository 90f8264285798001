"""Policy servicing (保全): change requests on policies, their clocks, maker-checker and execution."""
from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_request_types(sender, using="default", **kwargs) -> None:
    from lifecrm.core.reference_data import migrated
    from lifecrm.servicing.models import RequestType
    from lifecrm.servicing.reference_data import load_request_types

    if migrated(RequestType, using):  # a partial `migrate` may stop before this app's tables exist
        load_request_types(using=using)


class ServicingConfig(AppConfig):
    name = "lifecrm.servicing"
    label = "servicing"
    verbose_name = _("Policy servicing")

    def ready(self) -> None:
        from lifecrm.servicing import generator, paths, payment_results, timeline, work  # noqa: F401  (registrations)

        post_migrate.connect(_load_request_types, sender=self, dispatch_uid="lifecrm.servicing.request_types")
