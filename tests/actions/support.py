"""Helpers the action tests share: trackers as the Rasa server sends them, what the bot said.

Here rather than in conftest.py, which pytest imports on its own terms: test modules import
this module like any other.
"""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(
    text: str = "",
    intent: str | None = None,
    entities: dict[str, str] | list[tuple[str, str]] | None = None,
    slots: dict[str, Any] | None = None,
    extracted: dict[str, Any] | None = None,
    sender_id: str = "test-conversation",
    active_loop: str | None = None,
    events: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    intent_ranking: list[tuple[str, float]] | None = None,
) -> Tracker:
    """A tracker as the Rasa server sends it.

    `slots` were set earlier in the conversation; `extracted` are the slot candidates Rasa
    extracted from the latest message, which it appends after it for the form to validate.
    `intent_ranking` is the NLU's (intent, confidence) list, most likely first.
    """
    latest_message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "intent_ranking": [
            {"name": name, "confidence": confidence} for name, confidence in intent_ranking or []
        ],
        "entities": [
            {"entity": name, "value": value, "start": 0, "end": 0}
            for name, value in (entities.items() if isinstance(entities, dict) else entities or [])
        ],
        "metadata": metadata or {},
    }
    user_event = {
        "event": "user",
        "text": text,
        "parse_data": latest_message,
        "input_channel": "rest",
        "metadata": metadata or {},
    }

    def slot_events(values: dict[str, Any] | None) -> list[dict[str, Any]]:
        return [{"event": "slot", "name": k, "value": v} for k, v in (values or {}).items()]

    return Tracker(
        sender_id=sender_id,
        slots={**(slots or {}), **(extracted or {})},
        latest_message=latest_message,
        events=[*(events or []), *slot_events(slots), user_event, *slot_events(extracted)],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def texts(dispatcher: CollectingDispatcher) -> str:
    """Everything the bot said, one message a line (messages to the bridge say nothing)."""
    return "\n".join(str(m["text"]) for m in dispatcher.messages if m.get("text"))


def buttons(dispatcher: CollectingDispatcher) -> list[tuple[str, str]]:
    """(title, payload) of every button the bot offered."""
    return [
        (button["title"], button["payload"])
        for message in dispatcher.messages
        for button in message.get("buttons") or []
    ]


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slots the events set, by name."""
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def bridge_messages(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    """What the actions told the voice bridge (`linli_call` custom messages), in order."""
    return [
        message["custom"]["linli_call"]
        for message in dispatcher.messages
        if isinstance(message.get("custom"), dict) and "linli_call" in message["custom"]
    ]
