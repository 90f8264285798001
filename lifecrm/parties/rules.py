"""Pure rules on customer data: identity numbers (PRC, HK, TW, USCC, passport) and their checks, search keys."""
from __future__ import annotations

import re
import unicodedata
from datetime import date


# Messages are English source strings, marked for the catalogues; the services translate them (see
# InvalidIdNumber): this module stays free of Django.
def _(message: str) -> str:
    return message


class InvalidIdNumber(ValueError):
    """An identity number that breaks a rule: `template % params` says which one (a catalogue message id)."""

    def __init__(self, template: str, **params: object) -> None:
        self.template, self.params = template, params
        super().__init__(template % params if params else template)


# Customer.IdType's values; every number is stored in ASCII capitals and digits, without separators.
ID_TYPES = ("prc_id", "hk_id", "tw_id", "uscc", "passport")


# --- PRC resident identity card (居民身份证号码), GB 11643-1999: region (6) + birth date (8) + sequence (3,
# odd for men) + an ISO 7064 MOD 11-2 check character over the first 17 digits.
PRC_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PRC_ID_CHECK = "10X98765432"
# ASCII only: `\d` would also take other scripts' digits (٣, ３), stored as typed and never found again.
PRC_ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]")
PRC_ID_FIRST17 = re.compile(r"[0-9]{17}")


def prc_id_check_digit(first17: str) -> str:
    """The 18th character of a PRC resident ID number for its first 17 digits."""
    if not PRC_ID_FIRST17.fullmatch(first17):
        raise InvalidIdNumber(_("the first 17 characters of a PRC ID number must be digits"))
    total = sum(int(d) * w for d, w in zip(first17, PRC_ID_WEIGHTS, strict=True))
    return PRC_ID_CHECK[total % 11]


def validate_prc_id(number: str, *, birth_date: date | None = None, sex: str | None = None) -> str:
    """The normalised number, or InvalidIdNumber saying exactly what is wrong."""
    number = _compact(number)
    if not PRC_ID_PATTERN.fullmatch(number):
        raise InvalidIdNumber(_("a PRC ID number has 17 digits and a check character (a digit or X)"))
    expected = prc_id_check_digit(number[:17])
    if expected != number[17]:
        raise InvalidIdNumber(_("the check character of this PRC ID number should be %(expected)s, not %(given)s"),
                              expected=expected, given=number[17])
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(_("the birth date inside this PRC ID number (%(digits)s) is not a date"),
                              digits=number[6:14]) from None
    if birth_date is not None and born != birth_date:
        raise InvalidIdNumber(_("the birth date inside the ID number (%(coded)s) differs from the birth date given "
                                "(%(given)s)"), coded=born.isoformat(), given=birth_date.isoformat())
    if sex is not None:
        _check_sex(coded_male=int(number[16]) % 2 == 1, digit=number[16], sex=sex)
    return number


# --- Hong Kong identity card (香港身份證): one or two letters, six digits and a check character (printed
# in brackets: A123456(3)). Weights 9…2 over two letter places (a blank first place counts 36) and the
# digits; the check makes the total a multiple of 11 (10 is written A).
HK_LETTER_VALUES = {chr(c): c - 55 for c in range(65, 91)}  # A=10 … Z=35
HK_BLANK_VALUE = 36
HK_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)
HK_ID_PATTERN = re.compile(r"([A-Z]{1,2})([0-9]{6})([0-9A])")


def hk_id_check_digit(letters: str, digits: str) -> str:
    """Check character of a Hong Kong identity card number (0-9 or A) for its letters and six digits."""
    if not re.fullmatch(r"[A-Z]{1,2}", letters) or not re.fullmatch(r"[0-9]{6}", digits):
        raise InvalidIdNumber(_("a Hong Kong identity card number has one or two letters and six digits before its "
                                "check character"))
    values = [HK_BLANK_VALUE if ch == " " else HK_LETTER_VALUES[ch] for ch in letters.rjust(2)]
    total = sum(v * w for v, w in zip(values + [int(d) for d in digits], HK_WEIGHTS, strict=True))
    remainder = -total % 11
    return "A" if remainder == 10 else str(remainder)


def validate_hk_id(number: str) -> str:
    """The number as stored (A1234563: no brackets, no spaces), or InvalidIdNumber saying what is wrong."""
    number = _compact(number).replace("(", "").replace(")", "")
    match = HK_ID_PATTERN.fullmatch(number)
    if match is None:
        raise InvalidIdNumber(_("a Hong Kong identity card number is one or two letters, six digits and a check "
                                "character (a digit or A), such as A123456(3)"))
    letters, digits, given = match.groups()
    expected = hk_id_check_digit(letters, digits)
    if expected != given:
        raise InvalidIdNumber(_("the check character of this Hong Kong identity card number should be %(expected)s, "
                                "not %(given)s"), expected=expected, given=given)
    return number


# --- Taiwan national identification number (國民身分證統一編號): a letter (the place of first registration),
# a sex digit (1 male, 2 female; 8 and 9 on the residence certificates of the 2021 uniform format), seven
# digits and a check digit. The letter's two-digit code (not alphabetical past H) counts 1 and 9, the
# digits 8…1 and the check 1; the total is a multiple of 10.
TW_LETTER_CODES = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True))
TW_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1)
TW_SEX_DIGITS = {"1": "M", "2": "F", "8": "M", "9": "F"}
TW_ID_PATTERN = re.compile(r"[A-Z][0-9]{9}")


def tw_id_check_digit(first9: str) -> str:
    """Check digit of a Taiwan ID number for its letter and first eight digits."""
    if not re.fullmatch(r"[A-Z][0-9]{8}", first9):
        raise InvalidIdNumber(_("a Taiwan ID number has a capital letter and eight digits before its check digit"))
    code = TW_LETTER_CODES[first9[0]]
    total = code // 10 + code % 10 * 9 + sum(int(d) * w for d, w in zip(first9[1:], TW_WEIGHTS, strict=True))
    return str(-total % 10)


def validate_tw_id(number: str, *, sex: str | None = None) -> str:
    """The normalised number, or InvalidIdNumber saying what is wrong."""
    number = _compact(number)
    if not TW_ID_PATTERN.fullmatch(number):
        raise InvalidIdNumber(_("a Taiwan ID number is a capital letter and nine digits, such as A123456789"))
    if number[1] not in TW_SEX_DIGITS:
        raise InvalidIdNumber(_("the second character of a Taiwan ID number is 1 or 2 (8 or 9 on a residence "
                                "certificate), not %(given)s"), given=number[1])
    expected = tw_id_check_digit(number[:9])
    if expected != number[9]:
        raise InvalidIdNumber(_("the check digit of this Taiwan ID number should be %(expected)s, not %(given)s"),
                              expected=expected, given=number[9])
    if sex is not None:
        _check_sex(coded_male=TW_SEX_DIGITS[number[1]] == "M", digit=number[1], sex=sex)
    return number


# --- Unified social credit code of an organisation (统一社会信用代码), GB 32100-2015: registration
# authority (1) + kind (1) + region (6) + organisation code (9, GB 11714 with its own check) + a check
# character over the first 17, MOD 31, from 31 characters (no I, O, S, V, Z).
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = re.compile(f"[{USCC_CHARS}]{{2}}[0-9]{{6}}[{USCC_CHARS}]{{10}}")
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an organisation code's first 8 characters (digits, A=10 … Z=35)."""
    if not re.fullmatch(r"[0-9A-Z]{8}", body8):
        raise InvalidIdNumber(_("an organisation code has 8 digits or capital letters before its check character"))
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def uscc_check(first17: str) -> str:
    """GB 32100-2015 check character of a unified social credit code for its first 17 characters."""
    if len(first17) != 17 or any(c not in USCC_CHARS for c in first17):
        raise InvalidIdNumber(_("a unified social credit code has 18 characters: digits and capital letters other "
                                "than I, O, S, V and Z"))
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[-total % 31]


def validate_uscc(number: str) -> str:
    """The normalised code, or InvalidIdNumber saying what is wrong."""
    number = _compact(number)
    if not USCC_PATTERN.fullmatch(number):
        raise InvalidIdNumber(_("a unified social credit code has 18 characters: digits and capital letters other "
                                "than I, O, S, V and Z, with 6 digits of region from the third"))
    expected = uscc_check(number[:17])
    if expected != number[17]:
        raise InvalidIdNumber(_("the check character of this unified social credit code should be %(expected)s, "
                                "not %(given)s"), expected=expected, given=number[17])
    return number


# --- Passport: issued by many countries, with no common check character; letters and digits only.
PASSPORT_PATTERN = re.compile(r"[A-Z0-9]{5,20}")


def validate_passport(number: str) -> str:
    number = _compact(number)
    if not PASSPORT_PATTERN.fullmatch(number):
        raise InvalidIdNumber(_("a passport number has 5 to 20 letters and digits"))
    return number


ORGANISATION_ID_TYPES = frozenset({"uscc"})


def validate_id_number(id_type: str, number: str, *, organisation: bool = False, birth_date: date | None = None,
                       sex: str | None = None) -> str:
    """The number in its stored form for its ID type, checked by that type's rule (and against the birth date and
    sex where the number encodes them), or InvalidIdNumber saying which rule it breaks."""
    if id_type not in ID_TYPES:
        raise InvalidIdNumber(_("unknown ID type %(id_type)s"), id_type=id_type)
    if organisation and id_type not in ORGANISATION_ID_TYPES:
        raise InvalidIdNumber(_("an organisation is identified by its unified social credit code"))
    if not organisation and id_type in ORGANISATION_ID_TYPES:
        raise InvalidIdNumber(_("a unified social credit code identifies an organisation, not a person"))
    if id_type == "prc_id":
        return validate_prc_id(number, birth_date=birth_date, sex=sex)
    if id_type == "hk_id":
        return validate_hk_id(number)
    if id_type == "tw_id":
        return validate_tw_id(number, sex=sex)
    if id_type == "uscc":
        return validate_uscc(number)
    return validate_passport(number)


def _compact(number: str) -> str:
    """Upper-case ASCII (full-width forms from a Chinese input method read as ASCII), without spaces or dashes."""
    return re.sub(r"[\s-]", "", ascii_form(number)).upper()


def _check_sex(*, coded_male: bool, digit: str, sex: str) -> None:
    if coded_male and sex == "F":
        raise InvalidIdNumber(_("the ID number is a man's (its sex digit, %(digit)s, says so), but the sex given is "
                                "female"), digit=digit)
    if not coded_male and sex == "M":
        raise InvalidIdNumber(_("the ID number is a woman's (its sex digit, %(digit)s, says so), but the sex given is "
                                "male"), digit=digit)


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
