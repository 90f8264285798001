"""Sensitive fields in bulk: Fernet tokens of encrypted fields and the keyed hashes that make them searchable.

Every token comes from the `cryptography` library's Fernet (no hand-built cipher): a list longer than
PARALLEL_MIN values is encrypted on a process pool (one process per CPU), each process encrypting a slice.
"""
from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from cryptography.fernet import Fernet
from django.conf import settings

# Below this many values the pool's start-up costs more than it saves.
PARALLEL_MIN = 20_000


def _encrypt_slice(key: str, values: Sequence[str]) -> list[str]:
    fernet = Fernet(key.encode())
    return [fernet.encrypt(v.encode()).decode() for v in values]


def encrypt_many(values: Sequence[str], *, processes: int | None = None) -> list[str]:
    """Fernet tokens of `values` under the first field key: what `fields.encrypt_text` gives, on a process pool
    for a long list (`processes`, default one per CPU). Each value gets its own random IV, so the ciphertext
    differs per run (which is why `book-digest` reads the decrypted value)."""
    key = settings.FIELD_ENCRYPTION_KEYS[0]
    values = list(values)
    processes = processes or os.cpu_count() or 1
    if len(values) < PARALLEL_MIN or processes < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return _encrypt_slice(key, values)
    size = -(-len(values) // processes)
    slices = [values[i:i + size] for i in range(0, len(values), size)]
    # fork: the children need no Django set-up, only the key and their slice.
    with ProcessPoolExecutor(max_workers=len(slices), mp_context=multiprocessing.get_context("fork")) as pool:
        parts = pool.map(_encrypt_slice, [key] * len(slices), slices)
        return [token for part in parts for token in part]


def keyed_hashes(values: Sequence[str]) -> list[str]:
    """`fields.keyed_hash` of already-normalised identifiers (no spaces, upper case), in bulk: the keyed state
    is computed once and copied per value (the standard library's `hmac`)."""
    base = hmac.new(settings.FIELD_HASH_KEYS[0].encode(), digestmod=hashlib.sha256)
    out = []
    for value in values:
        mac = base.copy()
        mac.update(value.encode())
        out.append(mac.hexdigest())
    return out
