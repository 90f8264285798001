"""Customer value: actuarial projection, customer value, segments and tiers, entitlements, lapse risk."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValueConfig(AppConfig):
    name = "lifecrm.value"
    label = "value"
    verbose_name = _("Customer value")
