"""The insurer's collection accounts, one per currency, from `settings.BANK_DEBIT_CREDITORS`.

    BANK_DEBIT_CREDITORS = {
        "CNY": {"name": "…人寿保险股份有限公司", "account": "110…", "bank_code": "102100099996",
                "jurisdiction": "CN", "scheme_id": "…"},
    }

dev and test fall back to DEMO_CREDITORS; elsewhere a missing currency is a configuration error.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from lifecrm.banking.formats.pain008 import Creditor

DEMO_CREDITORS = {
    "CNY": {"name": "示例人寿保险股份有限公司", "account": "110060149018010001234", "bank_code": "301290000007",
            "jurisdiction": "CN", "scheme_id": "LIFECRM-DD-CN"},
    "HKD": {"name": "示例人壽保險有限公司", "account": "004123456789001", "bank_code": "HSBCHKHHHKH",
            "jurisdiction": "HK", "scheme_id": "LIFECRM-DD-HK"},
    "TWD": {"name": "示例人壽保險股份有限公司", "account": "0081234567890", "bank_code": "0040037",
            "jurisdiction": "TW", "scheme_id": "LIFECRM-DD-TW"},
}


def creditor_for(currency: str) -> Creditor:
    configured = getattr(settings, "BANK_DEBIT_CREDITORS", None)
    if configured is None and getattr(settings, "INSECURE_ENV", False):
        configured = DEMO_CREDITORS
    if not configured or currency not in configured:
        raise ImproperlyConfigured(f"BANK_DEBIT_CREDITORS has no collection account for {currency}")
    return Creditor(**configured[currency])
