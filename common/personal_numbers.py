"""Phone and resident ID numbers (居民身份证号码, GB 11643-1999) as residents say or type them:
the one owner of their patterns, the ID check character and their masked forms.

Standard library only: the backend, the actions (Rasa's virtualenv), the voice bridge and the
channels all use it. Encryption at rest stays with the backend (`api/id_numbers.py`).
"""

import re

# Digits as they are spoken or typed: Chinese numerals, 幺/洞/拐/勾 on the phone, full width.
_SPOKEN_DIGITS = str.maketrans(
    {
        "零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2",
        "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "拐": "7", "八": "8",
        "九": "9", "勾": "9", "叉": "X", "x": "X", "ｘ": "X", "Ｘ": "X",
        "０": "0", "１": "1", "２": "2", "３": "3", "４": "4",
        "５": "5", "６": "6", "７": "7", "８": "8", "９": "9",
    }
)  # fmt: skip
# What people put between digit groups: spaces, hyphens, dots, brackets, a leading plus.
_SEPARATORS = re.compile(r"[\s\-—_.,，。、()（）+]")

MOBILE = re.compile(r"1[3-9]\d{9}")  # mainland mobile: 11 digits, 13x–19x
_LANDLINE = re.compile(r"0\d{9,11}|\d{7,8}")  # area code + number, or a local number
_PHONE_FIELD = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}\d{7,8}|\d{7,8})$")

ID_NUMBER = re.compile(r"\d{17}[\dX]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARACTERS = "10X98765432"


def spoken_digits(text: str) -> str:
    """`text` with spoken and full-width digits as ASCII digits (and x as X)."""
    return text.translate(_SPOKEN_DIGITS)


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
    digits = re.sub(r"\D", "", spoken_digits(text))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if MOBILE.fullmatch(digits) else None


def normalise_phone_field(value: str) -> str | None:
    """A phone number given in a form field (mobile or landline), digits only; None when it
    is not one."""
    digits = re.sub(r"[\s\-()（）+]", "", value)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _PHONE_FIELD.match(digits) else None


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
