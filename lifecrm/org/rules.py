"""Data scope and role permissions, as pure data: who sees which customers and who may reveal what."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ScopeKind(StrEnum):
    ALL = "all"  # HQ
    SUBTREE = "subtree"  # a branch or team and everything under it
    OWN_BOOK = "own_book"  # a sales agent's own customers and policies
    NONE = "none"  # no staff record: sees nothing


@dataclass(frozen=True, slots=True)
class DataScope:
    kind: ScopeKind
    unit_path: str = ""
    staff_id: int | None = None
    role: str = ""

    @property
    def sees_everything(self) -> bool:
        return self.kind == ScopeKind.ALL


# Roles whose work needs the full identity number (to verify a walk-in customer, pay a claim,
# answer a regulator); call-centre and sales agents work with masked values.
ROLES_ALLOWED_TO_REVEAL_ID = frozenset({"hq", "branch", "counter", "claims"})


def scope_for(*, role: str, unit_kind: str, unit_path: str, staff_id: int) -> DataScope:
    """HQ units see all; an agent sees their own book; everyone else sees their unit's subtree."""
    if role == "agent":
        return DataScope(ScopeKind.OWN_BOOK, unit_path, staff_id, role)
    if unit_kind == "hq":
        return DataScope(ScopeKind.ALL, unit_path, staff_id, role)
    return DataScope(ScopeKind.SUBTREE, unit_path, staff_id, role)


def may_reveal_id(scope: DataScope) -> bool:
    return scope.role in ROLES_ALLOWED_TO_REVEAL_ID
