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


def sounds_of(text: str) -> str:
    """`text` as the toneless pinyin of each character, one space between; a character
    without pinyin stands for itself: "找火了！" -> "zhao huo le ！"."""
    return " ".join(syllable(character).removeprefix("#") for character in text)


@dataclass(frozen=True)
class DangerSigns:
    """One compiled pattern per category (the file's alternatives joined)."""

    patterns: dict[str, re.Pattern[str]]

    @classmethod
    def load(cls, path: Path = EMERGENCY_LEXICON) -> "DangerSigns":
        return cls(load_patterns(path))

    def find(self, text: str) -> str | None:
        """The first category whose pattern occurs in `text` (normalised: simplified, lower
        case), or None."""
        for category, pattern in self.patterns.items():
            if pattern.search(sounds_of(text) if category == SOUNDS_LIKE else text):
                return category
        return None
