"""Identity numbers in bulk for the book generator, built with the check characters of `parties.rules`."""
from __future__ import annotations

import numpy as np

from lifecrm.core.generator import digits_str, ymd
from lifecrm.parties import rules

_PRC_WEIGHTS = np.array(rules.PRC_ID_WEIGHTS, dtype=np.int64)
_PRC_CHECK = np.array(list(rules.PRC_ID_CHECK), dtype=object)


def prc_id_numbers(region: np.ndarray, birth: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """PRC resident ID numbers (GB 11643-1999): region(6) + birth date(8) + sequence(3) + MOD 11-2 check.

    `sequence` is 0..999; its last digit's parity is the sex (odd = male), as the caller chose it.
    """
    year, month, day = ymd(birth)
    first17 = (np.asarray(region, dtype=np.int64) * 10**11 + (year * 10000 + month * 100 + day) * 1000
               + np.asarray(sequence, dtype=np.int64))
    digits = (first17[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = _PRC_CHECK[(digits * _PRC_WEIGHTS).sum(axis=1) % 11]
    return digits_str(first17, 17) + check


def hk_id_numbers(letter_values: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """HK ID numbers 'A1234563' (one letter of value 10-35, six digits, check character; the card prints
    A123456(3)): `rules.hk_id_check_digit` in bulk, the blank first letter place counting HK_BLANK_VALUE."""
    serial = np.asarray(serial, dtype=np.int64)
    letters = np.asarray(letter_values, dtype=np.int64)
    digits = (serial[:, None] // 10 ** np.arange(5, -1, -1)) % 10
    weights = np.array(rules.HK_WEIGHTS, dtype=np.int64)
    total = rules.HK_BLANK_VALUE * weights[0] + letters * weights[1] + (digits * weights[2:]).sum(axis=1)
    remainder = -total % 11
    check = np.where(remainder == 10, "A", remainder.astype(str)).astype(object)
    letter_chr = np.array([chr(v + 55) for v in range(36)], dtype=object)[letters]
    return letter_chr + digits_str(serial, 6) + check


def tw_id_numbers(letters: np.ndarray, sex_digit: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """Taiwan national ID numbers: letter + sex digit (1 male, 2 female) + 7 digits + check digit
    (`rules.tw_id_check_digit` in bulk)."""
    codes = np.array([rules.TW_LETTER_CODES[ch] for ch in np.asarray(letters).tolist()], dtype=np.int64)
    serial = np.asarray(serial, dtype=np.int64)
    body = np.asarray(sex_digit, dtype=np.int64) * 10**7 + serial
    digits = (body[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    total = codes // 10 + (codes % 10) * 9 + (digits * np.array(rules.TW_WEIGHTS, dtype=np.int64)).sum(axis=1)
    check = -total % 10
    return np.asarray(letters, dtype=object) + digits_str(body, 8) + check.astype(str).astype(object)


def uscc_codes(region: np.ndarray, serial: np.ndarray) -> list[str]:
    """Unified social credit codes '91' (an enterprise registered with market regulation) + region +
    organisation code (8 digits of `serial` and its GB 11714 check) + check character."""
    out = []
    for reg, ser in zip(np.asarray(region).tolist(), np.asarray(serial).tolist(), strict=True):
        body8 = f"{ser:08d}"
        first17 = f"91{reg:06d}{body8}{rules.org_code_check(body8)}"
        out.append(first17 + rules.uscc_check(first17))
    return out
