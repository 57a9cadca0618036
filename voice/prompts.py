"""What the bridge says itself (the telephone's own prompts: what a person, a repeat or a
callback brings is Rasa's, in actions/prompts.yml), and the prompt cache builder
(`linli-voice-prompts`): every fixed bot response (bot/domain/*.yml, actions/prompts.yml) and
every bridge prompt is synthesised ahead of time."""

import argparse
import asyncio
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from common import emergency_alerts
from common.settings import PROJECT_ROOT
from voice.settings import get_settings

GREETING = (
    "您好，这里是邻里通社区服务热线。您直接说要办的事就行，比如问低保政策、预约送餐。"
    "需要人工服务，随时说“人工”。请问有什么可以帮您？"
)
REPROMPTS = (
    "您还在吗？您可以直接说要办的事，比如“低保怎么申请”。找工作人员请说“人工”。",
    "我还在听，您慢慢说。",
)
SILENCE_GOODBYE = "那我先挂了。有需要请随时再打过来，祝您身体健康，再见！"
NOT_UNDERSTOOD = "不好意思，我没听明白。您可以换个说法，或者说“人工”找工作人员。"
TECHNICAL_TROUBLE = "不好意思，系统出了点问题。您可以说“人工”，找工作人员帮您。"

BRIDGE_PROMPTS = (
    GREETING, *REPROMPTS, SILENCE_GOODBYE, *emergency_alerts.every_alert_text(),
    NOT_UNDERSTOOD, TECHNICAL_TROUBLE,
)  # fmt: skip


def _texts_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [text for value in node.values() for text in _texts_in(value)]
    if isinstance(node, list):
        return [text for item in node for text in _texts_in(item)]
    return []


@lru_cache
def fixed_responses(root: Path = PROJECT_ROOT) -> tuple[str, ...]:
    """Every fixed text the bot can say: domain responses, action prompts and bridge prompts.
    Texts with a slot ({name}) are left out: they are never said as written."""
    texts: list[str] = list(BRIDGE_PROMPTS)
    for path in sorted((root / "bot" / "domain").glob("*.yml")):
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        texts += _texts_in(domain.get("responses", {}))
    prompts = root / "actions" / "prompts.yml"
    if prompts.exists():
        texts += _texts_in(yaml.safe_load(prompts.read_text(encoding="utf-8")) or {})
    unique = dict.fromkeys(text for text in texts if "{" not in text)
    return tuple(unique)


@lru_cache
def emergency_guidance(danger: str | None = None, root: Path = PROJECT_ROOT) -> str:
    """The domain's emergency guidance (utter_emergency) for this kind of danger (the
    lexicon's category: its variation conditioned on the `danger` slot), else the general
    one: the words chat gets, which the prompt cache holds as audio."""
    domain = yaml.safe_load((root / "bot" / "domain" / "help.yml").read_text(encoding="utf-8"))
    variations = domain["responses"]["utter_emergency"]
    for variation in variations:
        conditions = variation.get("condition") or []
        if danger is not None and any(c.get("value") == danger for c in conditions):
            return str(variation["text"])
    return next(str(v["text"]) for v in variations if not v.get("condition"))


async def build_cache() -> tuple[int, int]:
    from voice.tts.speaker import build_speaker

    speaker = build_speaker(get_settings())
    texts = fixed_responses()
    added = 0
    for text in texts:
        added += await speaker.fill_cache(text)
    return len(texts), added


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="linli-voice-prompts", description=__doc__)
    parser.parse_args(argv)
    texts, added = asyncio.run(build_cache())
    print(
        f"prompt cache: {texts} fixed texts, {added} new clauses "
        f"in {get_settings().prompt_cache_dir}"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
