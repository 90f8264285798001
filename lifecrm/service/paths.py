"""The service desk's copies of an org unit's path (a row's data scope, with no join): when a unit moves
(`org.services.org_unit_move`), every copy follows, chunked, in the move's transaction."""
from __future__ import annotations

from lifecrm.core.registries import register_path_copy, rewrite_path_prefix
from lifecrm.service.models import CareEvent, Case, Interaction, SlaAlert


def _rewriter(model):
    def rewrite(*, old_prefix: str, new_prefix: str, chunk_size: int) -> int:
        return rewrite_path_prefix(model, "branch_path", old_prefix=old_prefix, new_prefix=new_prefix,
                                   chunk_size=chunk_size)

    rewrite.__doc__ = f"An org unit moved: the copies of its path on {model._meta.verbose_name_plural} follow."
    return rewrite


for _model in (Interaction, Case, SlaAlert, CareEvent):
    register_path_copy(f"service.{_model._meta.model_name}")(_rewriter(_model))
