"""Policy and service names recognised by their sound: the one owner of the lexicon and the rule.

Speech recognition, and residents typing with a pinyin input method, write names with the
wrong characters of the right sound: 社宝 for 社保, 残疾正 for 残疾证, 名天 for 明天. A stretch
of text is taken for a listed name when it is listed itself (地保 and 底保 are listed forms of
低保), or when

- it shares characters with the name in the same places: one of two, two of three or more.
  Sound alone is not enough: 立法 sounds like 理发 but is another word; and
- it sounds the same, character by character: a two-character name with its tones (卖菜 is not
  买菜, 主餐 not 助餐, though each shares a character); a longer name by its toneless pinyin,
  after folding the initials and finals speakers and recognisers confuse (zh/z, n/l, h/f,
  ing/in …), so 高林津贴 is 高龄津贴. In a speech transcript (`one_misheard=True`), a name of
  four or more characters may also have one syllable misheard outright (高林普贴, 支家养老)
  when all its other syllables agree and no more than two of its characters differ. Speech
  recognition drops whole syllables; typists rarely do, and in typed messages the rule found
  more wrong names (居家养病, 养老保障) than right ones.

Names of one character (饭) are never matched by sound. Typed pinyin is matched as whole words:
a listed Latin form ("dibao"), and any listed name spelled in toneless pinyin, its syllables
run together or apart ("te kun" and "tekun" are 特困, "kun jing er tong" is 困境儿童). Longer
names are found first, and found names do not overlap.

`bot.components.entities.PinyinLexiconExtractor` uses it to say which entity a message names,
`voice.correction.TranscriptCorrector` to write the name back into a transcript. Standard
library, pypinyin and PyYAML only: both virtualenvs import it.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pypinyin import Style, lazy_pinyin

from common.settings import PROJECT_ROOT

SYNONYMS_FILE = PROJECT_ROOT / "nlu_data" / "synonyms.yml"

# Folded together only in names of three or more syllables.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("h", "f"), ("r", "l"))
_FUZZY_FINALS = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"))


def read_synonyms(path: Path = SYNONYMS_FILE) -> list[tuple[str, str]]:
    """(written form, canonical value) for every form in a Rasa synonyms file, in file order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries: list[tuple[str, str]] = []
    for block in data.get("nlu") or []:
        if "synonym" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            if form := line.strip().removeprefix("- ").strip():
                entries.append((form, str(block["synonym"])))
    return entries


@lru_cache(maxsize=16384)
def syllable(character: str) -> str:
    """The toneless pinyin of one character. A character without pinyin (Latin, digit,
    punctuation) stands for itself, marked so it never equals a syllable ("n" is 嗯's)."""
    sound = lazy_pinyin(character)[0]
    return "#" + character if sound == character else sound


@lru_cache(maxsize=16384)
def toned_syllable(character: str) -> str:
    """`syllable` with its tone as a digit (neutral tone 5): "di1"."""
    sound = lazy_pinyin(character, style=Style.TONE3, neutral_tone_with_five=True)[0]
    return "#" + character if sound == character else sound


@lru_cache(maxsize=16384)
def fuzzy_syllable(sound: str) -> str:
    for long, short in _FUZZY_INITIALS:
        if sound.startswith(long):
            sound = short + sound[len(long) :]
            break
    for long, short in _FUZZY_FINALS:
        if sound.endswith(long):
            sound = sound[: -len(long)] + short
            break
    return sound


def sound_key(text: str) -> tuple[str, ...]:
    """What two stretches of the same length must have in common to sound alike: two
    syllables with their tones, more by their folded toneless pinyin."""
    if len(text) < 3:
        return tuple(toned_syllable(character) for character in text)
    return tuple(fuzzy_syllable(syllable(character)) for character in text)


def shares_enough(said: str, form: str) -> bool:
    """Characters in common in the same places: one of two, or two of three or more."""
    shared = sum(a == b for a, b in zip(said, form, strict=True))
    return shared >= (1 if len(form) == 2 else 2)


# Names this long may have one syllable misheard outright.
ONE_MISHEARD_FROM = 4


def one_misheard(said: str, form: str) -> bool:
    """`said` is `form` with one syllable misheard: every other syllable agrees (folded) and
    at most two characters differ."""
    if len(said) != len(form) or len(form) < ONE_MISHEARD_FROM:
        return False
    differing = sum(a != b for a, b in zip(sound_key(said), sound_key(form), strict=True))
    shared = sum(a == b for a, b in zip(said, form, strict=True))
    return differing <= 1 and shared >= len(form) - 2


def sounds_like(said: str, form: str, heard: bool = False) -> bool:
    """The rule: `said` may be taken for the name `form` (not being listed itself); `heard`:
    `said` is from a speech transcript."""
    return len(said) == len(form) >= 2 and (
        (sound_key(said) == sound_key(form) and shares_enough(said, form))
        or (heard and one_misheard(said, form))
    )


def with_one_unknown(key: tuple[str, ...], position: int) -> tuple[str, ...]:
    return (*key[:position], "*", *key[position + 1 :])


@dataclass(frozen=True)
class Name:
    form: str  # as listed: 地保
    value: str  # what it names: dibao
    written: str  # how to write it: the first listed form of its value with its sound (低保)


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    name: Name


class PinyinNames:
    """An index of listed names, built once; `find` costs time linear in the text's length."""

    def __init__(self, entries: Iterable[tuple[str, str]], one_misheard: bool = False) -> None:
        """`entries`: (written form, value) in listing order, already normalised the way the
        texts to search will be (simplified characters, say). `one_misheard`: the texts are
        speech transcripts, where a long name may have one syllable misheard."""
        self._one_misheard = one_misheard
        first_written: dict[tuple[str, tuple[str, ...]], str] = {}
        self._by_sound: dict[int, dict[tuple[str, ...], list[Name]]] = {}
        # Long names by their sound with one syllable unknown, and the characters they use.
        self._one_off: dict[int, dict[tuple[str, ...], list[Name]]] = {}
        self._long_name_characters: set[str] = set()
        self._exact: dict[str, Name] = {}
        self._latin: list[tuple[re.Pattern[str], Name]] = []
        # A name's syllables run together ("tekun") → the name, and its syllables.
        spelled: dict[str, tuple[Name, tuple[str, ...]]] = {}
        for form, value in entries:
            if form in self._exact or len(form) < 2:
                continue  # a repeat; or one character, which sounds like too many words
            if form.isascii():  # typed pinyin such as "dibao": matched as a whole word
                name = Name(form, value, form)
                pattern = re.compile(rf"(?<![a-z]){re.escape(form)}(?![a-z])")
                self._latin.append((pattern, name))
            else:
                plain = tuple(syllable(character) for character in form)
                written = first_written.setdefault((value, plain), form)
                name = Name(form, value, written)
                index = self._by_sound.setdefault(len(form), {})
                key = sound_key(form)
                index.setdefault(key, []).append(name)
                if one_misheard and len(form) >= ONE_MISHEARD_FROM:
                    one_off = self._one_off.setdefault(len(form), {})
                    for position in range(len(form)):
                        one_off.setdefault(with_one_unknown(key, position), []).append(name)
                    self._long_name_characters.update(form)
                if not any(sound.startswith("#") for sound in plain):
                    spelled.setdefault("".join(plain), (name, plain))
            self._exact[form] = name
        self._lengths = sorted(self._by_sound, reverse=True)  # longest names first
        # All spelled names in one pattern, longest first, a space or apostrophe allowed
        # between syllables: one pass over the text whatever the number of names.
        self._spelled = {joined: name for joined, (name, _) in spelled.items()}
        alternatives = sorted(
            (r"[\s']?".join(plain) for _, plain in spelled.values()), key=len, reverse=True
        )
        self._spelled_pattern = (
            re.compile(rf"(?<![a-z])(?:{'|'.join(alternatives)})(?![a-z])") if spelled else None
        )

    def find(self, text: str) -> list[Found]:
        """The listed names in `text`, in order, none overlapping another."""
        found: list[Found] = []
        taken = bytearray(len(text))

        def take(start: int, end: int, name: Name) -> None:
            found.append(Found(start, end, name))
            taken[start:end] = b"\x01" * (end - start)

        for pattern, name in self._latin:
            for match in pattern.finditer(text):
                if 1 not in taken[match.start() : match.end()]:
                    take(match.start(), match.end(), name)
        if self._spelled_pattern is not None:
            for match in self._spelled_pattern.finditer(text):
                if 1 not in taken[match.start() : match.end()]:
                    joined = re.sub(r"[\s']", "", match.group())
                    take(match.start(), match.end(), self._spelled[joined])
        toned = [toned_syllable(character) for character in text]
        fuzzy = [fuzzy_syllable(syllable(character)) for character in text]
        for length in self._lengths:
            sounds, index = (toned if length < 3 else fuzzy), self._by_sound[length]
            for start in range(len(text) - length + 1):
                names = index.get(tuple(sounds[start : start + length]))
                if not names or 1 in taken[start : start + length]:
                    continue
                said = text[start : start + length]
                exact = self._exact.get(said)
                alike = exact or next((n for n in names if shares_enough(said, n.form)), None)
                if alike is not None:
                    take(start, start + length, alike)
        if self._one_misheard:
            self._find_one_misheard(text, fuzzy, taken, take)
        found.sort(key=lambda f: f.start)
        return found

    def _find_one_misheard(
        self,
        text: str,
        fuzzy: list[str],
        taken: bytearray,
        take: Callable[[int, int, "Name"], None],
    ) -> None:
        # Characters of long names up to each position: a stretch sharing too few with every
        # long name is passed over without building its keys, so the cost stays linear.
        shared_before = [0]
        for character in text:
            shared_before.append(shared_before[-1] + (character in self._long_name_characters))
        for length in sorted(self._one_off, reverse=True):
            index = self._one_off[length]
            for start in range(len(text) - length + 1):
                if shared_before[start + length] - shared_before[start] < length - 2:
                    continue
                if 1 in taken[start : start + length]:
                    continue
                said, key = text[start : start + length], tuple(fuzzy[start : start + length])
                for position in range(length):
                    names = index.get(with_one_unknown(key, position), ())
                    alike = next((n for n in names if one_misheard(said, n.form)), None)
                    if alike is not None:
                        take(start, start + length, alike)
                        break

    def restore(self, text: str) -> str:
        """`text` with each name found in it written as it is listed first (地保 → 低保)."""
        pieces: list[str] = []
        position = 0
        for found in self.find(text):
            pieces += [text[position : found.start], found.name.written]
            position = found.end
        pieces.append(text[position:])
        return "".join(pieces)
