"""Writes of the shared kernel: the audit trail (changes and reveals of sensitive fields)."""
from __future__ import annotations

from typing import Any

from django.utils import timezone

from lifecrm.core.models import AuditEvent


def audit_record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict | None = None,
    after: dict | None = None,
    field: str = "",
    purpose: str = "",
) -> AuditEvent:
    """Append one audit row. Call it inside the transaction of the write it records."""
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        field=field,
        purpose=purpose,
        before=before,
        after=after,
    )


def audit_record_many(*, actor, action: str, object_type: str, entries: list[tuple[Any, dict | None, dict | None]]
                      ) -> None:
    """Append one audit row per (object id, before, after), in one insert. Inside the write's transaction."""
    at = timezone.now()
    actor = actor if getattr(actor, "pk", None) else None
    AuditEvent.objects.bulk_create(
        [AuditEvent(at=at, actor=actor, action=action, object_type=object_type, object_id=str(object_id),
                    before=before, after=after) for object_id, before, after in entries],
        batch_size=1000,
    )


def audit_reveal(*, actor, object_type: str, object_id: Any, field: str, purpose: str) -> AuditEvent:
    """Record that `actor` saw the full value of a sensitive field, and why."""
    if not purpose.strip():
        raise ValueError("a reveal needs a purpose")
    return audit_record(
        actor=actor, action=AuditEvent.Action.REVEAL, object_type=object_type, object_id=object_id,
        field=field, purpose=purpose.strip(),
    )
