"""Small helpers over the Rasa tracker shared by the flows."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.settings import get_settings

# Rasa input channel -> backend channel. The voice bridge and livestream tool talk REST and say
# who they are in the message metadata ({"channel": "voice"}).
_CHANNELS = {"telegram": "telegram", "rest": "chat", "socketio": "chat"}
_BACKEND_CHANNELS = {"chat", "telegram", "wechat", "voice", "livestream", "staff"}


def channel_of(tracker: Tracker) -> str:
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    declared = metadata.get("channel")
    if isinstance(declared, str) and declared in _BACKEND_CHANNELS:
        return declared
    return _CHANNELS.get(tracker.get_latest_input_channel() or "", "chat")


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return name if isinstance(name, str) else None


def now_local() -> datetime:
    return datetime.now(ZoneInfo(get_settings().timezone))


def last_bot_text(tracker: Tracker) -> str | None:
    """The text of the bot's last message, for "再说一遍"."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot" and event.get("text"):
            return str(event["text"])
    return None


@dataclass(frozen=True)
class CallFacts:
    """A phone call's facts, which only the voice bridge's messages carry (bot/rest_channel.py
    passes them on from the voice front alone)."""

    caller: str  # the number the call came from ("" when withheld)
    human_line: bool  # a person can take a transfer


def tell_the_bridge(dispatcher: CollectingDispatcher, **instructions: Any) -> None:
    """What the voice bridge is to do or record (transfer, replay, the call's outcome, end), as
    a `linli_call` custom message: never shown or said."""
    dispatcher.utter_message(json_message={"linli_call": instructions})


def call_facts(tracker: Tracker) -> CallFacts | None:
    """None for a chat."""
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    call = metadata.get("call")
    if channel_of(tracker) != "voice" or not isinstance(call, dict):
        return None
    return CallFacts(str(call.get("caller") or ""), call.get("human_line") is True)
