"""Sensitive fields in bulk: Fernet tokens of encrypted fields and the keyed hashes that make them searchable."""
from __future__ import annotations

import base64
import hashlib
import os
import struct
import time
from collections.abc import Sequence

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings


def encrypt_many(values: Sequence[str]) -> list[str]:
    """Fernet tokens of `values` under the first field key: what `fields.encrypt_text` gives, ~10x faster.

    Fernet = 0x80 | timestamp | IV | AES-128-CBC(PKCS7(value)) | HMAC-SHA256. The CBC chains of all
    values advance together, one AES-ECB call per block position, and tokens of one length are
    base64-encoded in one call. Each value still gets its own random IV, so the ciphertext differs
    per run (which is why `book-digest` reads the decrypted value).
    """
    key = base64.urlsafe_b64decode(settings.FIELD_ENCRYPTION_KEYS[0])
    signing_key, encryption_key = key[:16], key[16:]
    encoded = [v.encode() for v in values]
    out: list[str] = [""] * len(encoded)
    if not encoded:
        return out
    lengths = np.fromiter((len(v) for v in encoded), dtype=np.int64, count=len(encoded))
    blocks = lengths // 16 + 1
    header = b"\x80" + struct.pack(">Q", int(time.time()))
    ecb = Cipher(algorithms.AES(encryption_key), modes.ECB()).encryptor()  # noqa: S305  CBC built by hand
    for block_count in np.unique(blocks).tolist():
        rows = np.nonzero(blocks == block_count)[0]
        width = block_count * 16
        plain = bytearray()
        for i in rows.tolist():
            pad = width - lengths[i]
            plain += encoded[i] + bytes([pad]) * pad
        plain_blocks = np.frombuffer(bytes(plain), dtype=np.uint8).reshape(len(rows), block_count, 16)
        ivs = np.frombuffer(os.urandom(16 * len(rows)), dtype=np.uint8).reshape(len(rows), 16)
        cipher = np.empty_like(plain_blocks)
        previous = ivs
        for b in range(block_count):
            mixed = np.bitwise_xor(plain_blocks[:, b, :], previous)
            previous = np.frombuffer(ecb.update(mixed.tobytes()), dtype=np.uint8).reshape(len(rows), 16)
            cipher[:, b, :] = previous
        signed = len(header) + 16 + width
        bodies = np.empty((len(rows), signed + 32), dtype=np.uint8)
        bodies[:, : len(header)] = np.frombuffer(header, dtype=np.uint8)
        bodies[:, len(header) : len(header) + 16] = ivs
        bodies[:, len(header) + 16 : signed] = cipher.reshape(len(rows), width)
        unsigned = np.ascontiguousarray(bodies[:, :signed]).tobytes()
        mac = _Hmac(signing_key)
        macs = b"".join(mac.digest(unsigned[k : k + signed]) for k in range(0, len(unsigned), signed))
        bodies[:, signed:] = np.frombuffer(macs, dtype=np.uint8).reshape(len(rows), 32)
        token_bytes = bodies.shape[1]
        pad_to = -token_bytes % 3
        padded = np.zeros((len(rows), token_bytes + pad_to), dtype=np.uint8)
        padded[:, :token_bytes] = bodies
        text = base64.urlsafe_b64encode(padded.tobytes()).decode()
        step = (token_bytes + pad_to) // 3 * 4
        keep = step - pad_to  # base64 characters carrying the token's own bytes
        tail = "=" * pad_to
        for j, i in enumerate(rows.tolist()):
            out[i] = text[j * step : j * step + keep] + tail
    return out


class _Hmac:
    """HMAC-SHA256 (RFC 2104) with the padded key's hash states computed once: twice as fast per message."""

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def digest(self, message: bytes) -> bytes:
        inner = self.inner.copy()
        inner.update(message)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def keyed_hashes(values: Sequence[str]) -> list[str]:
    """`fields.keyed_hash` of already-normalised identifiers (no spaces, upper case), in bulk."""
    mac = _Hmac(settings.FIELD_HASH_KEY.encode())
    inner_copy, outer_copy = mac.inner.copy, mac.outer.copy
    out = []
    for value in values:
        inner = inner_copy()
        inner.update(value.encode())
        outer = outer_copy()
        outer.update(inner.digest())
        out.append(outer.hexdigest())
    return out
