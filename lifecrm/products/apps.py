"""The product catalogue and its actuarial tables (premium rates, cash values)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductsConfig(AppConfig):
    name = "lifecrm.products"
    label = "products"
    verbose_name = _("Products")
