"""Identity numbers in bulk: PRC resident ID, HK and TW ID numbers, unified social credit codes."""
from __future__ import annotations

import numpy as np

from lifecrm.core.generator.dates import ymd
from lifecrm.core.generator.sampling import digits_str

PRC_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
PRC_ID_CHECK = np.array(list("10X98765432"), dtype=object)


def prc_id_numbers(region: np.ndarray, birth: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """PRC resident ID numbers (GB 11643-1999): region(6) + birth date(8) + sequence(3) + MOD 11-2 check.

    `sequence` is 0..999; its last digit's parity is the sex (odd = male), as the caller chose it.
    """
    year, month, day = ymd(birth)
    first17 = (np.asarray(region, dtype=np.int64) * 10**11 + (year * 10000 + month * 100 + day) * 1000
               + np.asarray(sequence, dtype=np.int64))
    digits = (first17[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = PRC_ID_CHECK[(digits * PRC_ID_WEIGHTS).sum(axis=1) % 11]
    return digits_str(first17, 17) + check


HK_LETTER_VALUES = {chr(c): c - 55 for c in range(65, 91)}  # A=10 … Z=35; a blank first letter is 36


def hk_id_check(letters: str, digits: str) -> str:
    """Check character of a Hong Kong identity card number (0-9 or A)."""
    padded = letters.rjust(2)
    values = [36 if ch == " " else HK_LETTER_VALUES[ch] for ch in padded] + [int(d) for d in digits]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True))
    remainder = (11 - total % 11) % 11
    return "A" if remainder == 10 else str(remainder)


def hk_id_numbers(letter_values: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """HK ID numbers 'A1234563' (one letter, six digits, check character; the card prints A123456(3))."""
    serial = np.asarray(serial, dtype=np.int64)
    letters = np.asarray(letter_values, dtype=np.int64)
    digits = (serial[:, None] // 10 ** np.arange(5, -1, -1)) % 10
    total = 36 * 9 + letters * 8 + (digits * np.arange(7, 1, -1)).sum(axis=1)
    remainder = (11 - total % 11) % 11
    check = np.where(remainder == 10, "A", remainder.astype(str)).astype(object)
    letter_chr = np.array([chr(v + 55) for v in range(36)], dtype=object)[letters]
    return letter_chr + digits_str(serial, 6) + check


# Taiwan ID: the letter's two-digit code (not alphabetical past H).
TW_LETTER_CODES = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO",
                           range(10, 36), strict=True))


def tw_id_numbers(letters: np.ndarray, sex_digit: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """Taiwan national ID numbers: letter + sex digit (1 male, 2 female) + 7 digits + check digit."""
    codes = np.array([TW_LETTER_CODES[ch] for ch in np.asarray(letters).tolist()], dtype=np.int64)
    serial = np.asarray(serial, dtype=np.int64)
    body = np.asarray(sex_digit, dtype=np.int64) * 10**7 + serial
    digits = (body[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    total = codes // 10 + (codes % 10) * 9 + (digits * np.arange(8, 0, -1)).sum(axis=1)
    check = (10 - total % 10) % 10
    return np.asarray(letters, dtype=object) + digits_str(body, 8) + check.astype(str).astype(object)


def tw_id_valid(number: str) -> bool:
    if len(number) != 10 or number[0] not in TW_LETTER_CODES or not number[1:].isdigit():
        return False
    code = TW_LETTER_CODES[number[0]]
    digits = [int(c) for c in number[1:]]
    total = code // 10 + (code % 10) * 9 + sum(d * w for d, w in zip(digits[:8], range(8, 0, -1), strict=True))
    return (total + digits[8]) % 10 == 0


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an organisation code's 8 characters."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def uscc_check(first17: str) -> str:
    """GB 32100-2015 check character of a unified social credit code."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc_codes(region: np.ndarray, serial: np.ndarray) -> list[str]:
    """Unified social credit codes '91' + region + organisation code (with check) + check character."""
    out = []
    for reg, ser in zip(np.asarray(region).tolist(), np.asarray(serial).tolist(), strict=True):
        body8 = f"{ser:08d}"
        first17 = f"91{reg:06d}{body8}{org_code_check(body8)}"
        out.append(first17 + uscc_check(first17))
    return out
