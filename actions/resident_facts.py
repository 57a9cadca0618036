"""Facts about a resident's situation, read from what they say in their own words.

Each reader returns None when the text does not say, so the form asks instead of guessing.
Negations come first: "没有残疾" must not read as a disability.
"""

import re

_AGE = re.compile(r"(\d{2,3})\s*(?:多)?(?:岁|周岁|了|啦)")
_BARE_NUMBER = re.compile(r"^\D{0,4}(\d{2,3})\D{0,3}$")

_ALONE_NO = re.compile(r"不是一个人|跟|和|与|同|带着|陪着|一家|一起住|不独居|不是独居")
_ALONE_YES = re.compile(
    r"一个人|独居|独自|孤身|孤寡|老伴(?:走了|去世|没了|不在)|没人管|没有子女|无儿无女|就我自己|自己住"
)

_DISABILITY_NONE = re.compile(
    r"(?:没有|没|无|不是)(?:什么)?残疾|身体(?:还)?(?:挺|很|还)?(?:好|行|可以)|没有残疾证"
)
_DISABILITY_LEVELS = [
    ("severe", re.compile(r"重度|一级|二级|1级|2级|瘫痪|瘫在床|卧床|全盲|植物人")),
    ("moderate", re.compile(r"中度|三级|3级")),
    ("mild", re.compile(r"轻度|四级|4级|轻微")),
]
_DISABILITY_UNSPECIFIED = re.compile(r"残疾|残障|截肢|失明|聋|哑|腿脚不好|行动不便")

_ILLNESS_NO = re.compile(
    r"(?:没有|没|无)(?:什么)?(?:大病|重病|病)|身体(?:还)?(?:挺|很|还)?(?:好|行|可以)|健康"
)
_ILLNESS_YES = re.compile(
    r"大病|重病|癌|肿瘤|尿毒症|透析|白血病|心脏病|脑梗|中风|住院|手术|化疗|慢性病|糖尿病|"
    r"医药费|看病花|治病"
)

_INCOME_DIBAO = re.compile(r"低保户|吃低保|领低保|拿低保|有低保")
_INCOME_NONE = re.compile(r"没有?(?:任何)?收入|没工作|没有工作|失业|下岗|没钱|一分钱都没有|零收入")
_INCOME_LOW = re.compile(
    r"收入(?:很|特别|比较)?(?:低|少)|不够用|困难|紧张|就靠|只有.{0,6}(?:块|元)|低收入"
)
_INCOME_NORMAL = re.compile(r"退休金|养老金|工资|收入(?:还)?(?:行|可以|够|正常)|不缺钱")


def read_age(text: str) -> int | None:
    import cn2an  # imported on use: its tables load at import

    digits = cn2an.transform(text, "cn2an")
    match = _AGE.search(digits) or _BARE_NUMBER.match(digits.strip())
    if match:
        age = int(match.group(1))
        if 1 <= age <= 120:
            return age
    return None


def read_living_alone(text: str) -> bool | None:
    if _ALONE_YES.search(text) and not re.search(r"不是一个人|不独居|不是独居", text):
        return True
    if _ALONE_NO.search(text):
        return False
    return None


def read_disability(text: str) -> str | None:
    if _DISABILITY_NONE.search(text):
        return "none"
    for level, pattern in _DISABILITY_LEVELS:
        if pattern.search(text):
            return level
    if _DISABILITY_UNSPECIFIED.search(text):
        return "mild"  # a disability without a level: the lowest band, the worker checks
    return None


def read_serious_illness(text: str) -> bool | None:
    if _ILLNESS_NO.search(text):
        return False
    if _ILLNESS_YES.search(text):
        return True
    return None


def read_income(text: str) -> str | None:
    """none / low / normal / dibao (already receives 低保)."""
    if _INCOME_DIBAO.search(text):
        return "dibao"
    if _INCOME_NONE.search(text):
        return "none"
    if _INCOME_LOW.search(text):
        return "low"
    if _INCOME_NORMAL.search(text):
        return "normal"
    return None
