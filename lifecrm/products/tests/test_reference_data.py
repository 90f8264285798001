"""Tests of the product table loader: complete, idempotent, change-detecting, fast."""
from __future__ import annotations

import shutil
from decimal import Decimal

import pytest
from django.core.management import call_command

from lifecrm.products.models import CashValue, PremiumModeFactor, PremiumRate, Product
from lifecrm.products.reference_data import DATA_DIR, ProductDataError, load_product_tables

pytestmark = pytest.mark.django_db


def csv_rows(name: str) -> int:
    return len((DATA_DIR / name).read_text(encoding="utf-8").splitlines()) - 1


def test_migrate_leaves_a_ready_catalogue():
    load_product_tables()  # a no-op when post_migrate already loaded the tables
    assert Product.objects.count() == csv_rows("products.csv") == 10
    assert PremiumModeFactor.objects.count() == csv_rows("mode_factors.csv")
    assert PremiumRate.objects.count() == csv_rows("premium_rates.csv")
    assert CashValue.objects.count() == csv_rows("cash_values.csv")
    assert set(Product.objects.values_list("jurisdiction_id", flat=True)) == {"CN", "HK", "TW"}
    whole_life = Product.objects.get(code="CN-WL01")
    assert (whole_life.currency, whole_life.terms, whole_life.premium_terms) == ("CNY", "0", "10,20")
    assert whole_life.loan_limit_pct == Decimal("80.00")
    assert Product.objects.get(code="HK-TL01").name == "安心定期人壽保險"


def test_loading_twice_changes_nothing(django_assert_max_num_queries):
    load_product_tables()
    with django_assert_max_num_queries(1):
        result = load_product_tables()
    assert result.unchanged == sorted(Product.objects.values_list("code", flat=True))
    assert result.created == result.updated == [] and result.rows_written == 0


def test_an_unchanged_product_keeps_its_admin_edits():
    load_product_tables()
    Product.objects.filter(code="CN-EN01").update(is_active=False)
    load_product_tables()
    assert Product.objects.get(code="CN-EN01").is_active is False


def test_force_rewrites_every_row_and_keeps_product_ids():
    load_product_tables()
    ids = set(Product.objects.values_list("id", flat=True))
    result = load_product_tables(force=True)
    assert len(result.updated) == 10 and result.rows_written == sum(
        csv_rows(name) for name in ("mode_factors.csv", "premium_rates.csv", "cash_values.csv")
    )
    assert set(Product.objects.values_list("id", flat=True)) == ids  # products keep their ids (policies point at them)
    assert PremiumRate.objects.count() == csv_rows("premium_rates.csv")


def test_a_changed_product_alone_is_reloaded(tmp_path):
    load_product_tables()
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    rates = data / "premium_rates.csv"
    lines = rates.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("HK-TL01,F,40,20,20,"))
    lines[index] = "HK-TL01,F,40,20,20,9.9999"
    rates.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = load_product_tables(data_dir=data)

    assert result.updated == ["HK-TL01"] and len(result.unchanged) == 9
    changed = PremiumRate.objects.get(product__code="HK-TL01", sex="F", issue_age=40, term=20, premium_term=20)
    assert changed.rate == Decimal("9.9999")
    assert CashValue.objects.filter(product__code="HK-TL01").count() > 0
    load_product_tables()  # back to the shipped files
    assert PremiumRate.objects.get(
        product__code="HK-TL01", sex="F", issue_age=40, term=20, premium_term=20
    ).rate != Decimal("9.9999")


def test_bad_files_fail_with_a_clear_error_and_write_nothing(tmp_path):
    load_product_tables()
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    with (data / "cash_values.csv").open("a", encoding="utf-8") as handle:
        handle.write("XX-NONE,M,30,10,10,1,0.0000\n")
    with pytest.raises(ProductDataError, match="XX-NONE"):
        load_product_tables(data_dir=data)
    shutil.copy(DATA_DIR / "cash_values.csv", data / "cash_values.csv")
    rates = data / "premium_rates.csv"
    shipped = rates.read_text(encoding="utf-8")
    rates.write_text(shipped.replace("product,sex,issue_age,term,premium_term,rate",
                                     "product,sex,term,issue_age,premium_term,rate", 1), encoding="utf-8")
    with pytest.raises(ProductDataError, match="must have the columns product,sex,issue_age,term"):
        load_product_tables(data_dir=data, force=True)
    rates.write_text(shipped.replace("CN-TL01,M,18,10,10,1.0149", "CN-TL01,M,18,10,10,1,0149", 1), encoding="utf-8")
    with pytest.raises(ProductDataError, match=r"premium_rates.csv: 'CN-TL01,M,18,10,10,1,0149' does not give"):
        load_product_tables(data_dir=data, force=True)
    rates.write_text(shipped.replace("CN-TL01,M,18,10,10,1.0149", "CN-TL01,M,18,10,10,abc", 1), encoding="utf-8")
    with pytest.raises(ProductDataError, match="as numbers where numbers are due"):
        load_product_tables(data_dir=data, force=True)
    assert PremiumRate.objects.get(product__code="CN-TL01", sex="M", issue_age=18, term=10, premium_term=10).rate == (
        Decimal("1.0149"))  # nothing written
    (data / "mode_factors.csv").unlink()
    with pytest.raises(ProductDataError, match="missing"):
        load_product_tables(data_dir=data)
    assert not Product.objects.filter(code="XX-NONE").exists()


def test_load_products_command(capsys):
    call_command("load-products")
    assert "10 unchanged" in capsys.readouterr().out
