"""The action server (actions/server.py): every action answers even when it fails, only the
Rasa server's token is let in, and it listens on loopback."""

import asyncio
import secrets
import subprocess
from typing import Any

import httpx
import pytest
from rasa_sdk import Action

from actions import server as action_server_module
from actions.backend import BackendClient, shared_backend_client
from actions.server import ACTION_FAILED_APOLOGY, ACTION_FAILED_KEPT_APOLOGY, GuardedExecutor
from testsupport.servers import PROJECT_ROOT, RASA_PYTHON, free_port, running


def action_call(name: str, slots: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "next_action": name,
        "sender_id": "test-failing",
        "tracker": {
            "sender_id": "test-failing",
            "slots": slots or {},
            "latest_message": {"text": "每天中午送饭", "intent": {"name": "book_service"}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
        "version": "3.6.2",
    }


def registered_action_classes() -> list[type[Action]]:
    executor = GuardedExecutor()
    executor.register_package("actions")
    return sorted(executor._loaded, key=lambda cls: cls.__name__)


def test_every_action_answers_with_an_apology_when_it_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    classes = registered_action_classes()
    assert len(classes) > 15

    async def broken(
        self: Action, dispatcher: Any, tracker: Any, domain: Any
    ) -> list[dict[str, Any]]:
        raise RuntimeError("broken on purpose")

    for cls in classes:
        monkeypatch.setattr(cls, "run", broken)
    executor = GuardedExecutor()
    for cls in classes:
        executor.register_action(cls)
    for name in executor.actions:
        result = asyncio.run(executor.run(action_call(name)))
        assert result is not None
        assert [m["text"] for m in result["responses"]] == [ACTION_FAILED_APOLOGY], name
        assert result["events"] == [], name


def test_a_real_failure_is_answered_too() -> None:
    executor = GuardedExecutor()
    executor.register_package("actions")
    # A booking time the slot can never hold: the submit action cannot read it.
    call = action_call("action_submit_booking", {"service": "zhucan", "booking_time": "每天"})
    result = asyncio.run(executor.run(call))
    assert result is not None
    assert ACTION_FAILED_APOLOGY in [m["text"] for m in result["responses"]]


def test_an_action_cut_off_mid_write_says_the_request_was_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The time budget cancels the action while its case is being sent: the row stays in the
    # outbox (the flusher sends it once its lease ends), so "nothing was submitted" would be
    # untrue.
    monkeypatch.setattr(action_server_module, "ACTION_TIME_BUDGET_S", 0.5)
    sending = asyncio.Event()

    async def hung_request(self: BackendClient, *args: Any, **kwargs: Any) -> Any:
        sending.set()
        await asyncio.sleep(3600)

    monkeypatch.setattr(BackendClient, "_request", hung_request)

    class ActionFileSlowly(Action):
        def name(self) -> str:
            return "action_file_slowly"

        async def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
            case = {"kind": "complaint", "summary": "楼道灯坏了"}
            await shared_backend_client().create_case(case)
            return []

    async def scenario() -> tuple[dict[str, Any] | None, tuple[int, float | None]]:
        executor = GuardedExecutor()
        executor.register_action(ActionFileSlowly)
        call = action_call("action_file_slowly")
        call["tracker"]["events"] = [{"event": "user", "message_id": "m-1", "text": "投诉"}]
        result = await executor.run(call)
        assert sending.is_set()
        return result, shared_backend_client().outbox.depth_and_oldest_age_s()

    result, (depth, _) = asyncio.run(scenario())
    assert result is not None
    assert [m["text"] for m in result["responses"]] == [ACTION_FAILED_KEPT_APOLOGY]
    assert depth == 1


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    port, token = free_port(), secrets.token_urlsafe(16)
    env = {
        "PATH": "/usr/bin:/bin",
        "LINLI_ACTIONS_PORT": str(port),
        "LINLI_ACTIONS_SERVER_TOKEN": token,
        "LINLI_ACTIONS_BACKEND_URL": "http://127.0.0.1:9",  # unreachable: never called here
    }
    command = [str(RASA_PYTHON), "-m", "actions.server"]
    log_dir = tmp_path_factory.mktemp("actions")
    with running("actions", command, env, f"http://127.0.0.1:{port}/health", log_dir):
        yield port, token


def test_only_the_token_holder_may_call(action_server: tuple[int, str]) -> None:
    port, token = action_server
    url = f"http://127.0.0.1:{port}/webhook"
    call = action_call("action_check_status")
    assert httpx.post(url, json=call).status_code == 401
    assert httpx.post(url, params={"token": "wrong"}, json=call).status_code == 401
    assert httpx.get(f"http://127.0.0.1:{port}/actions").status_code == 401
    answered = httpx.post(url, params={"token": token}, json=call, timeout=30)
    assert answered.status_code == 200
    assert answered.json()["responses"], answered.text


def test_a_bad_call_is_refused_without_echoing_it(action_server: tuple[int, str]) -> None:
    port, token = action_server
    url = f"http://127.0.0.1:{port}/webhook"
    bad = httpx.post(url, params={"token": token}, json={"tracker": "110105194912310029"})
    assert bad.status_code == 400 and "110105194912310029" not in bad.text


def test_it_listens_on_loopback_only(action_server: tuple[int, str]) -> None:
    port, _ = action_server
    sockets = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert f"127.0.0.1:{port}" in sockets, sockets


def test_without_a_token_it_refuses_to_start() -> None:
    started = subprocess.run(
        [str(RASA_PYTHON), "-m", "actions.server"],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "LINLI_ACTIONS_SERVER_TOKEN": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0 and "LINLI_ACTIONS_SERVER_TOKEN" in started.stderr


def test_a_compressed_call_is_read(action_server: tuple[int, str]) -> None:
    import json
    import zlib

    port, token = action_server
    body = zlib.compress(json.dumps(action_call("action_check_status")).encode())
    answered = httpx.post(
        f"http://127.0.0.1:{port}/webhook",
        params={"token": token},
        content=body,
        headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
        timeout=30,
    )
    assert answered.status_code == 200 and answered.json()["responses"], answered.text
