"""Sensitive fields in bulk: Fernet tokens of encrypted fields and the keyed hashes that make them searchable.

Every token comes from the `cryptography` library's Fernet (no hand-built cipher): a list longer than
PARALLEL_MIN values is encrypted on a process pool (one process per CPU), each process encrypting a slice
(`core.crypto_slices`).
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from django.conf import settings

from lifecrm.core.crypto_slices import encrypt_slice, hash_slice

# Below this many values the pool's start-up costs more than it saves.
PARALLEL_MIN = 20_000


def _on_pool(work: Callable[[str, Sequence[str]], list[str]], key: str, values: Sequence[str],
             processes: int | None) -> list[str]:
    """`work(key, values)`, on a pool of fresh processes (one per CPU) for a list of PARALLEL_MIN or more."""
    values = list(values)
    processes = processes or os.cpu_count() or 1
    if len(values) < PARALLEL_MIN or processes < 2:
        return work(key, values)
    size = -(-len(values) // processes)
    slices = [values[i:i + size] for i in range(0, len(values), size)]
    # spawn, not fork (see core.crypto_slices): the children need no Django set-up, only the key and their slice.
    with ProcessPoolExecutor(max_workers=len(slices), mp_context=multiprocessing.get_context("spawn")) as pool:
        return [out for part in pool.map(work, [key] * len(slices), slices) for out in part]


def encrypt_many(values: Sequence[str], *, processes: int | None = None) -> list[str]:
    """Fernet tokens of `values` under the first field key: what `fields.encrypt_text` gives, on a process pool
    for a long list (`processes`, default one per CPU). Each value gets its own random IV, so the ciphertext
    differs per run (which is why `book-digest` reads the decrypted value)."""
    return _on_pool(encrypt_slice, settings.FIELD_ENCRYPTION_KEYS[0], values, processes)


def keyed_hashes(values: Sequence[str], *, processes: int | None = None) -> list[str]:
    """`fields.keyed_hash` (current hash key) of already-normalised identifiers (no spaces, upper case), in
    bulk: the standard library's `hmac`, on the process pool for a long list."""
    return _on_pool(hash_slice, settings.FIELD_HASH_KEYS[0], values, processes)
