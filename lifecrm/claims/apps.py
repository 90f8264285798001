"""Claims (理賠): report, documents, assessment, decision and payment of benefits inside the legal time limits."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "lifecrm.claims"
    label = "claims"
    verbose_name = _("Claims")

    def ready(self) -> None:
        from lifecrm.claims import demo, generator, paths, payout_results, timeline, work  # noqa: F401  (registrations)
