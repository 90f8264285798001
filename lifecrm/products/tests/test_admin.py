"""Tests of the product admin: the catalogue is editable, the derived tables are read-only."""
from __future__ import annotations

import pytest
from django.urls import reverse

from lifecrm.products.models import CashValue, PremiumRate, Product
from lifecrm.products.reference_data import load_product_tables

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalogue():
    load_product_tables()


@pytest.mark.parametrize("model", ["product", "premiumrate", "cashvalue"])
def test_changelists_render(admin_client, model):
    assert admin_client.get(reverse(f"admin:products_{model}_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["premiumrate", "cashvalue"])
def test_table_changelists_filter_by_product_and_sex(admin_client, model):
    product = Product.objects.get(code="HK-WL01")
    query = {"product__id__exact": product.pk, "sex": "F", "premium_term": 10}
    response = admin_client.get(reverse(f"admin:products_{model}_changelist"), query)
    assert response.status_code == 200
    assert b"HK-WL01" in response.content


def test_product_is_editable_with_its_mode_factors(admin_client):
    product = Product.objects.get(code="CN-WL01")
    response = admin_client.get(reverse("admin:products_product_change", args=[product.pk]))
    assert response.status_code == 200
    assert b"mode_factors-0-factor" in response.content


def test_rate_and_cash_value_tables_are_read_only(admin_client):
    rate = PremiumRate.objects.first()
    value = CashValue.objects.first()
    assert admin_client.get(reverse("admin:products_premiumrate_add")).status_code == 403
    delete = reverse("admin:products_premiumrate_delete", args=[rate.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:products_cashvalue_change", args=[value.pk])
    assert admin_client.post(change, {"value": "1"}).status_code == 403
    assert CashValue.objects.get(pk=value.pk).value == value.value
