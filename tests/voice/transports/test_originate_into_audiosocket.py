"""Linli calls out through Asterisk into its own AudioSocket (issue 18), against a stand-in of
Asterisk's manager interface and the documented dialplan (`testsupport/asterisk_standin.py`):
one try is busy; the next is answered, the dialplan learns which plan the call belongs to from
the control port, connects the AudioSocket with Linli's UUID, and the callee says they feel
unwell."""

import asyncio
import secrets
from pathlib import Path

import httpx
import pytest

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
from testsupport.asterisk_standin import AsteriskStandIn, Callee
from testsupport.servers import Stack
from testsupport.voice_server import voice_server
from voice.audio import read_audio_file

pytestmark = pytest.mark.e2e
PHONE = f"137{secrets.randbelow(10**8):08d}"  # its own, as in test_dial_over_websocket


async def place_two_tries(
    stack: Stack, staff: httpx.Client, tmp_path: Path, plan_id: int, asterisk: AsteriskStandIn
) -> None:
    await asterisk.start()
    try:
        with voice_server(
            stack, tmp_path, outbound_enabled="true", outbound_transport="audiosocket",
            websocket_enabled="false", outbound_poll_s=1, outbound_ring_s=6,
            outbound_no_answer_s=8, outbound_claimer="asterisk-bridge",
            ami_port=asterisk.port, ami_secret=asterisk.secret,
        ) as server:  # fmt: skip
            asterisk.audiosocket = (server.host, server.audiosocket_port)
            asterisk.control_url, asterisk.media_token = server.control_url, server.media_token

            def finished(try_number: int) -> list[dict[str, object]]:
                return [
                    call
                    for call in calls_of(staff, plan_id)
                    if call["try_number"] == try_number and call["status"] in FINISHED
                ]

            await asyncio.to_thread(wait_until, lambda: finished(1), 60)
            due_now(stack.backend, plan_id)  # the second try's time has come
            await asyncio.to_thread(wait_until, lambda: finished(2), 90)
    finally:
        await asterisk.stop()


def test_asterisk_places_the_call_and_connects_it_to_the_audiosocket(
    stack: Stack, staff: httpx.Client, tmp_path: Path
) -> None:
    plan_id = plan(staff, resident(staff, "孙凤英", PHONE), open_now=True, max_tries=2)
    due_now(stack.backend, plan_id)
    said = read_audio_file(spoken(UNWELL, tmp_path / "unwell.wav"))
    asterisk = AsteriskStandIn(
        secret=secrets.token_urlsafe(16), callees={PHONE: Callee([False, True], said)}
    )
    asyncio.run(place_two_tries(stack, staff, tmp_path, plan_id, asterisk))
    busy, answered = calls_of(staff, plan_id)
    assert (busy["status"], busy["note"]) == ("unanswered", "对方忙线"), busy
    assert (answered["status"], answered["outcome"]) == ("answered", "unwell"), answered
    assert [o["Channel"] for o in asterisk.originated] == [f"PJSIP/{PHONE}@linli-trunk"] * 2
    assert all(o["Context"] == "linli-outbound" for o in asterisk.originated)
    # The dialplan was told which plan the answered call belongs to.
    assert asterisk.plans_asked == [f"{answered['number']},wellbeing"]
    assert asterisk.heard[0].heard.hung_up
