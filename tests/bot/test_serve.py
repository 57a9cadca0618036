"""bot/serve.py: Rasa's action-reply check, compiled once, accepts and refuses what Rasa's own
per-call check does."""

from typing import Any

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.serve import action_reply_validator, install

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


def test_the_validator_is_built_once() -> None:
    assert action_reply_validator() is action_reply_validator()
