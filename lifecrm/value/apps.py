"""Customer value: actuarial projection, customer value, segments and tiers, entitlements, lapse risk."""
from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_assumption_sets(sender, using="default", **kwargs) -> None:
    from lifecrm.core.reference_data import migrated
    from lifecrm.value.models import AssumptionSet
    from lifecrm.value.reference_data import load_assumption_sets

    if migrated(AssumptionSet, using):  # a partial `migrate` may stop before this app's tables exist
        load_assumption_sets(using=using)


def _load_tier_thresholds(sender, using="default", **kwargs) -> None:
    from lifecrm.core.reference_data import migrated
    from lifecrm.value.models import TierThresholds
    from lifecrm.value.reference_data import load_tier_thresholds

    if migrated(TierThresholds, using):
        load_tier_thresholds(using=using)


class ValueConfig(AppConfig):
    name = "lifecrm.value"
    label = "value"
    verbose_name = _("Customer value")

    def ready(self) -> None:
        from lifecrm.core.generator import register_derived
        from lifecrm.value import demo, jobs, privacy, work  # noqa: F401  the values steps, the demo's, PIPL, work

        register_derived("value.PolicyValue")  # derived from the book: replaced with it
        register_derived("value.CustomerValue")
        register_derived("value.LapseScore")

        # After products' own hook (INSTALLED_APPS order): the products exist when their sets are derived.
        post_migrate.connect(_load_assumption_sets, sender=self, dispatch_uid="lifecrm.value.assumption_sets")
        post_migrate.connect(_load_tier_thresholds, sender=self, dispatch_uid="lifecrm.value.tier_thresholds")
