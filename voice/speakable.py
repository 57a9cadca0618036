"""Bot text as it should sound on the phone: a long answer shortened to what an older caller
needs first, with the rest on request (`brief`); numbers that callers must note down read
digit by digit, source notes shortened, links left out; replies cut into clauses that can be
synthesised and played one after another."""

import re
from dataclasses import dataclass

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
_LINK = re.compile(r"(https?://|www\.)[\w./?=&%#:~+-]*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")
# What a caller on the phone must hear first: what to bring, where to go, how much, a booking or
# case number; then
# other figures (days, ages); then the rest.
_HEAR_FIRST = re.compile(
    r"带上|携带|材料|身份证|户口本|证明|申请表|证件|编号|(?<![A-Za-z])[A-Z]\s?\d{4,}"
    r"|(到|去|向|找)[^。；]{0,12}(社区|街道|居委会|村委|服务中心|窗口|办事处|乡镇|民政)"
    r"|\d+(\.\d+)?\s*(元|块|%)|[一二三四五六七八九十百千万]+(元|块)"
)
_FIGURES = re.compile(r"\d|[一二三四五六七八九十百千万]+(岁|天|个工作日|个月|年)")
# The note actions/policy.py puts after an answer: "（全国，2021年，样例数据；来源：…（…））".
_SOURCE_NOTE = re.compile(r"\s*[（(][^（）()]*(来源|样例)[\s\S]*$")
# A sentence that only sends the reader to a web page says nothing on the phone.
_POINTS_TO_A_LINK = re.compile(r"网站|网址|链接|点击|扫码|二维码")
# A reply up to this much over the aim is said whole: a confirmation of 15 s loses more by being
# cut (its time or its number) than the caller gains; only long answers are shortened.
WHOLE_UP_TO = 1.4
MORE_OFFER = "要听详细的，请说“详细”。"
_SOFT_BREAK = re.compile(r"(?<=[，、：,:])")


def digits(number: str) -> str:
    return number.translate(_DIGIT_NAMES)


def _whose_figures(note: str) -> str:
    """ "盐城市，2022年，样例数据；来源：…": the caller needs the place and year, not the
    citation."""
    place_and_year = [part for part in re.split(r"[，,；;]", note)[:2] if "来源" not in part]
    return f"这是{'、'.join(place_and_year)}的标准。" if place_and_year else ""


def _shorten_note(match: re.Match[str]) -> str:
    note = match.group(1)
    if "来源" in note or "样例" in note:
        whose = _whose_figures(note)
        return f"，{whose}" if whose else ""
    return f"，{note}，"


def _mobile(match: re.Match[str]) -> str:
    # Said in the groups people write it in, with a pause after each: 138，0013，8000，
    number = re.sub(r"[^0-9]", "", match.group())
    return "".join(f"{digits(group)}，" for group in (number[:3], number[3:7], number[7:]))


def _landline(match: re.Match[str]) -> str:
    return f"{digits(match.group('area'))}，{digits(match.group('number'))}，"


def speakable(text: str) -> str:
    text = _LINK.sub("", text)
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


@dataclass(frozen=True)
class Brief:
    """What to say now, and what to keep for a caller who asks for the details."""

    now: str
    more: str = ""


def _tier(sentence: str) -> int:
    return 0 if _HEAR_FIRST.search(sentence) else 1 if _FIGURES.search(sentence) else 2


def brief(text: str, max_chars: int) -> Brief:
    """`text` as a phone answer of at most about `max_chars` spoken characters: the first
    sentence (it answers), then what to bring, where to go and how much, then other figures,
    then the others while there is room, in their own order; the rest kept in `more`, and an offer
    to hear it said. A reply that nearly fits (`WHOLE_UP_TO`), or that ends in a question, is
    said whole."""
    original = text
    note = _SOURCE_NOTE.search(text)
    # Inline notes keep their brackets here: a pause is no place to cut "社区（村）居委会".
    text = _LINK.sub("", text[: note.start()] if note else text)
    sentences = [
        part.strip()
        for part in _SENTENCE_END.split(text)
        if re.sub(r"[\W_]", "", part) and not _POINTS_TO_A_LINK.search(part)
    ]
    # Where the figures are from, in a few words ("这是全国、2021年的标准"), after the rest.
    source = _whose_figures(note.group().strip().lstrip("（(")) if note else ""
    size = [len(speakable(sentence)) for sentence in sentences]
    # A reply that ends in a question (a read-back to confirm, a choice) is said whole: the
    # caller answers what they heard.
    asks = bool(sentences) and sentences[-1].endswith(("？", "?"))
    if asks or sum(size) + len(source) <= max_chars * WHOLE_UP_TO:
        return Brief(original)  # said as it is: speakable() still drops links and citations
    max_chars -= len(MORE_OFFER)  # the offer is said too
    room = max_chars - size[0]
    chosen = {0}
    for tier in range(3):
        for index, sentence in enumerate(sentences):
            if index not in chosen and _tier(sentence) == tier and size[index] <= room:
                chosen.add(index)
                room -= size[index]
    # A clause that ended at "；" ends the sentence when what followed it is left for later.
    now = [re.sub(r"[；;]$", "。", sentences[i]) for i in sorted(chosen)]
    more = [sentences[i] for i in range(len(sentences)) if i not in chosen] + [source]
    if size[0] > max_chars:  # one long sentence: cut at the last pause that fits
        pieces = [piece for piece in _SOFT_BREAK.split(sentences[0]) if piece]
        head = ""
        while pieces and len(speakable(head + pieces[0])) <= max_chars:
            head += pieces.pop(0)
        if head and pieces:
            now = [head.rstrip("，,、：:") + "。"]
            more = ["".join(pieces), *more]
    return Brief("".join([*now, MORE_OFFER]), "".join(more))
