"""Phone and ID numbers as residents say or type them: digits, Chinese numerals, 幺 for one."""

import re

_SPOKEN_DIGITS = str.maketrans(
    {
        "零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2",
        "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "拐": "7", "八": "8",
        "九": "9", "勾": "9", "叉": "X", "x": "X",
        "０": "0", "１": "1", "２": "2", "３": "3", "４": "4",
        "５": "5", "６": "6", "７": "7", "８": "8", "９": "9",
    }
)  # fmt: skip
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}|\d{7,8}")


def extract_phone(text: str) -> str | None:
    """The phone number in `text`, or None. Mobile numbers are preferred over landlines."""
    digits_only = re.sub(r"[\s\-—_.,，。、()（）+]", "", text.translate(_SPOKEN_DIGITS))
    if digits_only.startswith("86") and _MOBILE.fullmatch(digits_only[2:]):
        digits_only = digits_only[2:]
    for pattern in (_MOBILE, _LANDLINE):
        for match in pattern.finditer(digits_only):
            start, end = match.span()
            # A number inside a longer run of digits (an ID number, say) is not a phone number.
            if (start == 0 or not digits_only[start - 1].isdigit()) and (
                end == len(digits_only) or not digits_only[end].isdigit()
            ):
                return match.group()
    return None


_ID_NUMBER = re.compile(r"\d{17}[\dX]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARACTERS = "10X98765432"


def id_number_checksum_ok(id_number: str) -> bool:
    """GB 11643: the 18th character is a check over the first 17 digits."""
    total = sum(
        int(digit) * weight for digit, weight in zip(id_number[:17], _ID_WEIGHTS, strict=True)
    )
    return _ID_CHECK_CHARACTERS[total % 11] == id_number[17]


def extract_id_number(text: str) -> str | None:
    """An 18-character resident ID number with a valid check character, or None."""
    compact = re.sub(r"[\s\-—_.,，。、]", "", text.translate(_SPOKEN_DIGITS))
    match = _ID_NUMBER.search(compact)
    if match and id_number_checksum_ok(match.group()):
        return match.group()
    return None
