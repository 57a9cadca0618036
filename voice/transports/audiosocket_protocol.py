"""Asterisk AudioSocket wire format, pure (no I/O): parsing and building messages.

Every message is a 3-byte header, then the payload: one byte of kind, two bytes of payload
length (big-endian), as Asterisk's `res_audiosocket` defines them:

    0x00  hang-up          no payload (either side ends the call)
    0x01  UUID             16 bytes: the call's UUID, the first message Asterisk sends
    0x03  DTMF             1 byte: the ASCII key ("0"-"9", "*", "#", "A"-"D")
    0x10  audio            signed linear 16-bit, 8 kHz, mono, little-endian (20 ms = 320 bytes)
    0x11-0x18 audio        the same at 12, 16, 24, 32, 44.1, 48, 96 and 192 kHz (Asterisk 22+)
    0xff  error            optional 1-byte code: 0x01 the caller hung up, 0x02 frame
                           forwarding error, 0x04 memory (allocation) error
"""

import uuid
from dataclasses import dataclass

HEADER_BYTES = 3
KIND_HANGUP = 0x00
KIND_UUID = 0x01
KIND_DTMF = 0x03
KIND_AUDIO = 0x10
KIND_ERROR = 0xFF
AUDIO_RATES = {
    0x10: 8_000, 0x11: 12_000, 0x12: 16_000, 0x13: 24_000, 0x14: 32_000, 0x15: 44_100,
    0x16: 48_000, 0x17: 96_000, 0x18: 192_000,
}  # fmt: skip
AUDIO_KINDS = {rate: kind for kind, rate in AUDIO_RATES.items()}
ERROR_CODES = {0x00: "none", 0x01: "caller hung up", 0x02: "frame forwarding", 0x04: "memory"}
DTMF_KEYS = frozenset("0123456789*#ABCD")
# Asterisk sends 20 ms frames (320 bytes at 8 kHz); a second of 16 kHz audio is far beyond it.
DEFAULT_MAX_PAYLOAD = 32_000


class ProtocolError(ValueError):
    """The peer broke the AudioSocket format: the call cannot go on."""


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class CallId:
    call_id: uuid.UUID


@dataclass(frozen=True)
class Dtmf:
    key: str


@dataclass(frozen=True)
class Audio:
    pcm: bytes  # 16-bit little-endian mono
    sample_rate: int


@dataclass(frozen=True)
class PeerError:
    code: int | None

    @property
    def description(self) -> str:
        if self.code is None:
            return "unspecified"
        return ERROR_CODES.get(self.code, f"unknown code 0x{self.code:02x}")


@dataclass(frozen=True)
class Unknown:
    """A kind this server does not know: skipped (newer Asterisk versions may add kinds)."""

    kind: int
    length: int


Message = Hangup | CallId | Dtmf | Audio | PeerError | Unknown


def decode(kind: int, payload: bytes) -> Message:
    """One message from its kind and whole payload."""
    if kind == KIND_HANGUP:
        return Hangup()
    if kind == KIND_UUID:
        if len(payload) != 16:
            raise ProtocolError(f"UUID payload of {len(payload)} bytes, not 16")
        return CallId(uuid.UUID(bytes=payload))
    if kind == KIND_DTMF:
        key = payload[:1].decode("ascii", errors="replace").upper()
        if len(payload) != 1 or key not in DTMF_KEYS:
            raise ProtocolError(f"DTMF payload {payload[:8]!r} is not one key")
        return Dtmf(key)
    if kind in AUDIO_RATES:
        if len(payload) % 2:
            raise ProtocolError(f"audio payload of {len(payload)} bytes: not whole samples")
        return Audio(payload, AUDIO_RATES[kind])
    if kind == KIND_ERROR:
        return PeerError(payload[0] if payload else None)
    return Unknown(kind, len(payload))


class Decoder:
    """Cuts a TCP byte stream into messages, whatever the chunking; raises `ProtocolError` on a
    payload longer than `max_payload` before buffering it. Messages that arrived before a
    broken one are returned first; the error is raised by the next `feed` (or `check`)."""

    def __init__(self, max_payload: int = DEFAULT_MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self._buffer = bytearray()
        self.error: ProtocolError | None = None

    @property
    def pending_bytes(self) -> int:
        """Bytes of an incomplete message: a peer that vanishes leaves a truncated frame."""
        return len(self._buffer)

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def feed(self, data: bytes) -> list[Message]:
        self.check()
        self._buffer += data
        messages: list[Message] = []
        try:
            while len(self._buffer) >= HEADER_BYTES:
                kind = self._buffer[0]
                length = int.from_bytes(self._buffer[1:3], "big")
                if length > self.max_payload:
                    raise ProtocolError(f"payload of {length} bytes (kind 0x{kind:02x}) too long")
                if len(self._buffer) < HEADER_BYTES + length:
                    break
                payload = bytes(self._buffer[HEADER_BYTES : HEADER_BYTES + length])
                del self._buffer[: HEADER_BYTES + length]
                messages.append(decode(kind, payload))
        except ProtocolError as error:
            self.error = error
            self._buffer.clear()
            if not messages:
                raise
        return messages


def encode(kind: int, payload: bytes = b"") -> bytes:
    if not 0 <= kind <= 0xFF or len(payload) > 0xFFFF:
        raise ValueError(f"cannot encode kind {kind} with {len(payload)} bytes")
    return bytes([kind]) + len(payload).to_bytes(2, "big") + payload


def encode_audio(pcm: bytes, sample_rate: int = 8_000) -> bytes:
    return encode(AUDIO_KINDS[sample_rate], pcm)


def encode_uuid(call_id: uuid.UUID) -> bytes:
    return encode(KIND_UUID, call_id.bytes)


def encode_dtmf(key: str) -> bytes:
    return encode(KIND_DTMF, key.encode("ascii"))


def encode_hangup() -> bytes:
    return encode(KIND_HANGUP)


def encode_error(code: int) -> bytes:
    return encode(KIND_ERROR, bytes([code]))
