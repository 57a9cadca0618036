"""Phone and resident ID numbers (居民身份证号码, GB 11643-1999) as residents say or type them:
the one owner of their patterns, the ID check character and their masked forms.

Standard library only: the backend, the actions (Rasa's virtualenv), the voice bridge and the
channels all use it. Encryption at rest stays with the backend (`api/id_numbers.py`).
"""

import re

# Digits as typed with a Chinese input method: full width.
_FULL_WIDTH_DIGITS = {chr(ord("０") + n): str(n) for n in range(10)}
# Digits as they are spoken or typed: Chinese numerals, 幺/洞/拐/勾 on the phone, full width.
_SPOKEN_DIGITS = str.maketrans(
    {
        "零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2",
        "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "拐": "7", "八": "8",
        "九": "9", "勾": "9", "叉": "X", "x": "X", "ｘ": "X", "Ｘ": "X",
        **_FULL_WIDTH_DIGITS,
    }
)  # fmt: skip
_FULL_WIDTH_TRANSLATION = str.maketrans(_FULL_WIDTH_DIGITS)
# What people put between digit groups: spaces, hyphens, dots, brackets, a leading plus.
_SEPARATORS = re.compile(r"[\s\-—_.,，。、()（）+]")

# The one definition of each kind of number. Only 0-9 are digits: other scripts' digits make
# no number here, and full-width ones are translated before these patterns see them.
_MOBILE_START = "1[3-9]"  # mainland mobile: 11 digits, 13x–19x
_AREA_CODE = "0[0-9]{2,3}"
_LOCAL_NUMBER = "[0-9]{7,8}"
MOBILE = re.compile(f"{_MOBILE_START}[0-9]{{9}}")
_LANDLINE = re.compile(f"{_AREA_CODE}{_LOCAL_NUMBER}|{_LOCAL_NUMBER}")
_PHONE_FIELD = re.compile(f"({MOBILE.pattern}|{_AREA_CODE}{_LOCAL_NUMBER}|{_LOCAL_NUMBER})")
# As numbers are written in running text (bot replies, a host's pasted questions): a mobile
# number whose digits may be grouped by spaces or hyphens ("138 0013 8000"), and a landline
# number with its area code set apart ("025-84561234"); never part of a longer run of digits.
MOBILE_IN_TEXT = re.compile(rf"(?<![0-9]){_MOBILE_START}[0-9](?:[\s\-]?[0-9]){{8}}(?![0-9])")
LANDLINE_IN_TEXT = re.compile(
    rf"(?<![0-9])(?P<area>{_AREA_CODE})[\s\-](?P<number>{_LOCAL_NUMBER})(?![0-9])"
)

ID_NUMBER = re.compile("[0-9]{17}[0-9X]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARACTERS = "10X98765432"


def spoken_digits(text: str) -> str:
    """`text` with spoken and full-width digits as ASCII digits (and x as X)."""
    return text.translate(_SPOKEN_DIGITS)


def half_width_digits(text: str) -> str:
    """`text` with full-width digits as ASCII digits, nothing else changed (not even its
    length: positions in one are positions in the other)."""
    return text.translate(_FULL_WIDTH_TRANSLATION)


def compact_digits(text: str) -> str:
    """Spoken digits as digits, separators removed: "一三八 0013-8000" → "13800138000"."""
    return _SEPARATORS.sub("", spoken_digits(text))


def _standalone(pattern: re.Pattern[str], digits: str) -> str | None:
    for match in pattern.finditer(digits):
        start, end = match.span()
        # A number inside a longer run of digits (an ID number, say) is not this number.
        if (start == 0 or not digits[start - 1].isdigit()) and (
            end == len(digits) or not digits[end].isdigit()
        ):
            return match.group()
    return None


def extract_phone(text: str) -> str | None:
    """The phone number in `text`, or None. Mobile numbers are preferred over landlines; a
    leading country code 86 is dropped."""
    digits = compact_digits(text)
    if digits.startswith("86") and MOBILE.fullmatch(digits[2:]):
        digits = digits[2:]
    for pattern in (MOBILE, _LANDLINE):
        if found := _standalone(pattern, digits):
            return found
    return None


def mainland_mobile(text: str) -> str | None:
    """The mainland mobile number that `text` is (a shared contact: "+86 138 0013 8000"), or
    None when it is anything else."""
    plain = spoken_digits(text).strip()
    if plain.startswith(("+", "00")) and not plain.lstrip("+0").startswith("86"):
        return None  # another country's number: +1 415 …
    digits = re.sub(r"[^0-9]", "", plain)
    if digits.startswith("0086") and len(digits) == 15:
        digits = digits[2:]
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if MOBILE.fullmatch(digits) else None


def normalise_phone_field(value: str) -> str | None:
    """A phone number given in a form field (mobile or landline), digits only; None when it
    is not one. Full-width digits count as digits."""
    digits = re.sub(r"[\s\-()（）+]", "", half_width_digits(value))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _PHONE_FIELD.fullmatch(digits) else None


def id_check_character(first_17_digits: str) -> str:
    """The 18th character GB 11643 derives from the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_17_digits, _ID_WEIGHTS, strict=True)
    )
    return _ID_CHECK_CHARACTERS[total % 11]


def id_checksum_ok(id_number: str) -> bool:
    """An 18-character ID number whose check character matches its first 17 digits."""
    return (
        bool(ID_NUMBER.fullmatch(id_number))
        and id_check_character(id_number[:17]) == (id_number[17])
    )


def extract_id_number(text: str) -> str | None:
    """An 18-character resident ID number with a valid check character, or None. Spoken
    digits, full-width digits, spaces and hyphens between the groups are understood."""
    compact = compact_digits(text)
    for match in ID_NUMBER.finditer(compact):
        if id_checksum_ok(match.group()):
            return match.group()
    return None


def mask_id_number(id_number: str) -> str:
    """First four (province and city) and last four characters: enough to confirm with the
    resident, not enough to use."""
    return f"{id_number[:4]}{'*' * 10}{id_number[-4:]}"


def mask_phone(phone: str) -> str:
    """The first three and last four digits of a mobile ("138****8000"); a landline keeps
    only its last four."""
    if MOBILE.fullmatch(phone):
        return f"{phone[:3]}****{phone[-4:]}"
    return f"{'*' * max(len(phone) - 4, 0)}{phone[-4:]}"
