"""Contracts: policies, coverages, roles, the status state machine and its event journal."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "lifecrm.policies"
    label = "policies"
    verbose_name = _("Policies")

    def ready(self) -> None:
        # register the daily step, the timeline source, the book generator steps and the path copy
        from lifecrm.core.generator import register_derived
        from lifecrm.policies import generator, jobs, privacy, services, timeline  # noqa: F401  (privacy: PIPL sections)

        # Loans are granted by servicing requests and billing's automatic premium loans after the seed: they go
        # with the book (repayments first: they point at their loans).
        register_derived("policies.LoanRepayment")
        register_derived("policies.PolicyLoan")
