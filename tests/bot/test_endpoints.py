"""bot/endpoints.yml as the Rasa server reads it under `make run`: the action server's token
comes from the environment (var/linli.env), not as the literal placeholder."""

import pytest
from rasa.core.utils import read_endpoints_from_path

from testsupport.servers import PROJECT_ROOT


def test_the_action_token_is_taken_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_ACTIONS_SERVER_TOKEN", "tok-from-env")
    endpoints = read_endpoints_from_path(str(PROJECT_ROOT / "bot" / "endpoints.yml"))
    assert endpoints.action is not None
    assert endpoints.action.token == "tok-from-env"
    assert endpoints.action.url == "http://127.0.0.1:5055/webhook"
