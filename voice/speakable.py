"""Bot text as it should sound on the phone: numbers that callers must note down are read
digit by digit, source notes are shortened, and replies are cut into clauses that can be
synthesised and played one after another."""

import re

import cn2an

from common.personal_numbers import LANDLINE_IN_TEXT, MOBILE_IN_TEXT

# Read digit by digit, as Chinese speakers read phone and case numbers (1 is 幺).
_DIGIT_NAMES = str.maketrans("0123456789", "零幺二三四五六七八九")
# How Mandarin speakers name the Latin letters in case numbers (A000012, B000034, H000056).
_LETTER_NAMES = {
    "A": "诶", "B": "必", "C": "西", "D": "迪", "E": "伊", "F": "艾付", "G": "吉", "H": "艾尺",
    "I": "艾", "J": "杰", "K": "开", "L": "艾勒", "M": "艾姆", "N": "恩", "O": "欧", "P": "屁",
    "Q": "丘", "R": "阿", "S": "艾丝", "T": "踢", "U": "优", "V": "维", "W": "达不溜",
    "X": "艾克斯", "Y": "外", "Z": "贼德",
}  # fmt: skip

_NOTE = re.compile(r"[（(]([^（）()]*)[）)]")
_CASE_NUMBER = re.compile(r"(?<![A-Za-z])([A-Z])[\s-]?(\d{4,})")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?=\s*年)")
# Quantities keep their place value ("100元" is 一百元); other long numbers are codes.
_QUANTITY_UNITS = "元块岁周天个人月年号层点分次倍斤克米项条张份%％"
_LONG_NUMBER = re.compile(rf"(?<![\d.])(\d{{3,}})(?![\d.]|\s*[{_QUANTITY_UNITS}])")
_CLAUSE_END = re.compile(r"(?<=[。！？；!?;])")
_SOFT_BREAK = re.compile(r"(?<=[，、：,:])")


def digits(number: str) -> str:
    return number.translate(_DIGIT_NAMES)


def _shorten_note(match: re.Match[str]) -> str:
    note = match.group(1)
    if "来源" in note or "样例" in note:
        # "（盐城市，2022年，样例数据；来源：…）": the caller needs the place and year, not the
        # citation.
        place_and_year = [part for part in re.split(r"[，,；;]", note)[:2] if "来源" not in part]
        return f"，这是{'、'.join(place_and_year)}的标准。" if place_and_year else ""
    return f"，{note}，"


def _mobile(match: re.Match[str]) -> str:
    # Said in the groups people write it in, with a pause after each: 138，0013，8000，
    number = re.sub(r"[^0-9]", "", match.group())
    return "".join(f"{digits(group)}，" for group in (number[:3], number[3:7], number[7:]))


def _landline(match: re.Match[str]) -> str:
    return f"{digits(match.group('area'))}，{digits(match.group('number'))}，"


def speakable(text: str) -> str:
    text = _NOTE.sub(_shorten_note, text)
    text = MOBILE_IN_TEXT.sub(_mobile, text)
    text = LANDLINE_IN_TEXT.sub(_landline, text)
    text = _CASE_NUMBER.sub(lambda m: f"{_LETTER_NAMES[m.group(1)]}，{digits(m.group(2))}，", text)
    text = _YEAR.sub(lambda m: digits(m.group(1)).replace("幺", "一"), text)
    text = _LONG_NUMBER.sub(lambda m: digits(m.group(1)), text)
    text = cn2an.transform(text, "an2cn")  # what is left are quantities: 100元 → 一百元
    text = re.sub(r"\s*\n+\s*", "。", text)
    text = re.sub(r"[“”\"'‘’《》【】\[\]*#]", "", text)
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"[，,]+([。！？；，])", r"\1", text)
    text = re.sub(r"。+", "。", text)
    return text.strip("，")


def clauses(text: str, first_max: int = 12) -> list[str]:
    """Sentences, each synthesised on its own so the first is heard while the rest is made.
    The first is also cut at a comma when it is long: it alone decides when the caller first
    hears the bot."""
    parts = [part for part in _CLAUSE_END.split(text) if part.strip()]
    if parts and len(parts[0]) > first_max:
        pieces = [piece for piece in _SOFT_BREAK.split(parts[0]) if piece]
        head = pieces[0]
        while len(pieces) > 1 and len(head) < 4:  # "好的，" alone is too short to be worth it
            pieces.pop(0)
            head += pieces[0]
        rest = "".join(pieces[1:])
        parts = [head, *([rest] if rest else []), *parts[1:]]
    return parts
