"""The work of one process of the generator's encryption pool (`core.generator.sensitive`): Fernet tokens and
keyed hashes of a slice of values.

Free of Django on purpose: the pool's processes are started fresh (spawn), never forked from a process whose
other threads (a test runner's, a progress bar's) may hold a lock the child would wait for for ever, so they
import only this module, the `cryptography` library and the standard library's `hmac`.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet


def encrypt_slice(key: str, values: Sequence[str]) -> list[str]:
    fernet = Fernet(key.encode())
    return [fernet.encrypt(v.encode()).decode() for v in values]


def hash_slice(key: str, values: Sequence[str]) -> list[str]:
    base = hmac.new(key.encode(), digestmod=hashlib.sha256)  # the keyed state once, copied per value
    out = []
    for value in values:
        mac = base.copy()
        mac.update(value.encode())
        out.append(mac.hexdigest())
    return out
