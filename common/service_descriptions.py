"""Home services as residents describe them ("电视没图像了", "每天中午给我爸送顿饭"): the lexicon
in `bot/lexicons/services.yml`, matched in linear time. Read by the Rasa component that adds
the `service` entity (`bot/components/lexicons.py`). Standard library and PyYAML only."""

import re
from dataclasses import dataclass
from pathlib import Path

from common.lexicons import load_patterns
from common.settings import PROJECT_ROOT

SERVICE_LEXICON = PROJECT_ROOT / "bot" / "lexicons" / "services.yml"

# Words that make a description a request for help rather than a question about something.
REQUEST_MARKERS = re.compile(
    r"帮|给|替|来人|派(个)?人|找(个)?人|安排|能不能|能否|可不可以|可以.{0,4}吗|想(要|约|请|找)|"
    r"麻烦|请(个|人)|上门|来(个|一)?(人|师傅)"
)


@dataclass(frozen=True)
class ServiceDescriptions:
    patterns: dict[str, re.Pattern[str]]  # canonical service value → its patterns, joined

    @classmethod
    def load(cls, path: Path = SERVICE_LEXICON) -> "ServiceDescriptions":
        return cls(load_patterns(path))

    def find(self, text: str, limit: int = 2) -> list[tuple[str, int, int]]:
        """Services described in `text` as (value, start, end), in the order they are
        mentioned, at most `limit`."""
        found = []
        for service, pattern in self.patterns.items():
            if match := pattern.search(text):
                found.append((service, match.start(), match.end()))
        return sorted(found, key=lambda item: item[1])[:limit]


# "我要订…", "想约个…", "帮我预约…" at the start: a request to book, whatever follows (a
# misheard service, "我要定明天中午的贩" for 饭, must not turn it into a status question).
# Not "我订的…" or "我要订的…", which is about a booking made.
BOOKING_REQUEST = re.compile(
    r"^\W*(?:我|俺|阿拉|侬|咱)?们?(?:要|想|想要|帮我|给我|麻烦|请)(?:帮我)?(?:订|定|约|预约|预定)(?![的了过])"
)


def asks_to_book(text: str) -> bool:
    return BOOKING_REQUEST.search(text) is not None


def asks_for_help(text: str) -> bool:
    return REQUEST_MARKERS.search(text) is not None
