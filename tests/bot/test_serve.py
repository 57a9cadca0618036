"""bot/serve.py: Rasa's action-reply check, compiled once, accepts and refuses what Rasa's own
per-call check does; the action endpoint keeps its connections open between calls."""

import asyncio
import gc
from typing import Any

import pytest
import rasa.core.run
from aiohttp import web
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig

import bot.serve
from bot.serve import KeptAliveEndpoint, action_reply_validator, install, load_agent_then_freeze
from testsupport.servers import PROJECT_ROOT

GOOD_REPLY: dict[str, Any] = {
    "events": [{"event": "slot", "name": "service", "value": "zhucan", "timestamp": None}],
    "responses": [
        {"text": "好的，您想约在什么时间？", "buttons": [{"title": "明天", "payload": "明天"}]}
    ],
}
BAD_REPLIES: list[dict[str, Any]] = [
    {"events": [{"name": "service"}], "responses": []},  # an event without its kind
    {"events": "slot", "responses": []},
    {"events": [], "responses": "你好"},
]


@pytest.fixture
def action(monkeypatch: pytest.MonkeyPatch) -> RemoteAction:
    # Restored after the test: the class attribute is what install() replaces.
    monkeypatch.setattr(
        RemoteAction, "_validate_action_result", RemoteAction._validate_action_result
    )
    monkeypatch.setattr(AvailableEndpoints, "read_endpoints", AvailableEndpoints.read_endpoints)
    monkeypatch.setattr(rasa.core.run, "load_agent_on_start", rasa.core.run.load_agent_on_start)
    install()
    return RemoteAction("action_submit_booking", EndpointConfig("http://127.0.0.1:9/webhook"))


def test_a_valid_reply_passes(action: RemoteAction) -> None:
    assert action._validate_action_result(GOOD_REPLY) is True


@pytest.mark.parametrize("reply", BAD_REPLIES)
def test_what_rasa_refuses_is_still_refused(action: RemoteAction, reply: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        validate(reply, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(reply)


def test_what_the_model_loaded_is_kept_out_of_the_garbage_collectors_walks(
    action: RemoteAction, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert rasa.core.run.load_agent_on_start is load_agent_then_freeze
    loaded = [object() for _ in range(1000)]  # what a model load leaves behind

    async def load(*args: Any, **kwargs: Any) -> list[object]:
        return loaded

    monkeypatch.setattr(bot.serve, "_load_agent_on_start", load)
    gc.unfreeze()
    try:
        assert asyncio.run(load_agent_then_freeze("models/linli.tar.gz")) is loaded
        assert gc.get_freeze_count() >= len(loaded)
    finally:
        gc.unfreeze()


def test_the_validator_is_built_once() -> None:
    assert action_reply_validator() is action_reply_validator()


def test_the_action_endpoint_read_from_endpoints_yml_keeps_its_settings(
    action: RemoteAction, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_ACTIONS_SERVER_TOKEN", "tok")
    endpoints = AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / "bot" / "endpoints.yml"))
    assert isinstance(endpoints.action, KeptAliveEndpoint)
    assert endpoints.action.url == "http://127.0.0.1:5055/webhook"
    assert endpoints.action.token == "tok"


def test_calls_to_the_action_server_share_one_connection() -> None:
    peers: list[Any] = []
    tokens: list[str | None] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        tokens.append(request.query.get("token"))
        return web.json_response({"events": [], "responses": [await request.json()]})

    async def calls() -> list[Any]:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        endpoint = KeptAliveEndpoint.of(
            EndpointConfig(f"http://127.0.0.1:{port}/webhook", token="tok")
        )
        try:
            return [await endpoint.request(json={"turn": turn}) for turn in range(3)]
        finally:
            await endpoint.close()
            await runner.cleanup()

    replies = asyncio.run(calls())
    assert [reply["responses"] for reply in replies] == [
        [{"turn": 0}],
        [{"turn": 1}],
        [{"turn": 2}],
    ]
    assert tokens == ["tok"] * 3
    assert len(peers) == 3 and len(set(peers)) == 1
