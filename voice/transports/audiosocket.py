"""Asterisk AudioSocket server: one TCP connection per call (see `audiosocket_protocol`).

Asterisk's `AudioSocket(uuid,host:port)` dialplan application connects, sends the call's UUID,
then 20 ms frames of 8 kHz signed linear audio and DTMF; Linli answers with audio frames of the
same rate and ends the call with a hang-up message. A transfer to a person cannot be made over
the socket: Linli remembers the target and hangs up, and the dialplan, continuing after
`AudioSocket()`, asks the control port (`GET /audiosocket/<uuid>`, plain text: the target, or
empty) and sends the caller to that queue.

The control port answers only about calls this server admitted over AudioSocket (404 for any
other id), only to a request with the media token (401), until `DISPOSITION_TTL_S` after the
call ended; `GET /health` needs no token and tells nothing about calls. AudioSocket carries no
credential of its own (nor a caller number): its port stays on loopback, where only Asterisk
reaches it (a browser cannot forge its binary UUID message).

Calls Linli places (issue 18): AudioSocket cannot originate, so Asterisk does (AMI `Originate`,
`voice/transports/originate.py`) into a dialplan context that connects the answered callee to
this socket with the UUID Linli chose. The control port answers that dialplan which plan the
call belongs to (`GET /outbound/<uuid>`: "OC000012,wellbeing"), and the connection with that
UUID is handed to the call's dialler instead of starting a hotline call.
"""

import asyncio
import contextlib
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator
from http import HTTPStatus
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from common.metrics import exposition, may_scrape
from voice.audio import SAMPLE_RATE, RateConverter
from voice.call.plan import PlannedCall
from voice.services import VoiceServices
from voice.session import CallSession
from voice.settings import VoiceSettings
from voice.transports import audiosocket_protocol as wire
from voice.transports.auth import all_match, presented_tokens
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
        early: list[wire.Message], settings: VoiceSettings, dialplan_calls: "DialplanCalls",
        call_uuid: str,
    ) -> None:  # fmt: skip
        self.reader, self.writer, self.decoder = reader, writer, decoder
        self.settings = settings
        self.dialplan_calls = dialplan_calls
        self.call_uuid = call_uuid  # what the dialplan knows the call by
        self._early = early  # messages that came in the same read as the UUID
        self._session: CallSession | None = None
        self._closed = False
        # Set once the call is over, for the handler of a call it handed to a dialler.
        self.finished = asyncio.Event()
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
        self.finished.set()
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
        self.dialplan_calls.set_target(self.call_uuid, target)
        return True

    async def hang_up(self) -> None:
        await self._send(wire.encode_hangup())
        self._closed = True
        self.finished.set()


def limit_send_buffers(transport: asyncio.BaseTransport) -> None:
    """About a second of audio may wait for a peer; more means it does not keep up."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
    if isinstance(transport, asyncio.WriteTransport):
        transport.set_write_buffer_limits(high=SEND_BUFFER_BYTES)


class DialplanCalls:
    """The calls this server admitted over AudioSocket, by the UUID the dialplan gave them, and
    where each goes next: the dialplan may ask about these only, until `DISPOSITION_TTL_S`
    after the call ended."""

    def __init__(self) -> None:
        self._targets: dict[str, str] = {}  # "" while there is nowhere to go
        self._expires: dict[str, float] = {}  # ended calls only

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for call_uuid in [k for k, expires in self._expires.items() if expires <= now]:
            del self._expires[call_uuid], self._targets[call_uuid]

    def admit(self, call_uuid: str) -> bool:
        """False for a UUID this server already has (live or recently ended): two connections
        must never share one call's record or transfer."""
        self._forget_expired()
        if call_uuid in self._targets:
            return False
        self._targets[call_uuid] = ""
        return True

    def set_target(self, call_uuid: str, target: str) -> None:
        if call_uuid in self._targets:
            self._targets[call_uuid] = target

    def finish(self, call_uuid: str) -> None:
        if call_uuid in self._targets:
            self._expires[call_uuid] = time.monotonic() + DISPOSITION_TTL_S

    def target(self, call_uuid: str) -> str | None:
        """Where the call goes next ("" nowhere); None for a call this server did not admit."""
        self._forget_expired()
        return self._targets.get(call_uuid)


class AudioSocketServer:
    def __init__(self, services: VoiceServices) -> None:
        self.services = services
        self.settings = services.settings
        self.dialplan_calls = DialplanCalls()
        self.calls: set[asyncio.Task[None]] = set()
        # Calls being placed (issue 18), by the UUID the dialplan will connect them with.
        self._placing: dict[str, tuple[PlannedCall, asyncio.Future[AudioSocketLine]]] = {}

    def expect(self, call_uuid: str, planned: PlannedCall) -> asyncio.Future[AudioSocketLine]:
        """The line of a call being placed, once its callee answers and the dialplan connects
        it here with `call_uuid`."""
        answered: asyncio.Future[AudioSocketLine] = asyncio.get_running_loop().create_future()
        self._placing[call_uuid] = (planned, answered)
        return answered

    def forget(self, call_uuid: str) -> None:
        self._placing.pop(call_uuid, None)

    async def start(self) -> list[asyncio.Server | Server]:
        settings = self.settings
        audio = await asyncio.start_server(
            self._on_connection, settings.audiosocket_host, settings.audiosocket_port
        )
        # Plain HTTP GET, parsed by websockets and answered from `process_request`: no request
        # is ever upgraded, so `_never_upgraded` never runs.
        control = await serve(
            _never_upgraded, settings.audiosocket_host, settings.audiosocket_control_port,
            process_request=self._on_control, server_header=None,
        )  # fmt: skip
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
        if not self.dialplan_calls.admit(call_id):
            log.warning("audiosocket: UUID %s is already a call here: refused", call_id)
            writer.write(wire.encode_hangup())
            return
        line = AudioSocketLine(
            reader, writer, decoder, early, self.settings, self.dialplan_calls, call_id
        )
        placing = self._placing.pop(call_id, None)
        if placing is not None:
            _, answered = placing
            if not answered.done():  # the dialler serves it; the socket stays open till then
                answered.set_result(line)
                await line.finished.wait()
                self.dialplan_calls.finish(call_id)
                return
        session = CallSession(self.services, call_id, AudioSocketLine.name)
        try:
            await line.serve(session)
        finally:
            self.dialplan_calls.finish(call_id)
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

    def _on_control(self, socket: ServerConnection, request: Request) -> Response:
        """`GET /audiosocket/<uuid>` with the media token: that call's transfer target as plain
        text, or empty; `GET /health`: 200."""
        path = urlsplit(request.path).path
        prefix = "/audiosocket/"
        if request.method != "GET":
            return socket.respond(HTTPStatus.METHOD_NOT_ALLOWED, "")
        if path in ("/health", f"{prefix}health"):
            return socket.respond(HTTPStatus.OK, "ok\n")
        if path == "/metrics":
            if not may_scrape(request.headers.get("Authorization")):
                return socket.respond(HTTPStatus.UNAUTHORIZED, "")
            body, content_type = exposition()
            answer = socket.respond(HTTPStatus.OK, body.decode())
            answer.headers["Content-Type"] = content_type
            return answer
        outbound = path.startswith("/outbound/")
        if not path.startswith(prefix) and not outbound:
            return socket.respond(HTTPStatus.NOT_FOUND, "")
        # Refusals have empty bodies: Asterisk's CURL() hands the dialplan the body whatever
        # the status, and a non-empty one would be taken for a queue name.
        tokens = presented_tokens(request.path, request.headers)
        if not all_match(tokens, self.settings.media_token):
            log.warning("audiosocket control: %s: no valid media token", socket.remote_address)
            return socket.respond(HTTPStatus.UNAUTHORIZED, "")
        try:
            call_uuid = str(uuid.UUID(path.rsplit("/", 1)[1]))
        except ValueError:
            return socket.respond(HTTPStatus.NOT_FOUND, "")
        if outbound:
            return self._plan_of(socket, call_uuid)
        target = self.dialplan_calls.target(call_uuid)
        if target is None:
            log.warning("audiosocket control: asked about %s, not a call of this server", call_uuid)
            return socket.respond(HTTPStatus.NOT_FOUND, "")
        return socket.respond(HTTPStatus.OK, target)

    def _plan_of(self, socket: ServerConnection, call_uuid: str) -> Response:
        """Which plan a call being placed belongs to, for the dialplan (CDR, caller id): the
        backend's call number and purpose, as "OC000012,wellbeing"; 404 for any other UUID."""
        placing = self._placing.get(call_uuid)
        if placing is None:
            log.warning("audiosocket control: asked about %s, not a call being placed", call_uuid)
            return socket.respond(HTTPStatus.NOT_FOUND, "")
        planned, _ = placing
        return socket.respond(HTTPStatus.OK, f"{planned.number},{planned.purpose}")


async def _never_upgraded(socket: ServerConnection) -> None:
    await socket.close()
