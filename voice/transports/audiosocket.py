"""Asterisk AudioSocket server: one TCP connection per call (see `audiosocket_protocol`).

Asterisk's `AudioSocket(uuid,host:port)` dialplan application connects, sends the call's UUID,
then 20 ms frames of 8 kHz signed linear audio and DTMF; Linli answers with audio frames of the
same rate and ends the call with a hang-up message. A transfer to a person cannot be made over
the socket: Linli remembers the target and hangs up, and the dialplan, continuing after
`AudioSocket()`, asks the control port (`GET /audiosocket/<uuid>`, plain text: the target, or
empty) and sends the caller to that queue.
"""

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator

from voice.audio import SAMPLE_RATE, RateConverter
from voice.services import VoiceServices
from voice.session import CallSession
from voice.settings import VoiceSettings
from voice.transports import audiosocket_protocol as wire
from voice.transports.base import (
    CallerAudio,
    CallerHungUp,
    CallerInput,
    KeyPress,
    Transport,
    record_broken_connection,
)

log = logging.getLogger(__name__)
READ_CHUNK = 4096
DISPOSITION_TTL_S = 600.0
SEND_BUFFER_BYTES = 16_000  # half a second of 16 kHz audio


class AudioSocketLine(Transport):
    name = "audiosocket"

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, decoder: wire.Decoder,
        early: list[wire.Message], settings: VoiceSettings, transfers: "TransferBook",
    ) -> None:  # fmt: skip
        self.reader, self.writer, self.decoder = reader, writer, decoder
        self.settings = settings
        self.transfers = transfers
        self._early = early  # messages that came in the same read as the UUID
        self._session: CallSession | None = None
        self._closed = False
        self.line_rate = 8_000  # follows the audio kind the peer sends
        self._inbound = RateConverter(self.line_rate, SAMPLE_RATE)
        self._outbound = RateConverter(SAMPLE_RATE, self.line_rate)

    async def serve(self, session: CallSession) -> str:
        self._session = session
        return await super().serve(session)

    async def receive(self) -> AsyncIterator[CallerInput]:
        pending = self._early
        while True:
            for message in pending:
                item = self._caller_input(message)
                if isinstance(item, str):
                    await self._drop(item)
                    return
                if item is not None:
                    yield item
            if self.decoder.error is not None:  # came in the same read as the last messages
                await self._drop(f"protocol error: {self.decoder.error}")
                return
            data = await self._read()
            if data is None:
                if self.decoder.pending_bytes:
                    log.warning("audiosocket: gone mid-frame (%d B)", self.decoder.pending_bytes)
                yield CallerHungUp()
                return
            try:
                pending = self.decoder.feed(data)
            except wire.ProtocolError as error:
                await self._drop(f"protocol error: {error}")
                return

    async def _read(self) -> bytes | None:
        """The next bytes; None once the peer is gone (closed, reset, or silent too long)."""
        try:
            async with asyncio.timeout(self.settings.telephony_idle_timeout_s):
                data = await self.reader.read(READ_CHUNK)
        except (TimeoutError, ConnectionError, OSError) as error:
            log.warning("audiosocket: peer gone: %r", error)
            return None
        return data or None

    def _caller_input(self, message: wire.Message) -> CallerInput | str | None:
        """What the message means for the call; a string says why the call must end."""
        if isinstance(message, wire.Audio):
            if message.sample_rate != self.line_rate:
                self.line_rate = message.sample_rate
                self._inbound = RateConverter(self.line_rate, SAMPLE_RATE)
                self._outbound = RateConverter(SAMPLE_RATE, self.line_rate)
            return CallerAudio(self._inbound.convert(message.pcm))
        if isinstance(message, wire.Dtmf):
            return KeyPress(message.key) if message.key in "0123456789*#" else None
        if isinstance(message, wire.Hangup):
            return CallerHungUp()
        if isinstance(message, wire.PeerError):
            if message.code == 0x01:
                return CallerHungUp()
            return f"Asterisk reported an error: {message.description}"
        if isinstance(message, wire.CallId):
            return "a second UUID message on the same call"
        log.info("audiosocket: skipped unknown message kind 0x%02x", message.kind)
        return None

    async def _drop(self, reason: str) -> None:
        """End a call the wire broke: recorded with outcome "error"."""
        log.warning("audiosocket: dropping the call: %s", reason)
        self._closed = True
        if self._session is not None:
            await self._session.close("error", caller_gone=True)

    async def _send(self, data: bytes) -> None:
        if self._closed:
            return
        try:
            self.writer.write(data)
            async with asyncio.timeout(self.settings.telephony_send_timeout_s):
                await self.writer.drain()
        except TimeoutError:
            self.writer.transport.abort()
            await self._drop("the peer does not read its audio (slower than real time)")
        except (ConnectionError, OSError) as error:
            self._closed = True
            log.warning("audiosocket: peer gone while sending: %r", error)
            if self._session is not None:
                await self._session.caller_hung_up()

    async def play(self, frame: bytes) -> None:
        await self._send(wire.encode_audio(self._outbound.convert(frame), self.line_rate))

    async def transfer(self, target: str) -> bool:
        """Handed to the dialplan, which queues the caller once the socket closes."""
        if self._session is None or self._closed:
            return False
        self.transfers.put(self._session.call_id, target)
        return True

    async def hang_up(self) -> None:
        await self._send(wire.encode_hangup())
        self._closed = True


def limit_send_buffers(transport: asyncio.BaseTransport) -> None:
    """About a second of audio may wait for a peer; more means it does not keep up."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
    if isinstance(transport, asyncio.WriteTransport):
        transport.set_write_buffer_limits(high=SEND_BUFFER_BYTES)


class TransferBook:
    """Where each finished call goes next, for the dialplan to ask; entries expire."""

    def __init__(self) -> None:
        self._targets: dict[str, tuple[str, float]] = {}

    def put(self, call_id: str, target: str) -> None:
        now = time.monotonic()
        self._targets = {k: v for k, v in self._targets.items() if v[1] > now}
        self._targets[call_id] = (target, now + DISPOSITION_TTL_S)

    def get(self, call_id: str) -> str:
        target, expires = self._targets.get(call_id, ("", 0.0))
        return target if expires > time.monotonic() else ""


class AudioSocketServer:
    def __init__(self, services: VoiceServices) -> None:
        self.services = services
        self.settings = services.settings
        self.transfers = TransferBook()
        self.calls: set[asyncio.Task[None]] = set()

    async def start(self) -> list[asyncio.Server]:
        settings = self.settings
        audio = await asyncio.start_server(
            self._on_connection, settings.audiosocket_host, settings.audiosocket_port
        )
        control = await asyncio.start_server(
            self._on_control, settings.audiosocket_host, settings.audiosocket_control_port
        )
        return [audio, control]

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.calls.add(task)
        limit_send_buffers(writer.transport)
        try:
            await self.handle_call(reader, writer)
        except Exception:  # one broken call must never take the server down
            log.exception("audiosocket: call failed")
        finally:
            if task is not None:
                self.calls.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def handle_call(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = wire.Decoder(self.settings.telephony_max_payload_bytes)
        call_id, early, problem = await self._first_message(reader, decoder)
        if call_id is None:
            await record_broken_connection(self.services.backend, AudioSocketLine.name, problem)
            writer.write(wire.encode_hangup())
            return
        line = AudioSocketLine(reader, writer, decoder, early, self.settings, self.transfers)
        session = CallSession(self.services, call_id, AudioSocketLine.name)
        try:
            await line.serve(session)
        finally:
            if session.outcome is None:  # cancelled or crashed: still recorded as ended
                await session.close("error", caller_gone=True)

    async def _first_message(
        self, reader: asyncio.StreamReader, decoder: wire.Decoder
    ) -> tuple[str | None, list[wire.Message], str | None]:
        """The call id from the UUID message, the messages after it, or why there is none."""
        received = 0
        try:
            async with asyncio.timeout(self.settings.telephony_start_timeout_s):
                while True:
                    data = await reader.read(READ_CHUNK)
                    if not data:
                        return None, [], "closed before its UUID" if received else None
                    received += len(data)
                    messages = decoder.feed(data)
                    if not messages:
                        continue
                    first, *rest = messages
                    if not isinstance(first, wire.CallId):
                        return None, [], f"first message is {type(first).__name__}, not a UUID"
                    return str(first.call_id), rest, None
        except TimeoutError:
            return None, [], "no UUID in time" if received else None
        except wire.ProtocolError as error:
            return None, [], f"protocol error before the UUID: {error}"
        except (ConnectionError, OSError) as error:
            return None, [], f"connection lost before the UUID: {error!r}" if received else None

    async def _on_control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """`GET /audiosocket/<uuid>`: the transfer target of that call as plain text, or empty."""
        try:
            async with asyncio.timeout(5):
                request = await reader.readuntil(b"\r\n\r\n")
            method, path, *_ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            prefix = "/audiosocket/"
            if method != "GET" or not path.startswith(prefix):
                status, body = "404 Not Found", b""
            else:
                status, body = "200 OK", self.transfers.get(path[len(prefix) :]).encode()
            writer.write(
                f"HTTP/1.0 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ConnectionError, OSError):  # fmt: skip
            pass
        finally:
            writer.close()
