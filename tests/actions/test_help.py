from typing import Any

import httpx
import pytest
import yaml
from rasa_sdk.events import ActiveLoop
from rasa_sdk.executor import CollectingDispatcher

from actions.backend import BackendClient
from actions.core import ActionRepeat
from actions.help import ActionRaiseEmergency, ActionReportHardship, ActionRequestHuman
from actions.settings import get_settings
from tests.actions.support import make_tracker, texts
from testsupport.servers import Backend, free_port


@pytest.mark.asyncio
async def test_request_human_files_a_handoff_and_leaves_the_form(staff: httpx.Client) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "转人工", "request_human", sender_id="human-1", active_loop="booking_form",
        slots={"phone": "13800138000"},
    )  # fmt: skip
    events = await ActionRequestHuman().run(dispatcher, tracker, {})
    assert ActiveLoop(None) in events
    number = texts(dispatcher).split("登记编号是 ")[1][:7]
    queue = {item["number"]: item for item in staff.get("/handoffs").json()}
    assert queue[number]["reason"] == "requested"
    assert queue[number]["phone"] == "13800138000"
    assert queue[number]["last_message"] == "转人工"


@pytest.mark.asyncio
async def test_emergency_goes_to_the_top_of_the_queue(staff: httpx.Client) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("我摔倒了起不来了", "emergency", sender_id="emergency-1")
    await ActionRaiseEmergency().run(dispatcher, tracker, {})
    assert "通知了社区工作人员" in texts(dispatcher)
    first = staff.get("/handoffs").json()[0]
    assert first["reason"] == "emergency" and first["sender_id"] == "emergency-1"


@pytest.mark.asyncio
async def test_an_emergency_kept_in_the_outbox_is_not_called_notified_and_lands_once(
    monkeypatch: pytest.MonkeyPatch, staff: httpx.Client, backend: Backend
) -> None:
    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("我爸倒在卫生间了", "emergency", sender_id="emergency-down")
    await ActionRaiseEmergency().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert "通知了" not in said and "会一直重试" in said and "120" in said

    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_URL", backend.url)
    get_settings.cache_clear()
    async with BackendClient() as client:
        assert await client.flush_outbox() == 1
        assert await client.flush_outbox() == 0
    alerts = [h for h in staff.get("/handoffs").json() if h["sender_id"] == "emergency-down"]
    assert [h["reason"] for h in alerts] == ["emergency"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("action", "intent", "refused"),
    [
        (ActionRaiseEmergency(), "emergency", "没能通知到"),
        (ActionRequestHuman(), "request_human", "没有登记上"),
    ],
)
async def test_a_handoff_the_backend_refuses_is_said_to_have_failed(
    monkeypatch: pytest.MonkeyPatch, action: Any, intent: str, refused: str
) -> None:
    """Refused (here: a key the backend does not know) is neither filed nor kept."""
    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_API_KEY", "lk_not_a_key")
    get_settings.cache_clear()
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, make_tracker("救命", intent, sender_id="refused-1"), {})
    said = texts(dispatcher)
    assert refused in said
    assert "通知了" not in said and "已经记下" not in said and "登记编号" not in said


@pytest.mark.asyncio
async def test_hardship_becomes_a_need_report_and_offers_screening(staff: httpx.Client) -> None:
    dispatcher = CollectingDispatcher()
    said = "老伴住院花了十几万，家里实在撑不下去了"
    await ActionReportHardship().run(
        dispatcher, make_tracker(said, "report_hardship", sender_id="hardship-1"), {}
    )
    assert "社工" in texts(dispatcher)
    assert "/check_eligibility" in [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    reports = [r for r in staff.get("/need-reports").json() if r["sender_id"] == "hardship-1"]
    assert [r["text"] for r in reports] == [said]


@pytest.mark.asyncio
async def test_repeat_says_the_last_bot_message_again() -> None:
    dispatcher = CollectingDispatcher()
    history = [
        {"event": "bot", "text": "请问服务地址是哪里？"},
        {"event": "user", "text": "啥", "parse_data": {}},
    ]
    await ActionRepeat().run(dispatcher, make_tracker("再说一遍", "repeat", events=history), {})
    assert texts(dispatcher) == "请问服务地址是哪里？"
    dispatcher = CollectingDispatcher()
    await ActionRepeat().run(dispatcher, make_tracker("再说一遍", "repeat"), {})
    assert "还没说什么" in texts(dispatcher)


def test_the_action_server_registers_every_action_of_the_domain() -> None:
    from rasa_sdk.executor import ActionExecutor

    from testsupport.servers import PROJECT_ROOT

    executor = ActionExecutor()
    executor.register_package("actions")
    custom: set[str] = set()
    for path in (PROJECT_ROOT / "bot" / "domain").glob("*.yml"):
        custom |= {a for a in (yaml.safe_load(path.read_text()) or {}).get("actions", [])}
    assert custom <= set(executor.actions)
