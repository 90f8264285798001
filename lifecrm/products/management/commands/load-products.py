"""`lifecrm load-products`: load the product catalogue and its tables from the shipped CSV files."""
from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lifecrm.products.reference_data import DATA_DIR, ProductDataError, load_product_tables


class Command(BaseCommand):
    help = "Load products, mode factors, premium rates and cash values from lifecrm/products/data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="rewrite every product, changed or not")
        parser.add_argument("--data-dir", default=str(DATA_DIR), help="folder with the four CSV files")
        parser.add_argument("--database", default="default")

    def handle(self, *args, force=False, data_dir=str(DATA_DIR), database="default", **options):
        started = time.perf_counter()
        try:
            result = load_product_tables(data_dir=Path(data_dir), force=force, using=database)
        except ProductDataError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{result} in {time.perf_counter() - started:.2f}s")
