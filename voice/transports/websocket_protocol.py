"""WebSocket media-stream wire format, pure (no I/O), in the style of FreeSWITCH's
mod_audio_fork and jambonz's bidirectional `listen`: JSON text messages for control, binary
messages for audio.

The gateway opens the socket and sends a start message first:

    {"event": "start", "call_id": "...", "from": "13800138000", "token": "...",
     "format": {"encoding": "L16" | "PCMU", "sample_rate": 8000 | 16000}}

`token` is the media token (`voice.transports.auth`), for a gateway that cannot send it in the
handshake; `from` is the caller's number as the gateway claims it: nothing on this wire
verifies it.

(jambonz / mod_audio_fork metadata spellings are accepted too: `callSid` or `uuid` for the call
id, `sampleRate`, `mixType` ignored; `encoding` "linear16", "mulaw", "audio/x-mulaw"). Then
binary messages carry the caller's audio in that format (L16 is signed 16-bit little-endian;
PCMU is G.711 μ-law, 8 kHz only), any length up to the size limit, and text messages carry
events: `{"event": "dtmf", "digit": "5"}`, `{"event": "mark", "name": "..."}` (the gateway has
played up to that mark), `{"event": "hangup"}` (or "stop"), `{"event": "transfer_result",
"connected": true}`. Unknown events are skipped.

Linli sends binary audio in the same format, 20 ms per message at real time, and text events:
`{"event": "clear"}` (drop queued bot audio: the caller barged in), `{"event": "mark", "name":
"reply-N"}` after each reply, `{"event": "transfer", "target": "..."}`, `{"event": "hangup",
"reason": "..."}` and `{"event": "error", "message": "..."}` before closing on a broken stream.

Calls Linli places (issue 18). A gateway that can dial out keeps one control socket open, whose
first message is

    {"event": "register", "gateway": "gw-1", "token": "..."}

Linli asks it to place a call with `{"event": "dial", "dial_id": "...", "to": "13800138000",
"ring_timeout_s": 40}` and may take it back with `{"event": "cancel", "dial_id": "..."}`. When
the callee answers, the gateway opens a media stream as for any call, with the `dial_id` in its
start message (`{"event": "start", "call_id": "...", "dial_id": "...", "format": {...}}`); when
the call cannot be made it answers on the control socket `{"event": "dial_result", "dial_id":
"...", "answered": false, "reason": "busy"}` (any short reason: "busy", "no answer", "failed").
"""

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from voice.transports import g711

Encoding = Literal["L16", "PCMU"]
ENCODINGS: dict[str, Encoding] = {
    "l16": "L16", "linear16": "L16", "pcm": "L16", "s16le": "L16", "audio/l16": "L16",
    "pcmu": "PCMU", "mulaw": "PCMU", "ulaw": "PCMU", "audio/x-mulaw": "PCMU",
}  # fmt: skip
RATES = {"L16": (8_000, 16_000), "PCMU": (8_000,)}
DTMF_KEYS = frozenset("0123456789*#ABCD")
MAX_TEXT_CHARS = 4096


class ProtocolError(ValueError):
    """The gateway broke the stream format: the call cannot go on."""


@dataclass(frozen=True)
class StreamFormat:
    encoding: Encoding
    sample_rate: int

    @property
    def bytes_per_second(self) -> int:
        return self.sample_rate * (2 if self.encoding == "L16" else 1)


@dataclass(frozen=True)
class Start:
    call_id: str
    caller_number: str | None  # claimed by the gateway, not verified
    format: StreamFormat
    token: str | None = field(default=None, repr=False)  # never in a log line
    dial_id: str | None = None  # the answered call Linli asked the gateway to place


@dataclass(frozen=True)
class Register:
    """A gateway's control socket: it places the calls Linli asks for."""

    gateway: str
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class DialResult:
    dial_id: str
    answered: bool
    reason: str


@dataclass(frozen=True)
class Dtmf:
    key: str


@dataclass(frozen=True)
class Mark:
    name: str


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class TransferResult:
    connected: bool


@dataclass(frozen=True)
class Unknown:
    event: str


Event = Dtmf | Mark | Hangup | TransferResult | DialResult | Unknown


def _json_object(text: str) -> dict[str, Any]:
    if len(text) > MAX_TEXT_CHARS:
        raise ProtocolError(f"text message of {len(text)} characters is too long")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ProtocolError(f"text message is not JSON: {error}") from None
    if not isinstance(message, dict):
        raise ProtocolError("text message is not a JSON object")
    return message


def _short_text(value: Any, field: str, limit: int = 64) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ProtocolError(f"{field} must be a string")
    text = str(value).strip()
    if not text or len(text) > limit or not text.isprintable():
        raise ProtocolError(f"{field} must be 1-{limit} printable characters")
    return text


def _token(message: dict[str, Any]) -> str | None:
    raw_token = message.get("token")
    if raw_token is not None and not isinstance(raw_token, str):
        raise ProtocolError("token must be a string")
    return raw_token


def parse_first(text: str) -> Start | Register:
    """A media stream's start message, or a gateway's register message."""
    message = _json_object(text)
    if message.get("event") == "register":
        return Register(_short_text(message.get("gateway"), "gateway"), _token(message))
    return parse_start(text)


def parse_start(text: str) -> Start:
    message = _json_object(text)
    event = message.get("event", "start")
    if event not in ("start", "connected"):
        raise ProtocolError(f"the first message must be a start event, not {str(event)[:32]!r}")
    nested = message.get("format") or message.get("media_format") or {}
    if not isinstance(nested, dict):
        raise ProtocolError("format must be an object")
    fields = {**message, **nested}
    raw_encoding = fields.get("encoding", "L16")
    encoding = ENCODINGS.get(str(raw_encoding).lower()) if isinstance(raw_encoding, str) else None
    if encoding is None:
        raise ProtocolError(f"unsupported encoding {str(raw_encoding)[:32]!r}: L16 or PCMU")
    rate = fields.get("sample_rate", fields.get("sampleRate", 8_000))
    if isinstance(rate, bool) or not isinstance(rate, int) or rate not in RATES[encoding]:
        raise ProtocolError(f"unsupported sample rate {str(rate)[:16]} for {encoding}")
    raw_id = fields.get("call_id", fields.get("callSid", fields.get("uuid")))
    if raw_id is None:
        raise ProtocolError("the start message has no call_id")
    call_id = _short_text(raw_id, "call_id")
    caller = fields.get("from")
    caller_number = _short_text(caller, "from", 32) if caller not in (None, "") else None
    dial = fields.get("dial_id")
    dial_id = _short_text(dial, "dial_id") if dial is not None else None
    return Start(call_id, caller_number, StreamFormat(encoding, rate), _token(fields), dial_id)


def parse_event(text: str) -> Event:
    message = _json_object(text)
    event = message.get("event")
    if not isinstance(event, str):
        raise ProtocolError("an event message needs an `event` string")
    if event == "dtmf":
        digit = message.get("digit", message.get("dtmf"))
        if not isinstance(digit, str) or digit.upper() not in DTMF_KEYS:
            raise ProtocolError(f"dtmf digit {str(digit)[:8]!r} is not one key")
        return Dtmf(digit.upper())
    if event == "mark":
        return Mark(_short_text(message.get("name"), "mark name"))
    if event in ("hangup", "stop", "closed"):
        return Hangup()
    if event == "transfer_result":
        connected = message.get("connected")
        if not isinstance(connected, bool):
            raise ProtocolError("transfer_result needs a boolean `connected`")
        return TransferResult(connected)
    if event == "dial_result":
        answered = message.get("answered")
        if not isinstance(answered, bool):
            raise ProtocolError("dial_result needs a boolean `answered`")
        reason = message.get("reason") or ("answered" if answered else "not answered")
        return DialResult(
            _short_text(message.get("dial_id"), "dial_id"),
            answered,
            _short_text(reason, "reason"),
        )
    return Unknown(event[:32])


def decode_audio(data: bytes, stream: StreamFormat) -> bytes:
    """A binary message as 16-bit little-endian PCM at the stream's rate."""
    if stream.encoding == "PCMU":
        return g711.ulaw_to_pcm(data)
    if len(data) % 2:
        raise ProtocolError(f"L16 message of {len(data)} bytes: not whole samples")
    return data


def encode_audio(pcm: bytes, stream: StreamFormat) -> bytes:
    """16-bit PCM at the stream's rate in the stream's encoding."""
    return g711.pcm_to_ulaw(pcm) if stream.encoding == "PCMU" else pcm


def _event(event: str, **fields: Any) -> str:
    return json.dumps({"event": event, **fields}, ensure_ascii=False)


def start_message(
    call_id: str, stream: StreamFormat, caller_number: str | None = None,
    token: str | None = None, dial_id: str | None = None,
) -> str:  # fmt: skip
    """What a gateway sends first (the bench and the tests play the gateway)."""
    fields: dict[str, Any] = {
        "call_id": call_id,
        "format": {"encoding": stream.encoding, "sample_rate": stream.sample_rate},
    }
    if caller_number:
        fields["from"] = caller_number
    if token is not None:
        fields["token"] = token
    if dial_id is not None:
        fields["dial_id"] = dial_id
    return _event("start", **fields)


def register_message(gateway: str, token: str | None = None) -> str:
    """What a gateway that dials out sends first on its control socket."""
    return _event("register", gateway=gateway, **({"token": token} if token is not None else {}))


def dial_message(dial_id: str, to: str, ring_timeout_s: float) -> str:
    return _event("dial", dial_id=dial_id, to=to, ring_timeout_s=ring_timeout_s)


def cancel_message(dial_id: str) -> str:
    return _event("cancel", dial_id=dial_id)


def clear_message() -> str:
    return _event("clear")


def mark_message(name: str) -> str:
    return _event("mark", name=name)


def transfer_message(target: str) -> str:
    return _event("transfer", target=target)


def hangup_message(reason: str) -> str:
    return _event("hangup", reason=reason)


def error_message(message: str) -> str:
    return _event("error", message=message)
