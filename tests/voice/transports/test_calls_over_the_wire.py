"""Whole calls over the wire into a real `linli-voice-serve` in front of the real stack: Asterisk
AudioSocket and WebSocket media streams, replies transcribed back, transfers, and the peers a
real network produces (garbage, oversized frames, vanishing, not reading). Every call must end
up in the backend with its outcome, and no bad peer may disturb a good call."""

import asyncio
import contextlib
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import pytest
from faster_whisper import WhisperModel

from tests.voice.support import hotline
from tests.voice.transports.support import (
    bot_has_spoken,
    call_record,
    line_closed,
    similar,
    transcribe,
    watched,
)
from testsupport.callers import AudioSocketCaller, WebSocketCaller
from testsupport.voice_server import VoiceServer
from voice.audio import read_audio_file
from voice.transports import audiosocket_protocol as aswire
from voice.transports import websocket_protocol as wswire

pytestmark = pytest.mark.e2e
T = TypeVar("T")


def run(work: Callable[[], Awaitable[T]]) -> T:
    async def bounded() -> T:
        async with asyncio.timeout(120):
            return await work()

    return asyncio.run(bounded())


def test_audiosocket_call_answers_in_speech_and_is_recorded(
    voice_server: VoiceServer, staff: httpx.Client, whisper: WhisperModel
) -> None:
    caller = watched(AudioSocketCaller())

    async def call() -> bytes:
        await caller.connect(voice_server.host, voice_server.audiosocket_port)
        caller.start_sending()
        # Let the greeting play a second (it streams at real time), then talk over it.
        assert await bot_has_spoken(caller, seconds=1.0), "no greeting"
        await caller.say(read_audio_file(hotline("d02")))
        reply = await caller.wait_for_reply(after=caller.speech_ended_at)
        assert reply is not None, "no answer to the caller's phrase"
        await caller.hang_up()
        return bytes(reply.pcm)

    reply = run(call)
    record = call_record(staff, str(caller.call_id))
    assert record["transport"] == "audiosocket"
    assert record["outcome"] == "hangup"
    turn = record["turns"][0]
    # Narrowband 8 kHz: Whisper may miss a character, but the request is understood.
    assert "明天中午" in turn["transcript"], turn
    assert turn["intent"] == "book_service", turn
    heard = transcribe(whisper, reply)
    assert similar(heard, turn["bot_text"]) > 0.5, (heard, turn["bot_text"])


def test_audiosocket_key_0_transfers_to_the_dialplan_queue(
    voice_server: VoiceServer, staff: httpx.Client
) -> None:
    caller = watched(AudioSocketCaller())

    async def call() -> None:
        await caller.connect(voice_server.host, voice_server.audiosocket_port)
        caller.start_sending()
        assert await bot_has_spoken(caller), "no greeting"  # the call is up
        await caller.press("0")
        assert await line_closed(caller, timeout=40), "Linli never hung up to transfer"
        await caller.close()

    run(call)
    record = call_record(staff, str(caller.call_id))
    assert record["outcome"] == "transferred"
    assert "转接人工" in record["turns"][0]["bot_text"]  # Rasa's words, then the transfer
    # What the dialplan asks after AudioSocket() returns: where the caller goes next.
    headers = voice_server.control_headers
    target = httpx.get(f"{voice_server.control_url}/{caller.call_id}", headers=headers)
    assert (target.status_code, target.text) == (200, voice_server.human_line)
    # A call this server never had: no target, and an empty body for the dialplan's CURL().
    unknown = httpx.get(f"{voice_server.control_url}/{uuid.uuid4()}", headers=headers)
    assert (unknown.status_code, unknown.text) == (404, "")


def test_websocket_16k_call_barge_in_clears_queued_audio(
    voice_server: VoiceServer, staff: httpx.Client
) -> None:
    caller = watched(
        WebSocketCaller(wswire.StreamFormat("L16", 16_000), token=voice_server.media_token)
    )

    async def call() -> None:
        await caller.connect(voice_server.websocket_url)
        caller.start_sending()
        assert await bot_has_spoken(caller, seconds=1.0), "no greeting"  # then talk over it
        await caller.say(read_audio_file(hotline("d02")))
        reply = await caller.wait_for_reply(after=caller.speech_ended_at)
        assert reply is not None
        assert len(reply.pcm) > 16_000 * 2  # more than a second of 16 kHz speech
        await caller.hang_up()

    run(call)
    assert caller.cleared >= 1, "no clear after the caller spoke over the greeting"
    assert any(event["event"] == "mark" for event in caller.heard.events)
    record = call_record(staff, caller.call_id)
    assert (record["transport"], record["outcome"]) == ("websocket", "hangup")
    assert record["turns"][0]["intent"] == "book_service", record["turns"]


def test_websocket_ulaw_call_transfers_when_asked_for_a_person(
    voice_server: VoiceServer, staff: httpx.Client
) -> None:
    # jambonz sends its wsAuth as HTTP Basic auth.
    caller = watched(
        WebSocketCaller(
            wswire.StreamFormat("PCMU", 8_000), token=voice_server.media_token, token_in="basic"
        )
    )

    async def call() -> None:
        await caller.connect(voice_server.websocket_url)
        caller.start_sending()
        assert await bot_has_spoken(caller), "no greeting"  # the call is up
        await caller.say(read_audio_file(hotline("d05")))  # 转人工
        assert await line_closed(caller, timeout=40)
        await caller.close()

    run(call)
    transfers = [e for e in caller.heard.events if e["event"] == "transfer"]
    assert transfers == [{"event": "transfer", "target": voice_server.human_line}]
    assert {"event": "hangup", "reason": "transferred"} in caller.heard.events
    assert call_record(staff, caller.call_id)["outcome"] == "transferred"


def test_bad_peers_are_dropped_and_recorded_while_a_good_call_goes_on(
    voice_server: VoiceServer, staff: httpx.Client
) -> None:
    host, port, url = voice_server.host, voice_server.audiosocket_port, voice_server.websocket_url
    unrecorded_before = {c["call_id"] for c in staff.get("/calls", params={"limit": 500}).json()}
    good = watched(AudioSocketCaller())
    oversized, truncated = watched(AudioSocketCaller()), AudioSocketCaller()
    slow = AudioSocketCaller()
    token = voice_server.media_token
    ws_vanishing = watched(WebSocketCaller(token=token, token_in="query"))
    ws_oversized = WebSocketCaller(token=token)
    ws_unknown = watched(WebSocketCaller(token=token, token_in="start"))

    async def raw(data: bytes) -> bytes:
        """Sends `data` on a fresh connection; what the server answers before closing."""
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(data)
        answer = await reader.read()
        writer.close()
        return answer

    async def good_call() -> bool:
        await good.connect(host, port)
        good.start_sending()
        # Talks over its greeting while the bad peers come and go.
        assert await bot_has_spoken(good, seconds=1.5), "no greeting"
        await good.say(read_audio_file(hotline("d02")))
        reply = await good.wait_for_reply(after=good.speech_ended_at)
        await good.hang_up()
        return reply is not None

    async def oversized_call() -> None:
        await oversized.connect(host, port)
        await oversized.send_raw(aswire.encode_audio(bytes(320)))
        await oversized.send_raw(b"\x10\xfa\x00" + bytes(64_000))  # announces 64000 bytes
        assert await line_closed(oversized, 10)

    async def truncated_then_vanish() -> None:
        await truncated.connect(host, port)
        await truncated.send_raw(aswire.encode(0x42, b"what is this") + aswire.encode_dtmf("5"))
        await truncated.send_raw(b"\x10\x01\x40" + bytes(100))  # a frame cut short
        truncated.writer.transport.abort()  # type: ignore[union-attr]

    async def slow_reader() -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        slow.reader, slow.writer = await asyncio.open_connection(sock=sock)
        slow.writer.write(aswire.encode_uuid(slow.call_id))
        with contextlib.suppress(ConnectionError):
            for _ in range(1500):  # streams its audio but never reads the greeting
                slow.writer.write(aswire.encode_audio(bytes(320)))
                await slow.writer.drain()
                await asyncio.sleep(0.02)
        slow.writer.close()

    async def websocket_peers() -> list[str]:
        await ws_vanishing.connect(url)
        ws_vanishing.start_sending()
        assert await bot_has_spoken(ws_vanishing), "no greeting"  # the call is up: vanish
        ws_vanishing.socket.transport.abort()  # type: ignore[union-attr]
        await ws_oversized.connect(url)
        await ws_oversized.socket.send(bytes(40_000))  # type: ignore[union-attr]
        await ws_unknown.connect(url)
        ws_unknown.start_sending()
        await ws_unknown.send_event("vad", speaking=True)
        await ws_unknown.send_event("dtmf", digit="12")  # broken: ends the call
        errors = []
        for start in ['{"call_id": 5', "", '{"call_id": "x", "format": {"encoding": "opus"}}']:
            caller = watched(WebSocketCaller(token=token))
            await caller.connect(url, start=start)
            await line_closed(caller, 5)
            errors += [str(e["message"]) for e in caller.heard.events if e["event"] == "error"]
        await line_closed(ws_unknown, 5)
        return errors

    async def all_at_once() -> tuple[bool, list[bytes], list[str]]:
        results = await asyncio.gather(
            good_call(), raw(b"GET / HTTP/1.1\r\n\r\n"), raw(aswire.encode_audio(bytes(320))),
            oversized_call(), truncated_then_vanish(), slow_reader(), websocket_peers(),
        )  # fmt: skip
        await ws_oversized.close()
        await ws_unknown.close()
        return results[0], [results[1], results[2]], results[6]

    good_answered, garbage_answers, websocket_errors = run(all_at_once)
    assert good_answered, "the good call got no answer while bad peers came and went"
    assert garbage_answers == [aswire.encode_hangup()] * 2
    assert len(websocket_errors) == 3 and "encoding" in websocket_errors[2]
    outcomes = {
        name: call_record(staff, str(caller.call_id))["outcome"]
        for name, caller in [
            ("good", good), ("oversized", oversized), ("truncated", truncated), ("slow", slow),
            ("ws vanishing", ws_vanishing), ("ws oversized", ws_oversized),
            ("ws unknown", ws_unknown),
        ]
    }  # fmt: skip
    assert outcomes == {
        "good": "hangup", "oversized": "error", "truncated": "hangup", "slow": "error",
        "ws vanishing": "hangup", "ws oversized": "error", "ws unknown": "error",
    }  # fmt: skip
    new = [
        c for c in staff.get("/calls", params={"limit": 500}).json()
        if c["call_id"] not in unrecorded_before
    ]  # fmt: skip
    broken = [c for c in new if c["call_id"].startswith(("audiosocket-", "websocket-"))]
    assert sorted(c["outcome"] for c in broken) == ["error"] * 5, broken
