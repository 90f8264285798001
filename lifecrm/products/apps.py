"""The product catalogue and its actuarial tables (premium rates, cash values)."""
from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_product_tables(sender, using="default", **kwargs) -> None:
    from lifecrm.products.models import Product
    from lifecrm.products.reference_data import load_product_tables

    # A partial `migrate` may stop before this app's tables or its latest column exist.
    connection = connections[using]
    table = Product._meta.db_table
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return
        columns = {column.name for column in connection.introspection.get_table_description(cursor, table)}
    if "tables_checksum" not in columns:
        return
    load_product_tables(using=using)


class ProductsConfig(AppConfig):
    name = "lifecrm.products"
    label = "products"
    verbose_name = _("Products")

    def ready(self) -> None:
        post_migrate.connect(_load_product_tables, sender=self, dispatch_uid="lifecrm.products.reference_data")
