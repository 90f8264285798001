"""Renewal premium collection (續期收費): schedules, grace, suspension, reinstatement, lapse."""
from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_dunning_plans(sender, using="default", **kwargs) -> None:
    from lifecrm.billing.models import DunningStep
    from lifecrm.billing.reference_data import load_dunning_plans
    from lifecrm.core.reference_data import migrated

    if migrated(DunningStep, using):  # a partial `migrate` may stop before this app's dunning tables exist
        load_dunning_plans(using=using)


class BillingConfig(AppConfig):
    name = "lifecrm.billing"
    label = "billing"
    verbose_name = _("Renewal collection")

    def ready(self) -> None:
        from lifecrm.billing import contract_changes, demo, generator, jobs, privacy, waivers, work  # noqa: F401  generator, daily, demo steps; PIPL; work; dues follow versions and waivers
        from lifecrm.billing.views import bankfiles  # noqa: F401  its part of banking's bank-file pages
        from lifecrm.core.generator import register_derived

        register_derived("billing.RenewalPriority")  # value's lapse risk × value: replaced with the book
        post_migrate.connect(_load_dunning_plans, sender=self, dispatch_uid="lifecrm.billing.dunning_plans")
