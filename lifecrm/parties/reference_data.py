"""The default entitlements per tier, loaded on migrate (and after a test database is flushed): missing rows are
created, rows head office has edited are kept. The two upper tiers get the VIP reminder ladder (a personal agent call
before the due date), are served first, on halved or three-quarter service-level targets, with a dedicated service
manager for diamond customers; every tier gets a birthday greeting."""
from __future__ import annotations

from decimal import Decimal

from lifecrm.core.reference_data import migrated

DEFAULT_ENTITLEMENTS = [
    # tier, stage, ladder, priority, SLA multiplier, dedicated manager, gifts, fee waivers (care: service's CareRule)
    ("diamond", "", "vip", 1, "0.50", True, ["birthday_gift", "health_check"], ["policy_loan_fee", "reinstatement_fee", "duplicate_document_fee"]),
    ("gold", "", "vip", 2, "0.75", False, ["birthday_gift"], ["duplicate_document_fee"]),
    ("silver", "", "standard", 3, "1.00", False, [], []),
    ("standard", "", "standard", 4, "1.00", False, [], []),
]


def load_entitlements(sender=None, using: str = "default", **kwargs) -> int:
    """Create the default entitlement rows that are missing (a post_migrate receiver). Returns rows created."""
    from lifecrm.parties.models import Entitlement

    if not migrated(Entitlement, using):  # a partial `migrate` may stop before the table exists
        return 0
    created = 0
    for tier, stage, ladder, priority, sla, manager, gifts, waivers in DEFAULT_ENTITLEMENTS:
        created += Entitlement.objects.using(using).get_or_create(tier=tier, stage=stage, defaults=dict(
            reminder_ladder=ladder, routing_priority=priority, sla_multiplier=Decimal(sla), dedicated_manager=manager,
            gifts=gifts, fee_waivers=waivers))[1]
    return created


def entitlements_changed(sender=None, **kwargs) -> None:
    """An entitlement row was saved or deleted (the admin, the loader above): every process's cached table
    (`selectors._entitlement_rows`) is read again."""
    from lifecrm.core.services import reference_data_changed

    reference_data_changed()
