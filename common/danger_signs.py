"""Danger signs in what a resident says: the curated lexicon in `bot/lexicons/emergency.yml`,
read by the Rasa component that overrides the model (`bot/components/lexicons.py`) and by the
voice bridge's fast path, so both decide alike. Standard library, PyYAML and pypinyin only."""

import re
from dataclasses import dataclass
from pathlib import Path

from common.lexicons import load_patterns
from common.pinyin_names import syllable
from common.settings import PROJECT_ROOT

EMERGENCY_LEXICON = PROJECT_ROOT / "bot" / "lexicons" / "emergency.yml"
# The category matched on a message's sounds rather than its characters.
SOUNDS_LIKE = "sounds_like"
# Categories named for how a danger is written (in pinyin, as a cry for help, by its sounds),
# not for which danger it is; every other category is a kind of danger (common.labels.DANGER).
WAYS_OF_WRITING = frozenset({"pinyin", "explicit", SOUNDS_LIKE})
_SPACES = re.compile(r"\s+")
_TOKENS = re.compile(r"[a-z0-9]+|\S")


def sounds_of(text: str) -> str:
    """`text` as the toneless pinyin of each character, one space between; a word in Latin
    letters or digits, or a character without pinyin, stands for itself, and spaces are
    left out: "找火了！" -> "zhao huo le ！", "宝宝 tang shang le" -> "bao bao tang shang le"."""
    return " ".join(
        token if token.isascii() else syllable(token).removeprefix("#")
        for token in _TOKENS.findall(text)
    )


@dataclass(frozen=True)
class DangerSigns:
    """One compiled pattern per category (the file's alternatives joined)."""

    patterns: dict[str, re.Pattern[str]]

    @classmethod
    def load(cls, path: Path = EMERGENCY_LEXICON) -> "DangerSigns":
        return cls(load_patterns(path))

    def find(self, text: str) -> str | None:
        """The first category whose pattern occurs in `text` (normalised: simplified, lower
        case) as written or with its spaces left out ("不想 活 了", as a slow speaker's
        transcript or a typist's pauses have it), or None."""
        unspaced = _SPACES.sub("", text)
        writings = (text,) if unspaced == text else (text, unspaced)
        for category, pattern in self.patterns.items():
            if category == SOUNDS_LIKE:
                found = pattern.search(sounds_of(text)) is not None
            else:
                found = any(pattern.search(writing) for writing in writings)
            if found:
                return category
        return None
