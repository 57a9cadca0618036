"""SIP: Linli as a SIP user agent (pyVoIP) registered with a registrar (a PBX or a proxy such as
Kamailio); each incoming call is answered and carried into a `CallSession`, and the calls of the
backend's call plans are placed through the registrar (`SipServer.dial`, issue 18). Audio is
G.711 at 8 kHz on the wire; pyVoIP hands it over as 8-bit unsigned linear samples. A transfer to a
person is a SIP REFER to `HUMAN_LINE` (a SIP URI): the caller's phone or PBX places that call.
"""

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
from pyVoIP.VoIP import CallState, InvalidStateError, PhoneStatus, VoIPCall, VoIPPhone

from voice.audio import FRAME_MS, SAMPLE_RATE, RateConverter
from voice.call.plan import PlannedCall, dial_string
from voice.services import VoiceServices
from voice.session import CallSession
from voice.transports.base import CallerAudio, CallerHungUp, CallerInput, KeyPress, Transport

log = logging.getLogger(__name__)
# How often a call being placed is looked at while it rings (pyVoIP has no event for it).
RING_POLL_S = 0.1
# The INVITE waits for the registrar's first answer (100 Trying) this long.
INVITE_TIMEOUT_S = 10.0
LINE_RATE = 8_000
SAMPLES_PER_FRAME = LINE_RATE * FRAME_MS // 1000


def unsigned8_to_pcm16(data: bytes) -> bytes:
    """pyVoIP's 8-bit unsigned linear samples as 16-bit signed little-endian."""
    samples = np.frombuffer(data, dtype=np.uint8).astype(np.int16) - 128
    return (samples << 8).astype("<i2").tobytes()


def pcm16_to_unsigned8(pcm: bytes) -> bytes:
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.int32)
    return ((samples >> 8) + 128).astype(np.uint8).tobytes()


def route_set(record_route: str | None) -> list[str]:
    """The dialog's route set (RFC 3261 12.1.1: the INVITE's Record-Route, in order)."""
    return [part.strip() for part in (record_route or "").split(",") if part.strip()]


def next_hop(routes: list[str], default: tuple[str, int]) -> tuple[str, int]:
    """Where an in-dialog request goes: the first route (a loose router), else `default`."""
    if not routes:
        return default
    match = re.match(r"<?sips?:(?:[^@>;]*@)?([^:;>]+)(?::(\d+))?", routes[0])
    if match is None:
        return default
    return match.group(1), int(match.group(2) or 5060)


def in_dialog_request(bye: str, method: str, cseq: int, routes: list[str], extra: str = "") -> str:
    """A request in the call's dialog, built from pyVoIP's BYE for it: pyVoIP has no REFER, and
    its own BYE carries neither the route set nor our CSeq count (a proxy that record-routes
    answers such a BYE 404)."""
    request_line, rest = bye.split("\r\n", 1)
    head = request_line.replace("BYE ", f"{method} ", 1)
    headers = re.sub(r"^CSeq: \d+ BYE", f"CSeq: {cseq} {method}", rest, flags=re.MULTILINE)
    added = "".join(f"Route: {route}\r\n" for route in routes) + extra
    return f"{head}\r\n" + headers.replace(
        "Content-Length: 0\r\n", f"{added}Content-Length: 0\r\n", 1
    )


def uri_of(name_addr: str) -> str:
    """`sip:…` from a Contact such as `<sip:a@b:5060;transport=udp>;expires=60`."""
    match = re.search(r"<([^>]+)>", name_addr)
    return (match.group(1) if match else name_addr.split(";", 1)[0]).strip()


def ack_for_answer(ok: Any, via: str) -> tuple[str, list[str]]:
    """The ACK to a 2xx answer to our INVITE, sent along the dialog's route set (the answer's
    Record-Route, reversed: RFC 3261 12.1.2), and that route set. pyVoIP's own ACK goes to
    the registrar without Route headers, which a record-routing proxy drops, so the callee
    never sees it and ends the call after 32 s. (`ok` is a pyVoIP `SIPMessage`, not imported:
    importing pyVoIP.SIP before pyVoIP.VoIP fails on their circular import.)"""
    routes = list(reversed(route_set(ok.headers.get("Record-Route"))))
    lines = [
        f"ACK {uri_of(str(ok.headers['Contact']))} SIP/2.0",
        f"Via: {via};branch=z9hG4bK{uuid.uuid4().hex[:24]}",
        *(f"Route: {route}" for route in routes),
        "Max-Forwards: 70",
        f"From: {ok.headers['From']['raw']};tag={ok.headers['From']['tag']}",
        f"To: {ok.headers['To']['raw']};tag={ok.headers['To']['tag']}",
        f"Call-ID: {ok.headers['Call-ID']}",
        f"CSeq: {ok.headers['CSeq']['check']} ACK",
        "Content-Length: 0",
    ]
    return "\r\n".join(lines) + "\r\n\r\n", routes


def cancel_for_invite(invite: str) -> str:
    """CANCEL of an INVITE still ringing: its request line, Via (same branch), From, To,
    Call-ID and CSeq number (RFC 3261 9.1)."""
    head, *rest = invite.split("\r\n\r\n", 1)[0].split("\r\n")
    kept = [
        re.sub(r"^CSeq: (\d+) INVITE", r"CSeq: \1 CANCEL", line)
        for line in rest
        if line.split(":", 1)[0] in ("Via", "From", "To", "Call-ID", "CSeq", "Max-Forwards")
    ]
    return "\r\n".join([head.replace("INVITE ", "CANCEL ", 1), *kept, "Content-Length: 0"]) + (
        "\r\n\r\n"
    )


class LinliPhone(VoIPPhone):
    """pyVoIP's phone with what placing a call needs: the answer's ACK routed through the
    proxy, and the dialog's route set kept for the line's own BYE and REFER."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.route_sets: dict[str, list[str]] = {}

    def _callback_RESP_OK(self, request: Any) -> None:
        call_id = request.headers["Call-ID"]
        call = self.calls.get(call_id)
        if call is None or request.headers["CSeq"]["method"] != "INVITE":
            return  # the answer to a REGISTER, BYE, REFER or CANCEL: nothing to do
        if call.state == CallState.DIALING:
            call.answered(request)
        # Every 2xx to the INVITE is acknowledged, retransmissions too.
        via = f"SIP/2.0/UDP {self.myIP}:{self.sip.myPort}"
        ack, routes = ack_for_answer(request, via)
        self.route_sets[call_id] = routes
        self.sip.out.sendto(ack.encode("utf8"), next_hop(routes, (self.server, self.port)))


class SipLine(Transport):
    name = "sip"

    def __init__(self, call: VoIPCall, phone: VoIPPhone, routes: list[str] | None = None) -> None:
        self.call = call
        self.phone = phone
        self._session: CallSession | None = None
        self._inbound = RateConverter(LINE_RATE, SAMPLE_RATE)
        self._outbound = RateConverter(SAMPLE_RATE, LINE_RATE)
        # An answered call's route set is its INVITE's Record-Route; a placed call's is given.
        self._routes = (
            routes if routes is not None else route_set(call.request.headers.get("Record-Route"))
        )
        self._cseq = 100  # our own requests in this dialog

    async def serve(self, session: CallSession) -> str:
        self._session = session
        return await super().serve(session)

    def _send_in_dialog(self, method: str, extra: str = "") -> None:
        self._cseq += 1
        sip = self.call.sip
        message = in_dialog_request(
            sip.gen_bye(self.call.request), method, self._cseq, self._routes, extra
        )
        target = next_hop(self._routes, (self.phone.server, self.phone.port))
        sip.out.sendto(message.encode("utf8"), target)

    def _live(self) -> bool:
        return bool(self.call.state == CallState.ANSWERED)

    async def receive(self) -> AsyncIterator[CallerInput]:
        loop = asyncio.get_running_loop()
        next_frame = loop.time()
        while self._live():
            try:
                # Not blocking: pyVoIP pads what has not arrived with silence; we keep time.
                data = self.call.read_audio(SAMPLES_PER_FRAME, blocking=False)
                key = self.call.get_dtmf()
            except InvalidStateError:
                break
            yield CallerAudio(self._inbound.convert(unsigned8_to_pcm16(data)))
            if key:
                yield KeyPress(key)
            next_frame += FRAME_MS / 1000
            await asyncio.sleep(max(0.0, next_frame - loop.time()))
        yield CallerHungUp()

    async def play(self, frame: bytes) -> None:
        if not self._live():
            return
        # A caller who just hung up: receive() ends the call.
        with contextlib.suppress(InvalidStateError):
            self.call.write_audio(pcm16_to_unsigned8(self._outbound.convert(frame)))

    async def transfer(self, target: str) -> bool:
        """Blind transfer: REFER the caller to `target`; accepted once the REFER is sent."""
        if not self._live():
            return False
        try:
            self._send_in_dialog("REFER", f"Refer-To: <{target}>\r\n")
        except (OSError, KeyError) as error:
            log.error("sip: REFER to %s failed: %r", target, error)
            return False
        return True

    async def hang_up(self) -> None:
        if self._live():
            try:
                self._send_in_dialog("BYE")
            except (OSError, KeyError) as error:
                log.warning("sip: BYE failed: %r", error)
            self.call.bye()  # ends the call on our side: RTP stops


class SipServer:
    """Registers with the registrar and answers every call; pyVoIP runs its own threads."""

    def __init__(self, services: VoiceServices) -> None:
        self.services = services
        self.settings = services.settings
        self.phone: LinliPhone | None = None
        self.calls: set[asyncio.Future[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        settings = self.settings
        self._loop = asyncio.get_running_loop()
        self.phone = LinliPhone(
            settings.sip_registrar_host, settings.sip_registrar_port, settings.sip_user,
            settings.sip_password.get_secret_value(), myIP=settings.sip_local_ip,
            callCallback=self._on_call, sipPort=settings.sip_local_port,
            rtpPortLow=settings.sip_rtp_port_low, rtpPortHigh=settings.sip_rtp_port_high,
        )  # fmt: skip
        await asyncio.to_thread(self.phone.start)  # blocks until registered

    async def stop(self) -> None:
        if self.phone is not None:
            await asyncio.to_thread(self.phone.stop)

    def ready(self) -> bool:
        return self.phone is not None and self.phone.get_status() == PhoneStatus.REGISTERED

    async def dial(self, planned: PlannedCall) -> Transport | str:
        """Places the call through the registrar; the answered line, or why nobody answered."""
        assert self.phone is not None
        phone = self.phone
        number = dial_string(planned.phone)
        if not number:
            return "电话号码无法拨打"
        # pyVoIP's INVITE blocks until the registrar's first answer.
        call = await asyncio.wait_for(asyncio.to_thread(phone.call, number), INVITE_TIMEOUT_S)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.outbound_ring_s
        while call.state == CallState.DIALING and loop.time() < deadline:
            await asyncio.sleep(RING_POLL_S)
        if call.state == CallState.ANSWERED:
            return SipLine(call, phone, phone.route_sets.get(str(call.call_id), []))
        if call.state == CallState.DIALING:
            # Rang out (or busy: pyVoIP does not pass 486 on). The call is forgotten first, so
            # the 200 OK to our CANCEL is not taken for an answer.
            phone.calls.pop(call.call_id, None)
            cancel = cancel_for_invite(call.request.raw.decode("utf8", "replace"))
            phone.sip.out.sendto(cancel.encode("utf8"), (phone.server, phone.port))
            return "响铃无人接听"
        return "没有接通（号码不存在或暂时无法接通）"

    def _on_call(self, call: VoIPCall) -> None:
        """pyVoIP's thread for a new call: answer it and run it on the event loop."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self.handle_call(call), self._loop)
        try:
            future.result()
        except Exception:
            log.exception("sip: call failed")

    async def handle_call(self, call: VoIPCall) -> None:
        assert self.phone is not None
        call.answer()
        # The From header is the caller's own claim (any SIP peer writes what it likes): kept
        # as the number the call claims, never as who the caller is.
        caller = call.request.headers.get("From", {}).get("number") or None
        call_id = "sip-" + re.sub(r"[^A-Za-z0-9._@-]", "", str(call.call_id))[:56]
        line = SipLine(call, self.phone)
        session = CallSession(self.services, call_id, line.name, caller)
        try:
            await line.serve(session)
        finally:
            if session.outcome is None:
                await session.close("error", caller_gone=True)
