"""Servicing's copies of an org unit's path (a request's data scope, with no join): when a unit moves
(`org.services.org_unit_move`), they follow, chunked, in the move's transaction."""
from __future__ import annotations

from lifecrm.core.registries import register_path_copy, rewrite_path_prefix
from lifecrm.servicing.models import ServiceRequest


@register_path_copy("servicing.servicerequest")
def request_branch_paths_rewrite(*, old_prefix: str, new_prefix: str, chunk_size: int) -> int:
    """An org unit moved: the copies of its path on servicing requests follow."""
    return rewrite_path_prefix(ServiceRequest, "branch_path", old_prefix=old_prefix, new_prefix=new_prefix,
                               chunk_size=chunk_size)
