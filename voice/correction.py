"""Transcript repair before NLU: traditional → simplified characters, the opening 喂 Whisper
writes as 为 or 未, spoken digit strings → digits, and policy and service names recovered from
near-homophones (`common.pinyin_names` owns that rule, which the NLU's own
`PinyinLexiconExtractor` applies too)."""

import re
from functools import cached_property
from pathlib import Path

import opencc

from common.personal_numbers import SPOKEN_DIGITS, spoken_digits
from common.pinyin_names import SYNONYMS_FILE, PinyinNames, read_synonyms

# Words every booking needs besides the names in synonyms.yml: a misheard day or time of day
# (名天 for 明天) fails the whole booking form.
BOOKING_WORDS = ("今天", "明天", "后天", "上午", "中午", "下午", "晚上", "下周", "周末", "转人工")
# And the words of a call for help, which the danger-sign lexicon (bot/lexicons/emergency.yml)
# looks for: Whisper heard 摔倒了起不来了 as 摔倒了起步来的 on a recorded fall, and
# 梅气味 for 煤气味 (a synthesised caller). Not 没有呼吸: 没有户籍 would sound like it.
DANGER_WORDS = (
    "起不来", "爬不起来", "站不起来", "快来人", "救命", "喘不上气", "喘不过气", "叫不醒",
    "胸口疼", "心口疼", "煤气味", "天然气", "液化气", "不省人事", "口吐白沫",
)  # fmt: skip

# A run of three or more spoken digits is a number read out digit by digit (phone, ID, case
# number); shorter numerals ("十点", "八十五") are quantities the NLU understands as words.
_SPOKEN_DIGIT_RUN = re.compile(f"[{SPOKEN_DIGITS}]{{3,}}")
# The "喂" a phone call opens with, which Whisper writes as 为, 未 or 位 (为你好, 为为我屋里,
# 未哪位): at the start, doubled, or before a pause, a hello or "哪位"; never 为什么, 为了, 未来.
_HELLO_HEARD_AS = "为未位卫味魏"
_PAUSE = "，,。！？!?\\s"
_HELLO_RUN = re.compile(
    rf"^(?:(?:喂|[{_HELLO_HEARD_AS}]{{2,}}"
    rf"|[{_HELLO_HEARD_AS}](?=[{_PAUSE}]|$|[喂{_HELLO_HEARD_AS}]|你好|您好|你是|您是|哪位|哪个|哪里|请问))"
    rf"[{_PAUSE}]*)+"
)
_AS_HELLO = str.maketrans(dict.fromkeys(_HELLO_HEARD_AS, "喂"))


class TranscriptCorrector:
    """Built once per process from nlu_data/synonyms.yml (the names Rasa's NLU knows)."""

    def __init__(self, synonyms_file: Path = SYNONYMS_FILE) -> None:
        self._synonyms_file = synonyms_file
        self._t2s = opencc.OpenCC("t2s")

    @cached_property
    def _names(self) -> PinyinNames:
        """The listed names in simplified characters (how they are written back: the first
        listed form of each sound, so 地保 becomes 低保), and the booking words; a long name
        with one syllable misheard is recognised too (高林普贴 → 高龄津贴)."""
        listed = read_synonyms(self._synonyms_file)
        simplified = [(self._t2s.convert(form), value) for form, value in listed]
        words = [(word, word) for word in BOOKING_WORDS + DANGER_WORDS]
        return PinyinNames([*simplified, *words], one_misheard=True)

    def correct(self, text: str) -> str:
        text = self._t2s.convert(text)
        text = _HELLO_RUN.sub(lambda hello: hello.group().translate(_AS_HELLO), text)
        text = _SPOKEN_DIGIT_RUN.sub(lambda run: spoken_digits(run.group()), text)
        return self.restore_names(text)

    def restore_names(self, text: str) -> str:
        return self._names.restore(text)
