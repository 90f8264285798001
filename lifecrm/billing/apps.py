"""Renewal premium collection (續期收費): schedules, grace, suspension, reinstatement, lapse."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "lifecrm.billing"
    label = "billing"
    verbose_name = _("Renewal collection")

    def ready(self) -> None:
        from lifecrm.billing import jobs  # noqa: F401  registers the daily steps
