"""The shared recorded speech (../shared/audio) and how recognition is scored: for the voice
tests and bench/voice."""

import re
from pathlib import Path

import jiwer

from testsupport.servers import PROJECT_ROOT

AUDIO = PROJECT_ROOT.parent / "shared" / "audio"
HOTLINE = AUDIO / "zh-hotline"
CLIPS = AUDIO / "zh-clips"


def transcripts(folder: Path) -> dict[str, str]:
    lines = (folder / "transcripts.tsv").read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def character_error_rate(references: list[str], heard: list[str]) -> float:
    """Over all sentences together; punctuation and spaces are not speech."""

    def plain(text: str) -> str:
        return re.sub(r"[\W_]+", "", text)

    return float(jiwer.cer([plain(t) for t in references], [plain(t) or "-" for t in heard]))
