"""Callers that speak the published wire formats, as Asterisk and a media gateway would: they
stream audio at real time (silence between phrases, as a phone line does), collect what the bot
sends back, and time each answer. The tests and `bench/telephony` drive calls with them."""

import asyncio
import base64
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Literal, cast
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from voice.audio import RateConverter
from voice.transports import audiosocket_protocol as aswire
from voice.transports import websocket_protocol as wswire

LINE_RATE = 8_000
FRAME_S = 0.02


@dataclass
class Reply:
    started_at: float
    pcm: bytearray = field(default_factory=bytearray)  # at the line rate, 16-bit
    last_at: float = 0.0


@dataclass
class Heard:
    replies: list[Reply] = field(default_factory=list)
    events: list[dict[str, object]] = field(default_factory=list)  # WebSocket text events
    hung_up: bool = False

    def add_audio(self, pcm: bytes, gap_s: float) -> None:
        now = time.monotonic()
        if not self.replies or now - self.replies[-1].last_at > gap_s:
            self.replies.append(Reply(now))
        self.replies[-1].pcm += pcm
        self.replies[-1].last_at = now


class Caller:
    """The transport-independent half: a paced sender and the reply bookkeeping."""

    # Bot audio arrives every 20 ms while it speaks: a longer gap ends a reply.
    reply_gap_s = 1.0

    def __init__(self, line_rate: int = LINE_RATE) -> None:
        self.line_rate = line_rate
        self.heard = Heard()
        self._to_say: asyncio.Queue[bytes] = asyncio.Queue()
        self._said = asyncio.Event()
        self.speech_ended_at = 0.0
        self._tasks: list[asyncio.Task[None]] = []

    def frame_bytes(self) -> int:
        return self.line_rate * 2 // 50

    async def send_audio(self, pcm: bytes) -> None:
        raise NotImplementedError

    async def hang_up(self) -> None:
        raise NotImplementedError

    async def _send_loop(self) -> None:
        """One frame every 20 ms, silence unless a phrase is queued."""
        size = self.frame_bytes()
        started = time.monotonic()
        index = 0
        pending = b""
        try:
            while True:
                if not pending and not self._to_say.empty():
                    pending = self._to_say.get_nowait()
                frame, pending = pending[:size], pending[size:]
                if frame and not pending:
                    self.speech_ended_at = started + (index + 1) * FRAME_S
                    self._said.set()
                await self.send_audio(frame + bytes(size - len(frame)))
                index += 1
                await asyncio.sleep(max(0.0, started + index * FRAME_S - time.monotonic()))
        except (ConnectionError, ConnectionClosed, OSError):
            return

    def start_sending(self) -> None:
        self._tasks.append(asyncio.get_running_loop().create_task(self._send_loop()))

    async def say(self, pcm_16k: bytes) -> None:
        """Speak a phrase (16 kHz PCM) and wait until its last frame has gone out."""
        self._said.clear()
        await self._to_say.put(RateConverter(16_000, self.line_rate).convert(pcm_16k))
        await self._said.wait()

    async def wait_for_reply(self, after: float, timeout: float = 60.0) -> Reply | None:
        """The first reply that starts after `after` and has finished (or the call ended)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            later = [r for r in self.heard.replies if r.started_at > after]
            if later and (
                time.monotonic() - later[0].last_at > self.reply_gap_s or self.heard.hung_up
            ):
                return later[0]
            if self.heard.hung_up and not later:
                return None
            await asyncio.sleep(0.05)
        return None

    async def wait_for_audio(self, timeout: float = 30.0) -> bool:
        """Until the bot starts speaking (the greeting)."""
        deadline = time.monotonic() + timeout
        while not self.heard.replies and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return bool(self.heard.replies)

    async def wait_for_hangup(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.heard.hung_up and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.heard.hung_up

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class AudioSocketCaller(Caller):
    """Plays Asterisk's side of `AudioSocket(uuid,host:port)`."""

    def __init__(self, call_id: uuid.UUID | None = None) -> None:
        super().__init__(LINE_RATE)
        self.call_id = call_id or uuid.uuid4()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, host: str, port: int, send_uuid: bool = True) -> None:
        self.reader, self.writer = await asyncio.open_connection(host, port)
        if send_uuid:
            self.writer.write(aswire.encode_uuid(self.call_id))
        self._tasks.append(asyncio.get_running_loop().create_task(self._read_loop()))

    async def send_raw(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)
        await self.writer.drain()

    async def send_audio(self, pcm: bytes) -> None:
        await self.send_raw(aswire.encode_audio(pcm, self.line_rate))

    async def press(self, key: str) -> None:
        await self.send_raw(aswire.encode_dtmf(key))

    async def hang_up(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            await self.send_raw(aswire.encode_hangup())
        await self.close()

    async def close(self) -> None:
        await self.stop()
        if self.writer is not None:
            self.writer.close()

    async def _read_loop(self) -> None:
        assert self.reader is not None
        decoder = aswire.Decoder(max_payload=0xFFFF)
        try:
            while data := await self.reader.read(4096):
                for message in decoder.feed(data):
                    if isinstance(message, aswire.Audio):
                        self.heard.add_audio(message.pcm, self.reply_gap_s)
                    elif isinstance(message, aswire.Hangup | aswire.PeerError):
                        self.heard.hung_up = True
        except (ConnectionError, OSError):
            pass
        self.heard.hung_up = True


# Where a gateway puts the media token: an Authorization header (Bearer), HTTP Basic auth
# (jambonz wsAuth), the URL's query (mod_audio_fork) or the start message (its metadata).
TokenPlace = Literal["bearer", "basic", "query", "start"]


class WebSocketCaller(Caller):
    """Plays a media gateway (mod_audio_fork / jambonz style) streaming one call; it sends
    `token` (the server's media token) in `token_in`, and an `Origin` header only if given
    one (as a browser would)."""

    def __init__(
        self, stream: wswire.StreamFormat | None = None, call_id: str | None = None,
        transfer_connects: bool = True, *, token: str | None, token_in: TokenPlace = "bearer",
        origin: str | None = None, caller_number: str | None = None,
    ) -> None:  # fmt: skip
        self.stream = stream or wswire.StreamFormat("L16", LINE_RATE)
        super().__init__(self.stream.sample_rate)
        self.call_id = call_id or f"ws-{uuid.uuid4().hex[:12]}"
        self.transfer_connects = transfer_connects
        self.token, self.token_in, self.origin = token, token_in, origin
        self.caller_number = caller_number
        self.socket: ClientConnection | None = None
        self.cleared = 0

    async def connect(self, url: str, start: str | None = None) -> None:
        """Opens the stream and sends the start message (`start`, verbatim, if given)."""
        headers: dict[str, str] = {}
        if self.token is not None and self.token_in == "bearer":
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.token is not None and self.token_in == "basic":
            credentials = base64.b64encode(f"gateway:{self.token}".encode()).decode()
            headers["Authorization"] = f"Basic {credentials}"
        elif self.token is not None and self.token_in == "query":
            url = f"{url}?{urlencode({'token': self.token})}"
        self.socket = await connect(
            url, max_size=None, additional_headers=headers, origin=cast(Origin | None, self.origin)
        )
        if start is None:
            in_start = self.token if self.token_in == "start" else None
            start = wswire.start_message(self.call_id, self.stream, self.caller_number, in_start)
        await self.socket.send(start)
        self._tasks.append(asyncio.get_running_loop().create_task(self._read_loop()))

    async def send_audio(self, pcm: bytes) -> None:
        assert self.socket is not None
        await self.socket.send(wswire.encode_audio(pcm, self.stream))

    async def send_event(self, event: str, **fields: object) -> None:
        assert self.socket is not None
        await self.socket.send(json.dumps({"event": event, **fields}))

    async def hang_up(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self.send_event("hangup")
        await self.close()

    async def close(self) -> None:
        await self.stop()
        if self.socket is not None:
            await self.socket.close()

    async def _read_loop(self) -> None:
        assert self.socket is not None
        try:
            async for message in self.socket:
                if isinstance(message, bytes):
                    self.heard.add_audio(
                        wswire.decode_audio(message, self.stream), self.reply_gap_s
                    )
                    continue
                event = json.loads(message)
                self.heard.events.append(event)
                if event["event"] == "clear":
                    self.cleared += 1
                elif event["event"] == "mark":
                    await self.send_event("mark", name=event["name"])  # played at once
                elif event["event"] == "transfer":
                    await self.send_event("transfer_result", connected=self.transfer_connects)
                elif event["event"] in ("hangup", "error"):
                    self.heard.hung_up = True
        except ConnectionClosed:
            pass
        self.heard.hung_up = True
