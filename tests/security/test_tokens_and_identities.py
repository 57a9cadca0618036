"""Issue 14, findings 2, 4 and 5, against the real backend, action server and Rasa server:

2. Rasa's HTTP API answers only with its token (`LINLI_RASA_AUTH_TOKEN`).
4. Every front has its own keys: the REST channel hears only a front's key and keeps each
   front's senders in its own namespace with the channel the key says; each backend key opens
   only what its front needs, for its own senders.
5. An Idempotency-Key is bound to its request: a replay by another caller or with another
   body is refused with 422; batches and the action server's retried turns file nothing twice.
"""

import importlib.util
import json
import stat
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.fronts import FRONT_KEY_HEADER, Front
from testsupport.servers import PROJECT_ROOT, Stack, staff_client

WRONG = "not-the-token"

# Every route of Rasa's HTTP API (rasa/server.py) a stranger could use to read a resident's
# conversation or change the bot; {id} is a conversation.
RASA_API_ROUTES = [
    ("GET", "/status"),
    ("GET", "/domain"),
    ("GET", "/conversations/{id}/tracker"),
    ("POST", "/conversations/{id}/tracker/events"),
    ("PUT", "/conversations/{id}/tracker/events"),
    ("GET", "/conversations/{id}/story"),
    ("POST", "/conversations/{id}/messages"),
    ("POST", "/conversations/{id}/execute"),
    ("POST", "/conversations/{id}/trigger_intent"),
    ("POST", "/conversations/{id}/predict"),
    ("POST", "/model/parse"),
    ("PUT", "/model"),
    ("DELETE", "/model"),
    ("POST", "/model/train"),
    ("POST", "/model/test/intents"),
    ("POST", "/model/test/stories"),
    ("POST", "/model/predict"),
]
BODIES: dict[str, Any] = {
    "/conversations/{id}/tracker/events": [{"event": "slot", "name": "phone", "value": "1"}],
    "/conversations/{id}/messages": {"text": "低保怎么申请", "sender": "user"},
    "/conversations/{id}/execute": {"name": "action_check_status"},
    "/conversations/{id}/trigger_intent": {"name": "check_status"},
    "/model/parse": {"text": "低保怎么申请"},
    "/model": {"model_file": "models/linli.tar.gz"},
}


def rasa_api(stack: Stack, method: str, route: str, token: str | None) -> httpx.Response:
    path = route.replace("{id}", "tg:1001")
    params = {"token": token} if token is not None else {}
    return httpx.request(
        method, f"{stack.rasa_url}{path}", params=params, json=BODIES.get(route), timeout=30
    )


def tracker(stack: Stack, conversation: str) -> dict[str, Any]:
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{conversation}/tracker",
        params={"token": stack.rasa_token},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def user_texts(stack: Stack, conversation: str) -> list[str]:
    events = tracker(stack, conversation)["events"]
    return [str(event.get("text")) for event in events if event.get("event") == "user"]


def say(stack: Stack, headers: dict[str, str], sender: str, text: str, **extra: Any) -> Any:
    return httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, **extra},
        headers=headers,
        timeout=60,
    )


def reply_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return "\n".join(str(message.get("text") or "") for message in response.json())


@pytest.fixture
def backend(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{stack.backend.url}/api/v1", timeout=10) as client:
        yield client


def keyed(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def booking(sender_id: str, channel: str = "telegram") -> dict[str, Any]:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    return {
        "service": "zhucan", "scheduled_at": tomorrow.isoformat(), "time_text": "明天中午",
        "address": "幸福小区3号楼201", "phone": "13800138000", "channel": channel,
        "sender_id": sender_id,
    }  # fmt: skip


# -- finding 2: Rasa's HTTP API --------------------------------------------------------------


@pytest.mark.parametrize(("method", "route"), RASA_API_ROUTES)
def test_every_rasa_api_route_refuses_a_caller_without_the_token(
    stack: Stack, method: str, route: str
) -> None:
    assert rasa_api(stack, method, route, None).status_code in (401, 403)
    assert rasa_api(stack, method, route, WRONG).status_code in (401, 403)


def test_the_token_opens_the_api_and_the_refused_calls_changed_nothing(stack: Stack) -> None:
    assert rasa_api(stack, "GET", "/status", stack.rasa_token).status_code == 200
    # The model is still loaded (DELETE /model was refused) and nothing was injected.
    parsed = rasa_api(stack, "POST", "/model/parse", stack.rasa_token)
    assert parsed.status_code == 200 and parsed.json()["intent"]["name"] == "ask_policy"
    assert user_texts(stack, "tg:1001") == []
    # The health check the tests and operators use needs no token.
    assert httpx.get(f"{stack.rasa_url}/", timeout=10).status_code == 200


# -- finding 4: the REST channel ------------------------------------------------------------


def test_the_rest_channel_refuses_a_post_without_a_front_key_before_any_nlu(
    stack: Stack,
) -> None:
    sender = f"nokey-{uuid.uuid4().hex[:8]}"
    for headers in ({}, {FRONT_KEY_HEADER: WRONG}, {FRONT_KEY_HEADER: stack.rasa_token}):
        response = say(stack, headers, sender, "查一下我的预约")
        assert response.status_code == 401, (headers, response.text)
        # A 100 KB message without a key is not read either.
        assert say(stack, headers, sender, "低保" * 50_000).status_code == 401
    for prefix in ("", "tg:", "call:", "host:", "rest:"):
        assert user_texts(stack, prefix + sender) == []


def test_a_sender_id_cannot_reach_another_fronts_conversation(
    stack: Stack, backend: httpx.Client
) -> None:
    chat = str(uuid.uuid4().int % 10**9)
    # The action server filed a booking in the Telegram chat tg:<chat>.
    made = backend.post(
        "/bookings", json=booking(f"tg:{chat}"), headers=keyed(stack.backend.api_key)
    )
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    # Anyone else naming that chat lands in their own namespace and sees nothing of hers …
    for front, sender in (
        (Front.rest, f"tg:{chat}"),
        (Front.voice, f"tg:{chat}"),
        (Front.rest, chat),
    ):
        answer = reply_text(say(stack, stack.front_headers(front), sender, "查一下我的预约"))
        assert number not in answer, (front, sender, answer)
    assert user_texts(stack, f"rest:tg:{chat}") == ["查一下我的预约"]
    assert user_texts(stack, f"call:tg:{chat}") == ["查一下我的预约"]
    # … while the Telegram front, in its own chat, is answered with it.
    response = say(stack, stack.front_headers(Front.telegram), chat, "查一下我的预约")
    assert number in reply_text(response)
    assert response.headers.get("X-Linli-Intent") == "check_status"
    assert user_texts(stack, f"tg:{chat}") == ["查一下我的预约"]


def test_the_channel_of_a_message_comes_from_the_key_not_the_client(stack: Stack) -> None:
    sender = f"claims-voice-{uuid.uuid4().hex[:8]}"
    response = say(
        stack, stack.front_headers(Front.rest), sender, "你好",
        metadata={"channel": "voice", "front": "telegram"},
    )  # fmt: skip
    assert response.status_code == 200
    [user] = [e for e in tracker(stack, f"rest:{sender}")["events"] if e.get("event") == "user"]
    assert (user["metadata"]["channel"], user["metadata"]["front"]) == ("chat", "rest")
    response = say(
        stack, stack.front_headers(Front.voice), sender, "你好", metadata={"channel": "chat"}
    )
    [user] = [e for e in tracker(stack, f"call:{sender}")["events"] if e.get("event") == "user"]
    assert user["metadata"]["channel"] == "voice"


def test_only_the_voice_front_opens_a_call_linli_places(stack: Stack) -> None:
    """`/outbound_call` with a plan, typed into a chat, is only a greeting: the plan metadata
    is passed on from the voice front's key alone."""
    plan = {"outbound": {"purpose": "wellbeing", "call": "OC999999", "salutation": "王阿姨"}}
    sender = f"outbound-{uuid.uuid4().hex[:8]}"
    typed = reply_text(
        say(stack, stack.front_headers(Front.telegram), sender, "/outbound_call", metadata=plan)
    )
    assert "关爱电话" not in typed and "邻里通社区助手" in typed
    placed = reply_text(
        say(stack, stack.front_headers(Front.voice), sender, "/outbound_call", metadata=plan)
    )
    assert placed.startswith("王阿姨您好") and "关爱电话" in placed


def test_only_the_voice_front_speaks_for_a_call_and_its_number_is_kept_masked(
    stack: Stack,
) -> None:
    """Call facts (a caller's number, a human line to transfer to) typed into a chat are
    dropped: no transfer is asked for. From the voice front they reach the actions, and the
    stored conversation keeps the number masked."""
    call = {"call": {"caller": "13912345678", "human_line": True}}
    sender = f"facts-{uuid.uuid4().hex[:8]}"
    typed = say(stack, stack.front_headers(Front.telegram), sender, "转人工", metadata=call)
    assert not any("custom" in message for message in typed.json())
    placed = say(stack, stack.front_headers(Front.voice), sender, "转人工", metadata=call)
    assert {"linli_call": {"transfer": True}} in [m.get("custom") for m in placed.json()]
    stored = json.dumps(tracker(stack, f"call:{sender}"), ensure_ascii=False)
    assert "13912345678" not in stored and "human_line" in stored


# -- finding 4: one backend key per front ---------------------------------------------------


def test_the_telegram_key_opens_only_what_telegram_needs(
    stack: Stack, backend: httpx.Client
) -> None:
    telegram = keyed(stack.backend.telegram_api_key)
    chat = f"tg:{uuid.uuid4().int % 10**9}"
    # The attack of the review: read another chat's cases and bookings with the front's key.
    assert backend.get("/cases", params={"sender_id": chat}, headers=telegram).status_code == 403
    assert backend.get("/bookings", params={"sender_id": chat}, headers=telegram).status_code == 403
    assert backend.post("/bookings", json=booking(chat), headers=telegram).status_code == 403
    assert backend.get("/calls", headers=telegram).status_code == 403
    # Linking a chat: only its own (tg:) chats, and only this key.
    link = {"channel": "telegram", "sender_id": chat, "phone": "13912345678", "name": "王秀英"}
    assert backend.post("/residents/link-channel", json=link, headers=telegram).status_code == 200
    other = {**link, "sender_id": chat.removeprefix("tg:")}
    assert backend.post("/residents/link-channel", json=other, headers=telegram).status_code == 403
    actions = keyed(stack.backend.api_key)
    assert backend.post("/residents/link-channel", json=link, headers=actions).status_code == 403
    voice = keyed(stack.backend.voice_api_key)
    assert backend.post("/residents/link-channel", json=link, headers=voice).status_code == 403
    # Livestream follow-ups for its own conversations only.
    follow_up = {
        "sender_id": f"tg:host-{uuid.uuid4().hex[:6]}", "question": "家里老人没人照顾怎么办",
        "answer": "可以申请居家养老上门服务", "viewer": "张阿姨", "contact": None,
        "session_title": "第12场",
    }  # fmt: skip
    url = "/need-reports/livestream"
    assert backend.post(url, json=[follow_up], headers=telegram).status_code == 201
    stray = {**follow_up, "sender_id": "call:someone"}
    assert backend.post(url, json=[stray], headers=telegram).status_code == 403


def test_the_wechat_key_opens_only_what_wechat_needs(stack: Stack, backend: httpx.Client) -> None:
    wechat = keyed(stack.backend.wechat_api_key)
    chat = f"wx:o-{uuid.uuid4().hex[:12]}"
    assert backend.get("/cases", params={"sender_id": chat}, headers=wechat).status_code == 403
    assert backend.get("/bookings", params={"sender_id": chat}, headers=wechat).status_code == 403
    assert (
        backend.post("/bookings", json=booking(chat, "wechat"), headers=wechat).status_code == 403
    )
    assert backend.get("/notifications", headers=wechat).status_code == 403
    # Linking: only its own (wx:) chats, on its own channel, and only with the ID number.
    link = {"channel": "wechat", "sender_id": chat, "phone": "13912345678",
            "id_number": "320902195001011238", "consent_text": "同意"}  # fmt: skip
    for stray in ({"sender_id": "tg:1"}, {"channel": "telegram"}):
        refused = backend.post("/residents/link-channel", json={**link, **stray}, headers=wechat)
        assert refused.status_code == 403, refused.text
    telegram = keyed(stack.backend.telegram_api_key)
    assert backend.post("/residents/link-channel", json=link, headers=telegram).status_code == 403
    # Notices are the WeChat key's alone to claim (they carry staff alerts).
    claim = {"audiences": ["staff", "resident"], "limit": 1, "lease_s": 5}
    for other in (telegram, keyed(stack.backend.api_key), keyed(stack.backend.voice_api_key)):
        assert backend.post("/notifications/claim", json=claim, headers=other).status_code == 403
    assert backend.post("/notifications/claim", json=claim, headers=wechat).status_code == 200


def test_the_voice_key_records_calls_and_files_voice_handoffs_only(
    stack: Stack, backend: httpx.Client
) -> None:
    voice = keyed(stack.backend.voice_api_key)
    call_id = f"call:test-{uuid.uuid4().hex[:8]}"
    started = backend.post("/calls", json={"call_id": call_id, "transport": "test"}, headers=voice)
    assert started.status_code == 201, started.text
    handoff = {
        "channel": "voice",
        "sender_id": call_id,
        "reason": "callback",
        "last_message": "人工",
    }
    assert backend.post("/handoffs", json=handoff, headers=voice).status_code == 201
    # Not another channel, not a read, not another domain.
    wrong_channel = {**handoff, "channel": "chat"}
    assert backend.post("/handoffs", json=wrong_channel, headers=voice).status_code == 403
    assert backend.get("/cases", params={"sender_id": call_id}, headers=voice).status_code == 403
    assert backend.get("/handoffs", headers=voice).status_code == 403
    assert (
        backend.post("/bookings", json=booking(call_id, "voice"), headers=voice).status_code == 403
    )
    # The keys are not one key.
    keys = {stack.backend.api_key, stack.backend.voice_api_key, stack.backend.telegram_api_key}
    assert len(keys) == 3


def load_make_env(env_file: Path) -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_env", PROJECT_ROOT / "scripts" / "make-env.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ENV_FILE = env_file
    return module


def env_values(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_make_env_gives_every_front_its_own_secrets(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.env"
    load_make_env(fresh).main()
    values = env_values(fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert values["LINLI_RASA_AUTH_TOKEN"]
    backend_keys = [
        values[f"LINLI_API_{name}_API_KEY"] for name in ("ACTION_SERVER", "VOICE", "TELEGRAM")
    ]
    assert len(set(backend_keys)) == 3
    assert values["LINLI_VOICE_BACKEND_API_KEY"] == values["LINLI_API_VOICE_API_KEY"]
    assert values["LINLI_TELEGRAM_BACKEND_API_KEY"] == values["LINLI_API_TELEGRAM_API_KEY"]
    rest_keys = [
        values[name]
        for name in (
            "LINLI_TELEGRAM_RASA_KEY",
            "LINLI_VOICE_RASA_KEY",
            "LINLI_API_RASA_KEY",
            "LINLI_RASA_REST_KEY",
        )
    ]
    assert len(set(rest_keys)) == 4 and all(rest_keys)

    # A file from before: the voice servers held the action server's key. They get their own;
    # everything else keeps its value.
    old = tmp_path / "old.env"
    old.write_text(
        "# Generated by `make run`; delete it to rotate every secret.\n"
        "LINLI_API_SECRET_KEY=kept\nLINLI_API_ACTION_SERVER_API_KEY=lk_shared\n"
        "LINLI_ACTIONS_BACKEND_API_KEY=lk_shared\nLINLI_VOICE_BACKEND_API_KEY=lk_shared\n"
    )
    old.chmod(0o600)
    load_make_env(old).main()
    values = env_values(old)
    assert values["LINLI_API_SECRET_KEY"] == "kept"
    assert values["LINLI_ACTIONS_BACKEND_API_KEY"] == "lk_shared"
    assert values["LINLI_VOICE_BACKEND_API_KEY"] not in ("lk_shared", "")
    assert values["LINLI_VOICE_BACKEND_API_KEY"] == values["LINLI_API_VOICE_API_KEY"]
    assert values["LINLI_RASA_AUTH_TOKEN"]
    before = old.read_text()
    load_make_env(old).main()  # idempotent
    assert old.read_text() == before


# -- finding 5: idempotency keys bound to the request ----------------------------------------


def test_an_idempotency_key_replayed_by_another_caller_or_with_another_body_is_refused(
    stack: Stack, backend: httpx.Client
) -> None:
    actions = keyed(stack.backend.api_key)
    key = {"Idempotency-Key": f"replay-{uuid.uuid4().hex}"}
    mine = {"channel": "chat", "sender_id": f"rest:a-{uuid.uuid4().hex[:6]}", "reason": "requested",
            "last_message": "我要找人工，电话13800138000"}  # fmt: skip
    first = backend.post("/handoffs", json=mine, headers={**actions, **key})
    assert first.status_code == 201, first.text
    # The review's attack: the same key with another resident's body answered her record.
    theirs = {**mine, "sender_id": "rest:someone-else", "last_message": "查记录"}
    replay = backend.post("/handoffs", json=theirs, headers={**actions, **key})
    assert replay.status_code == 422 and "13800138000" not in replay.text
    with staff_client(stack.backend) as staff:
        assert staff.post("/handoffs", json=mine, headers=key).status_code == 422
    # A true retry still gets the first record.
    again = backend.post("/handoffs", json=mine, headers={**actions, **key})
    assert again.status_code in (200, 201) and again.json()["number"] == first.json()["number"]


def test_a_retried_need_report_batch_files_nothing_twice(
    stack: Stack, backend: httpx.Client
) -> None:
    actions = keyed(stack.backend.api_key)
    tag = uuid.uuid4().hex[:8]
    batch = [
        {"channel": "livestream", "sender_id": f"host:{tag}-{n}", "text": f"需要上门看看 {tag} {n}"}
        for n in range(3)
    ]
    key = {"Idempotency-Key": f"batch-{tag}"}
    first = backend.post("/need-reports/batch", json=batch, headers={**actions, **key})
    assert first.status_code == 201, first.text
    again = backend.post("/need-reports/batch", json=batch, headers={**actions, **key})
    assert [r["number"] for r in again.json()] == [r["number"] for r in first.json()]
    changed = backend.post("/need-reports/batch", json=batch[:2], headers={**actions, **key})
    assert changed.status_code == 422
    with staff_client(stack.backend) as staff:
        queue = staff.get("/need-reports", params={"limit": 500}).json()
    assert sum(tag in report["text"] for report in queue) == 3


def test_a_retried_livestream_follow_up_files_nothing_twice(
    stack: Stack, backend: httpx.Client
) -> None:
    telegram = keyed(stack.backend.telegram_api_key)
    follow_up = {
        "sender_id": f"tg:host-{uuid.uuid4().hex[:6]}", "question": "高龄津贴怎么领",
        "answer": "可以到社区办理", "viewer": None, "contact": None, "session_title": "第3场",
    }  # fmt: skip
    key = {"Idempotency-Key": f"tg-follow-up-{uuid.uuid4().hex}"}
    url = "/need-reports/livestream"
    first = backend.post(url, json=[follow_up], headers={**telegram, **key})
    again = backend.post(url, json=[follow_up], headers={**telegram, **key})
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()


def action_call(stack: Stack, sender: str, message_id: str) -> str:
    """Runs action_request_human for a turn as the Rasa server would; the bot's reply."""
    user = {
        "event": "user", "text": "我要找人工", "message_id": message_id, "input_channel": "rest",
        "parse_data": {"intent": {"name": "request_human", "confidence": 0.99}, "entities": []},
        "metadata": {"channel": "chat"},
    }  # fmt: skip
    call = {
        "next_action": "action_request_human",
        "sender_id": sender,
        "tracker": {
            "sender_id": sender, "slots": {}, "latest_message": {**user["parse_data"],
            "text": "我要找人工", "metadata": {"channel": "chat"}}, "events": [user],
            "paused": False, "followup_action": None, "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
        "version": "3.6.0",
    }  # fmt: skip
    response = httpx.post(
        f"{stack.actions_url}/webhook", params={"token": stack.actions_token}, json=call, timeout=30
    )
    assert response.status_code == 200, response.text
    return " ".join(str(r.get("text")) for r in response.json()["responses"])


def test_the_action_server_files_a_retried_turn_once(stack: Stack) -> None:
    sender = f"rest:retry-{uuid.uuid4().hex[:8]}"
    first = action_call(stack, sender, "message-1")
    assert "登记编号" in first, first
    assert action_call(stack, sender, "message-1") == first
    # The next message is a new request.
    assert action_call(stack, sender, "message-2") != first
    with staff_client(stack.backend) as staff:
        handoffs = staff.get("/handoffs", params={"limit": 500}).json()
    assert sum(h["sender_id"] == sender for h in handoffs) == 2
