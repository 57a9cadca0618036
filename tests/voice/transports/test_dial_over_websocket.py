"""Linli calls out through a WebSocket gateway (issue 18): the test plays a gateway that
registers a control socket, is asked to `dial`, answers one try "busy" and, for the next,
opens the media stream of the answered call with its `dial_id` and says it feels unwell."""

import asyncio
import json
import secrets
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.voice.test_calls import spoken
from tests.voice.transports.plans import (
    FINISHED,
    UNWELL,
    calls_of,
    due_now,
    plan,
    resident,
    wait_until,
)
from testsupport.callers import WebSocketCaller
from testsupport.servers import Backend, Stack
from testsupport.voice_server import VoiceServer, voice_server
from voice.audio import read_audio_file
from voice.transports import websocket_protocol as wire

pytestmark = pytest.mark.e2e
# A number of its own (a stack reused while developing keeps its residents).
PHONE = f"139{secrets.randbelow(10**8):08d}"


async def next_dial(gateway: ClientConnection) -> dict[str, object]:
    async with asyncio.timeout(60):
        while True:
            message = json.loads(await gateway.recv())
            if message["event"] == "dial":
                return dict(message)


async def be_the_gateway(
    server: VoiceServer, staff: httpx.Client, backend: Backend, plan_id: int, said: bytes
) -> None:
    headers = {"Authorization": f"Bearer {server.media_token}"}
    async with connect(server.websocket_url, additional_headers=headers) as gateway:
        await gateway.send(wire.register_message("gw-test"))
        busy = await next_dial(gateway)
        assert busy["to"] == PHONE and busy["ring_timeout_s"] == 6
        await gateway.send(json.dumps({"event": "dial_result", "dial_id": busy["dial_id"],
                                       "answered": False, "reason": "busy"}))  # fmt: skip
        await asyncio.to_thread(
            wait_until, lambda: [c for c in calls_of(staff, plan_id) if c["status"] in FINISHED], 30
        )
        due_now(backend, plan_id)  # the second try's time has come
        answered = await next_dial(gateway)
        callee = WebSocketCaller(token=server.media_token)
        start = wire.start_message("gw-call-2", callee.stream, dial_id=str(answered["dial_id"]))
        await callee.connect(server.websocket_url, start)
        callee.start_sending()
        assert await callee.wait_for_audio(), "Linli said nothing when the call was answered"
        opening = await callee.wait_for_reply(0.0)
        assert opening is not None
        await callee.say(said)
        assert await callee.wait_for_hangup(60), "Linli did not end the call"
        await callee.close()


def test_a_gateway_places_the_calls_linli_asks_for(
    stack: Stack, staff: httpx.Client, tmp_path: Path
) -> None:
    plan_id = plan(staff, resident(staff, "周玉芬", PHONE), open_now=True, max_tries=2)
    due_now(stack.backend, plan_id)
    said = read_audio_file(spoken(UNWELL, tmp_path / "unwell.wav"))
    with voice_server(
        stack, tmp_path, outbound_enabled="true", outbound_transport="websocket",
        outbound_poll_s=1, outbound_ring_s=6, outbound_no_answer_s=8,
        outbound_claimer="ws-bridge",
    ) as server:  # fmt: skip
        asyncio.run(be_the_gateway(server, staff, stack.backend, plan_id, said))
        tries = wait_until(
            lambda: [c for c in calls_of(staff, plan_id) if c["try_number"] == 2
                     and c["status"] in FINISHED], 60,
        )  # fmt: skip
    first, second = calls_of(staff, plan_id)
    assert (first["status"], first["note"]) == ("unanswered", "busy"), first
    assert (second["status"], second["outcome"]) == ("answered", "unwell"), tries
    assert second["escalated_to"], second
