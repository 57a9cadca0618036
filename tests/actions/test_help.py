from typing import Any

import httpx
import pytest
import yaml
from rasa_sdk.events import ActiveLoop
from rasa_sdk.executor import CollectingDispatcher

from actions.backend import BackendClient
from actions.core import ActionRepeat
from actions.help import (
    ActionDeclineCallback,
    ActionFileCallback,
    ActionOfferCallback,
    ActionRaiseEmergency,
    ActionReportHardship,
    ActionRequestHuman,
)
from actions.settings import get_settings
from common.emergency_alerts import alert_not_filed
from tests.actions.support import bridge_messages, make_tracker, texts
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
    tracker = make_tracker(
        "我摔倒了起不来了", "emergency", sender_id="emergency-1", slots={"danger": "falls"}
    )
    events = await ActionRaiseEmergency().run(dispatcher, tracker, {})
    assert "通知了社区工作人员" in texts(dispatcher)
    # The kind of danger chose this emergency's guidance and is not carried to the next one.
    assert {"event": "slot", "name": "danger", "value": None, "timestamp": None} in events
    first = staff.get("/handoffs").json()[0]
    assert first["reason"] == "emergency" and first["sender_id"] == "emergency-1"
    assert first["danger"] == "falls"  # the worker on duty reads 跌倒 first


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


# ---------------------------------------------------------------- the same decisions by phone

CALLER = "13912345678"


def on_the_phone(human_line: bool = False) -> dict[str, Any]:
    """The metadata Rasa's REST channel passes on from the voice bridge's messages."""
    return {
        "channel": "voice",
        "front": "voice",
        "call": {"caller": CALLER, "human_line": human_line},
    }


def instructions(dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """What the actions asked the bridge to do (`linli_call`), merged as the bridge does."""
    merged: dict[str, Any] = {}
    for told in bridge_messages(dispatcher):
        merged.update(told)
    return merged


def handoffs_of(staff: httpx.Client, sender_id: str) -> list[dict[str, Any]]:
    return [h for h in staff.get("/handoffs").json() if h["sender_id"] == sender_id]


@pytest.mark.asyncio
async def test_a_person_asked_for_by_phone_with_a_human_line_is_a_transfer_and_files_nothing(
    staff: httpx.Client,
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "转人工", "request_human", sender_id="call:t-1", metadata=on_the_phone(human_line=True)
    )
    await ActionRequestHuman().run(dispatcher, tracker, {})
    assert instructions(dispatcher) == {"transfer": True}
    assert "转接" in texts(dispatcher)
    assert handoffs_of(staff, "call:t-1") == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("intent", "human_line"), [("request_human", False), ("transfer_failed", True)]
)
async def test_a_person_nobody_can_take_by_phone_is_a_callback_to_the_calling_number(
    staff: httpx.Client, intent: str, human_line: bool
) -> None:
    """No human line, or the transfer did not connect: a callback handoff with the number the
    call came from, its registration number said, and the call goes on."""
    sender = f"call:t-{intent}"
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "人工", intent, sender_id=sender, metadata=on_the_phone(human_line=human_line)
    )
    await ActionRequestHuman().run(dispatcher, tracker, {})
    (handoff,) = handoffs_of(staff, sender)
    assert (handoff["reason"], handoff["phone"], handoff["channel"]) == (
        "callback", CALLER, "voice",
    )  # fmt: skip
    assert handoff["number"] in texts(dispatcher)
    assert instructions(dispatcher) == {"callback": True}  # not the end of the call


@pytest.mark.asyncio
async def test_the_offered_callback_accepted_is_filed_once_and_ends_the_call(
    staff: httpx.Client,
) -> None:
    dispatcher = CollectingDispatcher()
    offer = make_tracker("/callback_offer", "callback_offer", metadata=on_the_phone())
    assert ActiveLoop(None) in await ActionOfferCallback().run(dispatcher, offer, {})
    assert "按1" in texts(dispatcher)

    dispatcher = CollectingDispatcher()
    yes = make_tracker("好的", "affirm", sender_id="call:t-yes", metadata=on_the_phone())
    await ActionFileCallback().run(dispatcher, yes, {})
    (handoff,) = handoffs_of(staff, "call:t-yes")
    assert (handoff["reason"], handoff["phone"]) == ("callback", CALLER)
    assert handoff["number"] in texts(dispatcher) and "再见" in texts(dispatcher)
    assert instructions(dispatcher) == {"callback": True, "end": True}


@pytest.mark.asyncio
async def test_a_callback_the_backend_refuses_by_phone_is_said_to_have_failed(
    monkeypatch: pytest.MonkeyPatch, staff: httpx.Client
) -> None:
    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_API_KEY", "lk_not_a_key")
    get_settings.cache_clear()
    dispatcher = CollectingDispatcher()
    yes = make_tracker("1", "affirm", sender_id="call:t-refused", metadata=on_the_phone())
    await ActionFileCallback().run(dispatcher, yes, {})
    said = texts(dispatcher)
    assert "没能登记上" in said and "登记编号" not in said
    assert instructions(dispatcher) == {"callback": False, "end": True}


@pytest.mark.asyncio
async def test_the_offered_callback_refused_files_nothing_and_ends_the_call(
    staff: httpx.Client,
) -> None:
    dispatcher = CollectingDispatcher()
    no = make_tracker("不需要", "deny", sender_id="call:t-no", metadata=on_the_phone())
    await ActionDeclineCallback().run(dispatcher, no, {})
    assert instructions(dispatcher) == {"end": True}
    assert handoffs_of(staff, "call:t-no") == []


@pytest.mark.asyncio
async def test_a_repeat_by_phone_asks_the_bridge_to_replay_what_was_heard() -> None:
    dispatcher = CollectingDispatcher()
    history = [{"event": "bot", "text": "请问服务地址是哪里？"}]
    tracker = make_tracker("再说一遍", "repeat", events=history, metadata=on_the_phone())
    await ActionRepeat().run(dispatcher, tracker, {})
    assert texts(dispatcher) == "请问服务地址是哪里？"  # in case the bridge has nothing to replay
    assert instructions(dispatcher) == {"repeat": True}


@pytest.mark.asyncio
async def test_call_facts_typed_into_a_chat_are_not_a_call(staff: httpx.Client) -> None:
    """Only the voice front's messages carry call facts (the REST channel drops a chat's)."""
    dispatcher = CollectingDispatcher()
    chat = {"channel": "chat", "call": {"caller": CALLER, "human_line": True}}
    tracker = make_tracker("转人工", "request_human", sender_id="rest:t-chat", metadata=chat)
    await ActionRequestHuman().run(dispatcher, tracker, {})
    assert instructions(dispatcher) == {}
    (handoff,) = handoffs_of(staff, "rest:t-chat")
    assert handoff["reason"] == "requested" and handoff["phone"] is None


def test_the_action_server_registers_every_action_of_the_domain() -> None:
    from rasa_sdk.executor import ActionExecutor

    from testsupport.servers import PROJECT_ROOT

    executor = ActionExecutor()
    executor.register_package("actions")
    custom: set[str] = set()
    for path in (PROJECT_ROOT / "bot" / "domain").glob("*.yml"):
        custom |= {a for a in (yaml.safe_load(path.read_text()) or {}).get("actions", [])}
    assert custom <= set(executor.actions)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("danger", "line", "not_told"),
    [("violence", "110", "120"), ("fraud_now", "110", "120"), (None, "120", "110")],
)
async def test_an_alert_not_filed_names_the_number_that_fits_the_danger(
    monkeypatch: pytest.MonkeyPatch, danger: str | None, line: str, not_told: str
) -> None:
    """The same words the phone says (common/emergency_alerts.py), chosen by the `danger` slot
    the lexicon filled: someone being beaten is sent to the police, not the ambulance."""
    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_API_KEY", "lk_not_a_key")
    get_settings.cache_clear()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("救命", "emergency", slots={"danger": danger}, sender_id="refused-2")
    await ActionRaiseEmergency().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert said == alert_not_filed(danger)
    assert line in said and not_told not in said
