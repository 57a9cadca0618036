"""WebSocket media-stream server: one socket per call (see `websocket_protocol` for the format).

A FreeSWITCH mod_audio_fork or jambonz `listen` gateway (or anything that speaks the same
messages) connects, sends a JSON start message with the audio format, then streams the caller's
audio as binary messages; Linli streams its audio back in the same format at real time and
sends "clear" when the caller barges in, so the gateway drops what it still has queued.

Only the gateway opens calls: a handshake with an `Origin` header (what a browser sends, so a
web page open on the host cannot reach this port) is refused unless that origin is listed in
`WEBSOCKET_ALLOWED_ORIGINS`, and the media token must come with the handshake or in the start
message (`voice.transports.auth`). A refused peer is logged, not recorded as a call.

A gateway that can dial out registers a control socket; `WebSocketServer.dial` asks it to place
a call of the backend's call plans and takes the media stream it opens when the callee answers
(issue 18; the messages are in `websocket_protocol`).
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK
from websockets.http11 import Request, Response
from websockets.typing import Origin

from voice.audio import SAMPLE_RATE, RateConverter
from voice.call.plan import PlannedCall, dial_string
from voice.services import VoiceServices
from voice.session import CallSession
from voice.settings import VoiceSettings
from voice.transports import websocket_protocol as wire
from voice.transports.audiosocket import SEND_BUFFER_BYTES, limit_send_buffers
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
TRANSFER_ANSWER_TIMEOUT_S = 25.0
# websockets closes with these codes when the peer broke the protocol or sent too much.
BROKEN_STREAM_CODES = {1002, 1003, 1007, 1009}
# After the ring time, the gateway has this long to say what became of a dial.
DIAL_ANSWER_GRACE_S = 5.0


class NoGatewayError(RuntimeError):
    """No gateway has registered a control socket: no call can be placed."""


class WebSocketLine(Transport):
    name = "websocket"

    def __init__(
        self, socket: ServerConnection, start: wire.Start, settings: VoiceSettings
    ) -> None:
        self.socket = socket
        self.stream = start.format
        self.settings = settings
        self._session: CallSession | None = None
        self._closed = False
        self._inbound = RateConverter(self.stream.sample_rate, SAMPLE_RATE)
        self._outbound = RateConverter(SAMPLE_RATE, self.stream.sample_rate)
        self._replies = 0
        self._transfer_answer: asyncio.Future[bool] | None = None
        # Set once the call is over, for the handler of a stream it handed to a dialler.
        self.finished = asyncio.Event()

    async def serve(self, session: CallSession) -> str:
        self._session = session
        return await super().serve(session)

    async def receive(self) -> AsyncIterator[CallerInput]:
        while True:
            try:
                async with asyncio.timeout(self.settings.telephony_idle_timeout_s):
                    message = await self.socket.recv()
            except TimeoutError:
                log.warning("websocket: no data from the gateway: peer gone")
                yield CallerHungUp()
                return
            except ConnectionClosedOK:
                yield CallerHungUp()
                return
            except ConnectionClosed as closed:
                frame = closed.rcvd or closed.sent
                code = frame.code if frame else 1006
                if code in BROKEN_STREAM_CODES or (closed.sent and closed.sent.code == 1009):
                    await self._drop(f"stream closed with code {code}", notify=False)
                else:
                    log.warning("websocket: gateway gone (code %s)", code)
                    yield CallerHungUp()
                return
            try:
                item = self._caller_input(message)
            except wire.ProtocolError as error:
                await self._drop(f"protocol error: {error}")
                return
            if item is not None:
                yield item
                if isinstance(item, CallerHungUp):
                    return

    def _caller_input(self, message: str | bytes) -> CallerInput | None:
        if isinstance(message, bytes):
            return CallerAudio(self._inbound.convert(wire.decode_audio(message, self.stream)))
        event = wire.parse_event(message)
        if isinstance(event, wire.Dtmf):
            return KeyPress(event.key) if event.key in "0123456789*#" else None
        if isinstance(event, wire.Hangup):
            return CallerHungUp()
        if isinstance(event, wire.Mark):
            if self._session is not None and event.name == f"reply-{self._replies}":
                self._session.playback_finished()  # the gateway has played our last reply
        elif isinstance(event, wire.TransferResult):
            if self._transfer_answer is not None and not self._transfer_answer.done():
                self._transfer_answer.set_result(event.connected)
        elif isinstance(event, wire.Unknown):
            log.info("websocket: skipped unknown event %r", event.event)
        return None

    async def _drop(self, reason: str, notify: bool = True) -> None:
        """End a call the wire broke: the gateway is told, the call recorded as "error"."""
        log.warning("websocket: dropping the call: %s", reason)
        if notify:
            await self._send(wire.error_message(reason))
        self._closed = True
        self.finished.set()
        if self._session is not None:
            await self._session.close("error", caller_gone=True)

    async def _send(self, message: str | bytes) -> None:
        if self._closed:
            return
        try:
            async with asyncio.timeout(self.settings.telephony_send_timeout_s):
                await self.socket.send(message)
        except TimeoutError:
            self.socket.transport.abort()
            await self._drop("the gateway does not read its audio (slower than real time)", False)
        except ConnectionClosed:
            self._closed = True
            if self._session is not None:
                await self._session.caller_hung_up()

    async def play(self, frame: bytes) -> None:
        await self._send(wire.encode_audio(self._outbound.convert(frame), self.stream))

    async def flush_playback(self) -> None:
        await self._send(wire.clear_message())

    async def reply_sent(self) -> None:
        self._replies += 1
        await self._send(wire.mark_message(f"reply-{self._replies}"))

    async def transfer(self, target: str) -> bool:
        """The gateway bridges the caller to `target` and answers with `transfer_result`."""
        if self._closed:
            return False
        self._transfer_answer = asyncio.get_running_loop().create_future()
        await self._send(wire.transfer_message(target))
        try:
            async with asyncio.timeout(TRANSFER_ANSWER_TIMEOUT_S):
                return await self._transfer_answer
        except TimeoutError:
            return False
        finally:
            self._transfer_answer = None

    async def hang_up(self) -> None:
        outcome = self._session.outcome if self._session is not None else None
        await self._send(wire.hangup_message(outcome or "completed"))
        self._closed = True
        self.finished.set()
        await self.socket.close()


class WebSocketServer:
    def __init__(self, services: VoiceServices) -> None:
        self.services = services
        self.settings = services.settings
        # Gateways' control sockets (by the name each registered with), and dials in progress.
        self.gateways: dict[ServerConnection, str] = {}
        self._dials: dict[str, asyncio.Future[WebSocketLine | str]] = {}

    def ready(self) -> bool:
        return bool(self.gateways)

    async def dial(self, planned: PlannedCall) -> Transport | str:
        """Asks a registered gateway to place the call; the answered stream, or why not."""
        if not self.gateways:
            raise NoGatewayError("no WebSocket gateway has registered to place calls")
        gateway = next(iter(self.gateways))
        dial_id = uuid.uuid4().hex
        answer: asyncio.Future[WebSocketLine | str] = asyncio.get_running_loop().create_future()
        self._dials[dial_id] = answer
        ring_s = self.settings.outbound_ring_s
        try:
            await gateway.send(wire.dial_message(dial_id, dial_string(planned.phone), ring_s))
            async with asyncio.timeout(ring_s + DIAL_ANSWER_GRACE_S):
                return await answer
        except TimeoutError:
            with contextlib.suppress(ConnectionClosed):
                await gateway.send(wire.cancel_message(dial_id))
            return "响铃无人接听"
        finally:
            self._dials.pop(dial_id, None)

    async def start(self) -> Server:
        settings = self.settings
        return await serve(
            self.handle_call, settings.websocket_host, settings.websocket_port,
            max_size=settings.telephony_max_payload_bytes,
            # Real-time audio: a small send buffer, so a slow reader is noticed in seconds.
            write_limit=SEND_BUFFER_BYTES,
            # No Origin (a gateway) or a listed one; websockets answers 403 to any other.
            origins=[None, *map(Origin, settings.websocket_allowed_origins)],
            process_request=self._check_handshake_token,
        )  # fmt: skip

    def _check_handshake_token(self, socket: ServerConnection, request: Request) -> Response | None:
        """401 before the upgrade for a wrong token; none at all may still come in the start
        message."""
        tokens = presented_tokens(request.path, request.headers)
        if tokens and not all_match(tokens, self.settings.media_token):
            log.warning("websocket: %s: wrong media token in the handshake", _peer(socket))
            return socket.respond(HTTPStatus.UNAUTHORIZED, "wrong media token\n")
        return None

    async def handle_call(self, socket: ServerConnection) -> None:
        limit_send_buffers(socket.transport)
        try:
            start, problem = await self._start_message(socket)
            if start is None:
                if self._handshake_tokens(socket):  # the gateway (wrong ones got a 401)
                    await record_broken_connection(
                        self.services.backend, WebSocketLine.name, problem
                    )
                elif problem is not None:  # anyone: logged, never a call record
                    log.warning("websocket: %s: no token, broken start: %s", _peer(socket), problem)
                if problem is not None:
                    await self._close_with_error(socket, problem)
                return
            if not self._authenticated(socket, start.token):
                log.warning("websocket: %s: no valid media token: refused", _peer(socket))
                await self._close_with_error(socket, "no valid media token")
                return
            if isinstance(start, wire.Register):
                await self._serve_gateway(socket, start.gateway)
                return
            if start.dial_id is not None:
                await self._answered(socket, start)
                return
            line = WebSocketLine(socket, start, self.settings)
            session = CallSession(self.services, start.call_id, line.name, start.caller_number)
            try:
                await line.serve(session)
            finally:
                if session.outcome is None:  # cancelled or crashed: still recorded as ended
                    await session.close("error", caller_gone=True)
        except Exception:  # one broken call must never take the server down
            log.exception("websocket: call failed")

    async def _serve_gateway(self, socket: ServerConnection, name: str) -> None:
        """A gateway's control socket, open until it closes: dial results come in here."""
        self.gateways[socket] = name
        log.warning("websocket: gateway %s registered to place calls", name)
        try:
            async for message in socket:
                if isinstance(message, bytes):
                    continue
                try:
                    event = wire.parse_event(message)
                except wire.ProtocolError as error:
                    log.warning("websocket: gateway %s: %s", name, error)
                    continue
                if isinstance(event, wire.DialResult) and not event.answered:
                    answer = self._dials.get(event.dial_id)
                    if answer is not None and not answer.done():
                        answer.set_result(event.reason)
        except ConnectionClosed:
            pass
        finally:
            del self.gateways[socket]
            log.warning("websocket: gateway %s gone", name)

    async def _answered(self, socket: ServerConnection, start: wire.Start) -> None:
        """The stream of a call a gateway placed for `dial`: handed to it, kept open until
        the call is over."""
        answer = self._dials.get(start.dial_id or "")
        if answer is None or answer.done():
            await self._close_with_error(socket, "no call is being placed with that dial_id")
            return
        line = WebSocketLine(socket, start, self.settings)
        answer.set_result(line)
        await line.finished.wait()

    async def _start_message(
        self, socket: ServerConnection
    ) -> tuple[wire.Start | wire.Register | None, str | None]:
        try:
            async with asyncio.timeout(self.settings.telephony_start_timeout_s):
                first = await socket.recv()
        except TimeoutError:
            return None, "no start message in time"
        except ConnectionClosed as closed:
            too_big = closed.sent is not None and closed.sent.code == 1009
            return None, "start message too long" if too_big else None
        if isinstance(first, bytes):
            return None, "the first message must be the JSON start message, not audio"
        try:
            return wire.parse_first(first), None
        except wire.ProtocolError as error:
            return None, str(error)

    @staticmethod
    def _handshake_tokens(socket: ServerConnection) -> list[str]:
        request = socket.request
        return presented_tokens(request.path, request.headers) if request is not None else []

    def _authenticated(self, socket: ServerConnection, token: str | None) -> bool:
        """The handshake's tokens (already checked) and the first message's: at least one,
        every one right."""
        tokens = self._handshake_tokens(socket)
        if token is not None:
            tokens.append(token)
        return all_match(tokens, self.settings.media_token)

    async def _close_with_error(self, socket: ServerConnection, problem: str) -> None:
        try:
            async with asyncio.timeout(self.settings.telephony_send_timeout_s):
                await socket.send(wire.error_message(problem))
                await socket.close(1008, problem[:100])  # policy violation
        except (TimeoutError, ConnectionClosed):
            socket.transport.abort()


def _peer(socket: ServerConnection) -> str:
    address = socket.remote_address
    return f"{address[0]}:{address[1]}" if address else "unknown peer"
