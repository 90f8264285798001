"""Pure rules on customer data: identity-number check digits and their consistency with birth date and sex."""
from __future__ import annotations

import re
import unicodedata
from datetime import date

# GB 11643-1999: weights of the first 17 digits, ISO 7064 MOD 11-2.
PRC_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PRC_ID_CHECK = "10X98765432"
# ASCII only: `\d` would also take other scripts' digits (٣, ３), stored as typed and never found again.
PRC_ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]")
PRC_ID_FIRST17 = re.compile(r"[0-9]{17}")


class InvalidIdNumber(ValueError):
    pass


def prc_id_check_digit(first17: str) -> str:
    """The 18th character of a PRC resident ID number for its first 17 digits."""
    if not PRC_ID_FIRST17.fullmatch(first17):
        raise InvalidIdNumber("the first 17 characters of a PRC ID number must be digits")
    total = sum(int(d) * w for d, w in zip(first17, PRC_ID_WEIGHTS, strict=True))
    return PRC_ID_CHECK[total % 11]


def validate_prc_id(number: str, *, birth_date: date | None = None, sex: str | None = None) -> str:
    """The normalised number, or InvalidIdNumber saying exactly what is wrong."""
    number = ascii_form(number).strip().upper()
    if not PRC_ID_PATTERN.fullmatch(number):
        raise InvalidIdNumber("a PRC ID number has 17 digits and a check character (digit or X)")
    if prc_id_check_digit(number[:17]) != number[17]:
        raise InvalidIdNumber("the check character of this PRC ID number is wrong")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("the birth date inside this PRC ID number is not a date") from None
    if birth_date is not None and born != birth_date:
        raise InvalidIdNumber("the birth date inside the ID number differs from the birth date given")
    if sex is not None:
        coded = "M" if int(number[16]) % 2 else "F"
        if coded != sex:
            raise InvalidIdNumber("the sex coded in the ID number differs from the sex given")
    return number


def ascii_form(text: str) -> str:
    """Full-width characters from a Chinese input method (１３８, Ｘ) as their ASCII forms (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def normalise_phone(raw: str) -> str:
    """ASCII digits only (a leading + kept), so '138 0013 8000', '１３８００１３８０００' and '13800138000' match."""
    raw = ascii_form(raw).strip()
    digits = re.sub(r"[^0-9]", "", raw)
    return ("+" + digits) if raw.startswith("+") else digits


def romanised_search_key(name_romanised: str) -> str:
    return re.sub(r"[^a-z]", "", ascii_form(name_romanised).lower())
