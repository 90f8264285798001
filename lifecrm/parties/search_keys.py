"""Pure rules of customer search: names and addresses in one script, and every way a phone number is written."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np
import opencc

from lifecrm.parties.rules import ascii_form

# OpenCC's configurations, applied in turn to each Han character: Hong Kong and Taiwan variants first
# (綫, 裡, 著), then standard Traditional to Simplified. All three end in Simplified, so the result is
# a fixed point: folding a folded text changes nothing.
FOLD_CONFIGURATIONS = ("hk2s", "tw2s", "t2s")
# An address is searched for a part of it; fewer than three characters would match most of the book
# (and PostgreSQL's trigram index needs three to narrow anything).
ADDRESS_MIN_LENGTH = 3


def is_han(char: str) -> bool:
    """A CJK unified ideograph (the basic block, extension A or a supplementary-plane extension)."""
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x3FFFF


@cache
def _converters() -> tuple[opencc.OpenCC, ...]:
    return tuple(opencc.OpenCC(name) for name in FOLD_CONFIGURATIONS)


def fold_han(char: str) -> str:
    """One Han character in Simplified script (張 → 张, 臺 → 台, 綫 → 线); any other character as it is.

    Character by character, never by phrase: OpenCC's phrase tables turn 乾隆 into 乾隆 but 乾 alone into
    干, and a search compares parts of texts, so a part must fold as it folds inside the whole."""
    if not is_han(char):
        return char
    for converter in _converters():
        char = converter.convert(char)
    return char


class _FoldTable(dict):
    """str.translate's table of fold_han, filled with each character the first time it is met."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = fold_han(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


def search_form(text: str) -> str:
    """What a name or address search compares: full-width forms as ASCII (NFKC), lower case, no spaces,
    Traditional characters as Simplified. Stored beside the name and the address, applied to what is typed."""
    # NFKC again after case folding and again after removing spaces: either may leave a text that NFKC
    # would change (´ is a space and a combining accent; without the space the accent joins its letter).
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    # NUL goes too: no database stores it, and numpy's strings (search_forms) cannot hold it at the end.
    text = unicodedata.normalize("NFKC", "".join(text.split()).replace("\x00", ""))
    return text.translate(_FOLD_TABLE)


# Characters whose search form the bulk path reads from a table: ASCII and the basic Han blocks (every name
# and address of the generated book). Any other character sends its whole text through search_form: NFKC
# may join it with its neighbour (e + U+0301 is é), which a table of single characters cannot know.
_TABLE_RANGES = ((0x0001, 0x0080), (0x3400, 0x4DC0), (0x4E00, 0xA000))


_NOT_TABLED = np.uint32(0xFFFFFFFF)


@cache
def _fold_codes() -> np.ndarray:
    """The search form of every code point as one code point; _NOT_TABLED for a character outside
    _TABLE_RANGES or whose form is not one character (a space folds to nothing); 0 stays 0 (padding)."""
    table = np.full(0x110000, _NOT_TABLED, dtype=np.uint32)
    table[0] = 0
    for low, high in _TABLE_RANGES:
        for code in range(low, high):
            folded = search_form(chr(code))
            if len(folded) == 1:
                table[code] = ord(folded)
    return table


def search_forms(texts: np.ndarray) -> np.ndarray:
    """search_form of each text (an object array out), through a table of code points: the book generator
    folds millions of names and addresses without a Python call for each."""
    values = np.asarray(texts, dtype=object)
    fixed = values.astype(str)
    width = fixed.dtype.itemsize // 4
    if not len(values) or width == 0:
        return values.copy()  # nothing but empty texts, whose form is empty
    folded = _fold_codes()[fixed.view(np.uint32).reshape(len(values), width)]
    # a NUL before another character is in the text, not padding: that text is folded by search_form too
    inner_nul = ((folded[:, :-1] == 0) & (folded[:, 1:] != 0)).any(axis=1)
    untabled = np.nonzero((folded == _NOT_TABLED).any(axis=1) | inner_nul)[0]
    folded[untabled] = 0  # no code point: blanked, then folded one by one
    out = folded.view(f"<U{width}").ravel().astype(object)
    for row in untabled.tolist():
        out[row] = search_form(values[row])
    return out


# --- identity numbers ----------------------------------------------------------------------------
# The shapes of identity numbers (upper case, no spaces): PRC resident ID, Hong Kong identity card, Taiwan
# national ID and resident certificates, passports, unified social credit code. A text of one of these
# shapes is looked up by its keyed hash only: it is never sent in plain text, as a customer number or
# anything else (customer numbers, C and nine digits, have none of these shapes).
IDENTITY_SHAPES = re.compile(
    r"[0-9]{17}[0-9X]"  # PRC
    r"|[A-Z]{1,2}[0-9]{6}\(?[0-9A]\)?"  # Hong Kong, check character in brackets or not
    r"|[A-Z][1289A-D][0-9]{8}"  # Taiwan ID and resident certificate
    r"|[A-Z]{1,2}[0-9]{7,8}|[0-9]{9}"  # passports
    r"|[0-9A-Z]{18}"  # unified social credit code
)


def may_be_identity_number(compact: str) -> bool:
    return IDENTITY_SHAPES.fullmatch(compact.upper()) is not None


# --- phone numbers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallingCode:
    """How national numbers of one jurisdiction relate to their international form."""

    trunk: str  # the prefix a national number starts with and the international form drops
    national_lengths: range  # digits of a national number, trunk prefix included
    trunkless: re.Pattern | None = None  # national numbers dialled without the trunk prefix


# The jurisdictions served: +886 912 345 678 is 0912 345 678 in Taiwan, +86 10 6234 5678 is 010 6234 5678
# in Beijing but +86 138 0013 8000 is 138 0013 8000 (mainland mobiles take no trunk prefix), +852 9123 4567
# is 9123 4567 (Hong Kong has no trunk prefix).
CALLING_CODES = {
    "86": CallingCode("0", range(10, 13), re.compile(r"1[3-9][0-9]{9}")),
    "852": CallingCode("", range(8, 9)),
    "886": CallingCode("0", range(9, 11)),
}
INTERNATIONAL_PREFIX = "00"  # what a caller in the mainland or Taiwan dials instead of "+"


def _national(code: str, rest: str) -> str:
    calling = CALLING_CODES[code]
    if calling.trunkless is not None and calling.trunkless.fullmatch(rest):
        return rest
    return calling.trunk + rest


def _international(national: str) -> list[str]:
    """The international forms the national number `national` can have in the jurisdictions served."""
    forms = []
    for code, calling in CALLING_CODES.items():
        if len(national) not in calling.national_lengths:
            continue
        rest = national[len(calling.trunk):]
        if calling.trunkless is not None and calling.trunkless.fullmatch(national):
            forms.append(f"+{code}{national}")
        elif national.startswith(calling.trunk) and rest[:1] not in ("", "0"):
            forms.append(f"+{code}{rest}")
    return forms


def phone_forms(raw: str) -> tuple[str, ...]:
    """Every stored form (`parties.rules.normalise_phone`) of the number typed as `raw`, national and
    international: '+852 9123-4567' finds 91234567, '0912-345-678' finds +886912345678 and 0912345678."""
    raw = ascii_form(raw).strip()
    digits = re.sub(r"[^0-9]", "", raw)
    if not raw.startswith("+") and not digits.startswith(INTERNATIONAL_PREFIX):
        return (digits, *_international(digits))
    number = digits if raw.startswith("+") else digits[len(INTERNATIONAL_PREFIX):]
    forms = ["+" + number]
    for code in sorted(CALLING_CODES, key=len, reverse=True):  # 886 before 86, should a code ever prefix another
        if number.startswith(code):
            forms.append(_national(code, number[len(code):]))
            break
    return tuple(forms)
