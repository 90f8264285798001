"""Claims' copies of an org unit's path: when a unit moves (`org.services.org_unit_move`), they follow."""
from __future__ import annotations

from lifecrm.claims.models import Claim
from lifecrm.core.registries import register_path_copy, rewrite_path_prefix


@register_path_copy("claims.claim")
def claim_branch_paths_rewrite(*, old_prefix: str, new_prefix: str, chunk_size: int) -> int:
    """An org unit moved: the copies of its path on claims follow."""
    return rewrite_path_prefix(Claim, "branch_path", old_prefix=old_prefix, new_prefix=new_prefix,
                               chunk_size=chunk_size)
