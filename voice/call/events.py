"""What a call sends its transport, in order, on `CallSession.events`."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from voice.tts.speaker import SpeechLog


@dataclass(frozen=True)
class BotAudio:
    pcm: bytes  # one 20 ms frame
    # Frames of an older epoch were interrupted by the caller: transports drop them unplayed.
    epoch: int = 0


@dataclass(frozen=True)
class StopPlayback:
    """The caller spoke over the bot: drop every frame not yet played."""


@dataclass(frozen=True)
class BotDone:
    """The bot has produced all audio of its reply (playing it may take longer)."""


@dataclass
class Transfer:
    """Connect the caller to a person on `target`; the transport answers whether it could."""

    target: str
    connected: asyncio.Future[bool]


@dataclass(frozen=True)
class Hangup:
    """End the call once every queued frame has played."""

    outcome: str


@dataclass
class TurnRecord:
    turn: int
    transcript: str
    intent: str | None
    bot_text: str
    latency_ms: int | None
    stages_ms: dict[str, float] = field(default_factory=dict)
    speech: SpeechLog = field(default_factory=SpeechLog)

    def summary(self) -> dict[str, Any]:
        return {
            "turn": self.turn, "transcript": self.transcript, "intent": self.intent,
            "bot_text": self.bot_text, "latency_ms": self.latency_ms,
        }  # fmt: skip


CallEvent = BotAudio | StopPlayback | BotDone | Transfer | Hangup | TurnRecord
