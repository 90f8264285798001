"""Contracts: policies, coverages, roles, the status state machine and its event journal."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "lifecrm.policies"
    label = "policies"
    verbose_name = _("Policies")

    def ready(self) -> None:
        # register the daily step, the timeline source and the book generator steps
        from lifecrm.policies import generator, jobs, privacy, timeline  # noqa: F401  (privacy: PIPL sections)
