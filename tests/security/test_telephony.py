"""Issue 14, finding 11: the telephony servers of a real `linli-voice-serve` in front of the real
stack. Before the fix any web page in a browser on the host could open WebSocket calls (no
Origin check, no token), the control port told anyone where any call went, and a caller number
the peer merely claimed was recorded like a verified one."""

import asyncio
import json
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.voice.transports.support import bot_has_spoken, call_record, line_closed, watched
from testsupport.callers import AudioSocketCaller, TokenPlace, WebSocketCaller
from testsupport.servers import Stack, staff_client
from testsupport.voice_server import VoiceServer, voice_server
from voice.settings import VoiceSettings

T = TypeVar("T")


def run(work: Callable[[], Awaitable[T]]) -> T:
    async def bounded() -> T:
        async with asyncio.timeout(90):
            return await work()

    return asyncio.run(bounded())


@pytest.fixture(scope="module")
def server(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoiceServer]:
    with voice_server(stack, tmp_path_factory.mktemp("voice-serve")) as running_server:
        yield running_server


@pytest.fixture(scope="module")
def staff(stack: Stack) -> Iterator[httpx.Client]:
    with staff_client(stack.backend) as client:
        yield client


def recorded_call_ids(staff: httpx.Client) -> set[str]:
    return {call["call_id"] for call in staff.get("/calls", params={"limit": 500}).json()}


async def answered(caller: WebSocketCaller, url: str) -> bool:
    """Whether the call came up (the greeting started); hangs up either way."""
    await caller.connect(url)
    caller.start_sending()
    spoke = await bot_has_spoken(caller, timeout=20)
    await caller.hang_up()
    return spoke


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://127.0.0.1:8000", "http://localhost", "null"]
)
def test_a_web_page_cannot_open_a_call_even_with_the_token(
    server: VoiceServer, origin: str
) -> None:
    """A browser always sends its page's Origin and cannot leave it out: refused before the
    upgrade, so a page cannot even try tokens."""
    caller = WebSocketCaller(token=server.media_token, origin=origin)
    with pytest.raises(InvalidStatus) as refused:
        run(lambda: caller.connect(server.websocket_url))
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("place", ["bearer", "basic", "query"])
def test_a_wrong_token_in_the_handshake_is_refused_before_the_upgrade(
    server: VoiceServer, place: TokenPlace
) -> None:
    caller = WebSocketCaller(token=server.media_token + "x", token_in=place)
    with pytest.raises(InvalidStatus) as refused:
        run(lambda: caller.connect(server.websocket_url))
    assert refused.value.response.status_code == 401


@pytest.mark.parametrize(
    ("token", "place"),
    [(None, "bearer"), ("wrong", "start"), ("", "start")],
)
def test_a_start_without_the_right_token_opens_no_call_and_leaves_no_record(
    server: VoiceServer, staff: httpx.Client, token: str | None, place: TokenPlace
) -> None:
    call_id = str(uuid.uuid4())
    caller = watched(WebSocketCaller(call_id=call_id, token=token, token_in=place))

    async def call() -> None:
        await caller.connect(server.websocket_url)
        caller.start_sending()
        assert await line_closed(caller, timeout=10)
        await caller.close()

    run(call)
    assert not caller.heard.replies, "the bot spoke to a peer without the token"
    errors = [event for event in caller.heard.events if event["event"] == "error"]
    assert errors == [{"event": "error", "message": "no valid media token"}]
    assert call_id not in recorded_call_ids(staff)


def test_a_right_handshake_token_with_a_wrong_start_token_is_refused(server: VoiceServer) -> None:
    """Every token presented must be right: a second, wrong one is not ignored."""
    wrong_start = json.dumps(
        {"event": "start", "call_id": "c1", "token": "wrong", "format": {"encoding": "L16"}}
    )
    caller = watched(WebSocketCaller(token=server.media_token, token_in="query"))

    async def call() -> None:
        await caller.connect(server.websocket_url, start=wrong_start)
        assert await line_closed(caller, timeout=10)
        await caller.close()

    run(call)
    assert {"event": "error", "message": "no valid media token"} in caller.heard.events


@pytest.mark.parametrize("place", ["bearer", "basic", "query", "start"])
def test_the_gateway_with_the_token_is_answered(server: VoiceServer, place: TokenPlace) -> None:
    caller = watched(WebSocketCaller(token=server.media_token, token_in=place))
    assert run(lambda: answered(caller, server.websocket_url)), f"no greeting ({place})"


def test_the_control_port_answers_only_its_own_calls_and_only_with_the_token(
    server: VoiceServer,
) -> None:
    audiosocket = watched(AudioSocketCaller())
    # A WebSocket call whose id looks like a dialplan UUID: not a call of the control port.
    websocket_id = str(uuid.uuid4())
    websocket = watched(WebSocketCaller(call_id=websocket_id, token=server.media_token))

    async def calls() -> None:
        await audiosocket.connect(server.host, server.audiosocket_port)
        audiosocket.start_sending()
        assert await bot_has_spoken(audiosocket), "no greeting on AudioSocket"
        await audiosocket.hang_up()
        assert await answered(websocket, server.websocket_url)

    run(calls)
    ours = f"{server.control_url}/{audiosocket.call_id}"
    assert httpx.get(ours).status_code == 401  # no token: not even whether the call exists
    wrong = {"Authorization": f"Bearer {server.media_token}x"}
    assert httpx.get(ours, headers=wrong).status_code == 401
    assert httpx.get(f"{ours}?token=wrong").status_code == 401
    answer = httpx.get(ours, headers=server.control_headers)
    assert (answer.status_code, answer.text) == (200, "")  # admitted, no transfer asked
    assert httpx.get(f"{ours}?token={server.media_token}").status_code == 200
    for foreign in (websocket_id, str(uuid.uuid4()), "health-check", ""):
        refused = httpx.get(f"{server.control_url}/{foreign}", headers=server.control_headers)
        # An empty body: Asterisk's CURL() gives the dialplan the body whatever the status.
        assert (refused.status_code, refused.text) == (404, ""), foreign
    assert httpx.post(ours, headers=server.control_headers).status_code == 405
    assert httpx.get(server.health_url).status_code == 200  # health needs no token


def test_a_second_connection_cannot_take_over_a_live_calls_uuid(server: VoiceServer) -> None:
    first, second = watched(AudioSocketCaller()), watched(AudioSocketCaller())
    second.call_id = first.call_id

    async def calls() -> bool:
        await first.connect(server.host, server.audiosocket_port)
        first.start_sending()
        assert await bot_has_spoken(first), "no greeting"
        await second.connect(server.host, server.audiosocket_port)
        refused = await line_closed(second, timeout=10) and not second.heard.replies
        await second.close()
        await first.hang_up()
        return refused

    assert run(calls), "a second peer with a live call's UUID got the call"


def test_the_caller_number_is_recorded_as_claimed_not_verified(
    server: VoiceServer, staff: httpx.Client
) -> None:
    """The gateway says who calls (`from`); nothing on the wire proves it."""
    call_id = str(uuid.uuid4())
    caller = watched(
        WebSocketCaller(call_id=call_id, token=server.media_token, caller_number="13800138000")
    )
    assert run(lambda: answered(caller, server.websocket_url))
    record = call_record(staff, call_id)
    assert record["caller_number_verified"] is False, record


def local_addresses() -> list[str]:
    """This host's addresses other than loopback (none in a bare container)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent
        except OSError:
            return []
        address = str(probe.getsockname()[0])
    return [] if address.startswith("127.") else [address]


def test_every_voice_listener_is_on_loopback_by_default(server: VoiceServer) -> None:
    defaults = VoiceSettings(_env_file=None)  # type: ignore[call-arg]
    assert (defaults.audiosocket_host, defaults.websocket_host, defaults.sip_local_ip) == (
        "127.0.0.1", "127.0.0.1", "127.0.0.1",
    )  # fmt: skip
    assert defaults.websocket_allowed_origins == []
    # The running server (default hosts): not reachable on another address of this host.
    for address in local_addresses():
        for port in (server.audiosocket_port, server.control_port, server.websocket_port):
            with pytest.raises(OSError), socket.create_connection((address, port), timeout=2):
                pass
