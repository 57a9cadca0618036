"""Word lists kept as YAML files of regular expressions, one list per category: the danger
signs and the service descriptions in `bot/lexicons/`. Each category's alternatives are joined
into one compiled pattern. Standard library and PyYAML only."""

import re
from pathlib import Path

import yaml


def load_patterns(path: Path) -> dict[str, re.Pattern[str]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected categories, each a list of patterns")
    return {
        str(category): re.compile("|".join(f"(?:{pattern})" for pattern in patterns))
        for category, patterns in raw.items()
        if patterns
    }
