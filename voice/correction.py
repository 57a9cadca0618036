"""Transcript repair before NLU: traditional → simplified characters, spoken digit strings →
digits, and policy and service names recovered from near-homophones by pinyin similarity."""

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import cn2an
import opencc
import yaml
from pypinyin import Style, lazy_pinyin

from common.settings import PROJECT_ROOT

SYNONYMS_FILE = PROJECT_ROOT / "nlu_data" / "synonyms.yml"
# Words every booking needs besides the names in synonyms.yml: a misheard day or time of day
# (名天 for 明天) fails the whole booking form.
BOOKING_WORDS = ("今天", "明天", "后天", "上午", "中午", "下午", "晚上", "下周", "周末", "转人工")

# A run of three or more spoken digits is a number read out digit by digit (phone, ID, case
# number); shorter numerals ("十点", "八十五") are quantities the NLU understands as words.
_SPOKEN_DIGIT_RUN = re.compile(r"[零〇一二三四五六七八九幺两洞拐勾]{3,}")
_SPOKEN_DIGIT_ALIASES = str.maketrans("幺两洞拐勾〇", "一二零七九零")
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")

# Initials and finals that Mandarin speakers (and recognizers) often confuse, folded together
# when names of three or more syllables are compared.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("h", "f"), ("r", "l"))
_FUZZY_FINALS = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"))


def fuzzy_syllable(syllable: str) -> str:
    for long, short in _FUZZY_INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FUZZY_FINALS:
        if syllable.endswith(long):
            syllable = syllable[: -len(long)] + short
            break
    return syllable


@lru_cache(maxsize=8192)
def char_pinyin(char: str) -> tuple[str, str]:
    """Toneless and toned pinyin of one character (non-Han characters stand for themselves).
    Character by character, so a transcript is converted once and its windows are slices."""
    if not _HAN.match(char):
        return char, char
    return lazy_pinyin(char)[0], lazy_pinyin(char, style=Style.TONE3, neutral_tone_with_five=True)[
        0
    ]


@dataclass(frozen=True)
class DomainName:
    text: str  # the preferred written form, e.g. 高龄津贴
    plain: tuple[str, ...]  # toneless pinyin
    toned: tuple[str, ...]
    fuzzy: tuple[str, ...]


class TranscriptCorrector:
    """Built once per process from nlu_data/synonyms.yml (the names Rasa's NLU knows)."""

    def __init__(self, synonyms_file: Path = SYNONYMS_FILE) -> None:
        self._synonyms_file = synonyms_file
        self._t2s = opencc.OpenCC("t2s")

    @cached_property
    def _vocabulary(self) -> tuple[list[DomainName], set[str]]:
        """Preferred names, and the homophones synonyms.yml lists as known recognition errors."""
        data = yaml.safe_load(self._synonyms_file.read_text(encoding="utf-8"))
        names: list[DomainName] = []
        known_homophones: set[str] = set()
        for block in data.get("nlu", []):
            if "synonym" not in block:
                continue
            seen: set[tuple[str, ...]] = set()
            for line in str(block["examples"]).splitlines():
                form = self._t2s.convert(line.strip().removeprefix("- ").strip())
                if len(form) < 2 or not _HAN.match(form):
                    continue
                plain = tuple(char_pinyin(char)[0] for char in form)
                if plain in seen:  # a later form that sounds like an earlier one is a homophone
                    known_homophones.add(form)
                    continue
                seen.add(plain)
                toned = tuple(char_pinyin(char)[1] for char in form)
                names.append(DomainName(form, plain, toned, tuple(map(fuzzy_syllable, plain))))
        for word in BOOKING_WORDS:
            plain = tuple(char_pinyin(char)[0] for char in word)
            toned = tuple(char_pinyin(char)[1] for char in word)
            names.append(DomainName(word, plain, toned, tuple(map(fuzzy_syllable, plain))))
        names.sort(key=lambda name: -len(name.text))  # longest names first
        return names, known_homophones

    def correct(self, text: str) -> str:
        text = self._t2s.convert(text)
        text = _SPOKEN_DIGIT_RUN.sub(self._digits, text)
        return self.restore_names(text)

    @staticmethod
    def _digits(match: re.Match[str]) -> str:
        return str(cn2an.cn2an(match.group().translate(_SPOKEN_DIGIT_ALIASES), "direct"))

    def restore_names(self, text: str) -> str:
        names, known_homophones = self._vocabulary
        preferred = {name.text for name in names}
        syllables = [char_pinyin(char) for char in text]
        plain_all = [syllable[0] for syllable in syllables]
        toned_all = [syllable[1] for syllable in syllables]
        fuzzy_all = [fuzzy_syllable(syllable) for syllable in plain_all]
        out: list[str] = []
        position = 0
        while position < len(text):
            replacement = None
            for name in names:
                end = position + len(name.text)
                window = text[position:end]
                if (
                    len(window) < len(name.text)
                    or fuzzy_all[position] != name.fuzzy[0]
                    or window in preferred
                    or not _HAN.match(window)
                ):
                    continue
                if len(name.text) == 2:
                    # Two syllables leave little evidence: fix only the homophones synonyms.yml
                    # lists and exact sound-alikes, tones included.
                    matches = tuple(plain_all[position:end]) == name.plain and (
                        window in known_homophones or tuple(toned_all[position:end]) == name.toned
                    )
                else:
                    matches = tuple(fuzzy_all[position:end]) == name.fuzzy
                if matches:
                    replacement = name.text
                    break
            if replacement is None:
                out.append(text[position])
                position += 1
            else:
                out.append(replacement)
                position += len(replacement)
        return "".join(out)
