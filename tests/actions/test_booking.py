"""The booking actions against a real backend: the form, the read-back, filing with the
outbox, status and cancellation. Over 300 lines: one flow, from the first words to the
cancellation, in one module (plans and corrections are in test_booking_plan.py)."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend import BackendClient, BackendUnavailableError
from actions.booking import (
    ActionAskBookingConfirmed,
    ActionCancelBooking,
    ActionCheckStatus,
    ActionOfferCancellation,
    ActionSubmitBooking,
    ValidateBookingForm,
)
from actions.conversation import now_local
from actions.settings import ActionSettings, get_settings
from common.personal_numbers import masked_form, sealed_reference
from tests.actions.support import make_tracker, slot_values, texts
from testsupport.servers import Backend, backend_server, free_port

pytestmark = pytest.mark.asyncio


def filled_booking(sender_id: str) -> dict[str, Any]:
    tomorrow_noon = (now_local() + timedelta(days=1)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    return {
        "service": "zhucan",
        "booking_time": {
            "iso": tomorrow_noon.isoformat(),
            "text": "明天中午",
            "precision": "period",
        },
        "address": "幸福小区3号楼201",
        "phone": "13800138000",
        "booking_confirmed": True,
    }


async def test_opening_message_fills_service_and_time(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "我想订明天中午的午饭",
        "book_service",
        entities={"service": "zhucan"},
        extracted={"service": "zhucan"},
        active_loop="booking_form",
    )
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert slots["service"] == "zhucan"
    when = datetime.fromisoformat(slots["booking_time"]["iso"])
    assert when.date() == (now_local() + timedelta(days=1)).date() and when.hour == 12
    assert slots["booking_time"]["text"] == "明天中午"


async def test_two_services_in_one_request_book_the_first_and_say_the_other_waits(
    domain: dict[str, Any],
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "明天给我妈约个助浴，顺便理个发",
        "book_service",
        entities=[("service", "zhuyu"), ("service", "lifa")],
        extracted={"service": "lifa"},  # Rasa fills a text slot with the last one named
        active_loop="booking_form",
    )
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert slots["service"] == "zhuyu"
    said = texts(dispatcher)
    assert "先帮您约助浴" in said and "上门理发还没有约" in said


async def test_house_numbers_in_an_address_are_not_taken_for_a_date(
    domain: dict[str, Any],
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "幸福小区3号楼2单元201",
        "inform",
        slots={"requested_slot": "address"},
        extracted={"address": "幸福小区3号楼2单元201"},
        active_loop="booking_form",
    )
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert slots["address"] == "幸福小区3号楼2单元201"
    assert "booking_time" not in slots


async def test_unclear_time_and_bad_phone_are_asked_again(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "随便吧", "inform", slots={"requested_slot": "booking_time"}, active_loop="booking_form"
    )
    assert "booking_time" not in slot_values(
        await ValidateBookingForm().run(dispatcher, tracker, domain)
    )
    assert "没听明白" in texts(dispatcher)

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "一二三", "inform", slots={"requested_slot": "phone"}, extracted={"phone": "一二三"},
        active_loop="booking_form",
    )  # fmt: skip
    assert slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain)) == {
        "phone": None
    }
    assert "电话号码好像不对" in texts(dispatcher)


async def test_spoken_phone_number_is_normalised(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    said = "幺三八零零幺三八零零零"
    tracker = make_tracker(
        said,
        "inform",
        slots={"requested_slot": "phone"},
        extracted={"phone": said},
        active_loop="booking_form",
    )
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert masked_form(slots["phone"]) == "138****8000"  # sealed: the number is not kept


async def test_read_back_then_no_asks_again(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("", slots=filled_booking("c"))
    await ActionAskBookingConfirmed().run(dispatcher, tracker, domain)
    read_back = texts(dispatcher)
    assert "助餐送餐" in read_back and "幸福小区3号楼201" in read_back
    assert "138 0013 8000" in read_back
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "不对",
        "deny",
        slots={**filled_booking("c"), "requested_slot": "booking_confirmed"},
        extracted={"booking_confirmed": False},
        active_loop="booking_form",
    )  # fmt: skip
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert slots["booking_time"] is None and slots["phone"] is None
    assert "重新确认" in texts(dispatcher)


async def test_submitted_booking_is_in_the_backend(staff: httpx.Client) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("对", "affirm", slots=filled_booking("s1"), sender_id="book-1")
    events = await ActionSubmitBooking().run(dispatcher, tracker, {})
    reply = texts(dispatcher)
    assert "预约好了" in reply
    number = reply.split("预约编号是 ")[1][:7]
    booking = staff.get(f"/bookings/{number}").json()
    assert booking["service_code"] == "zhucan"
    assert booking["address"] == "幸福小区3号楼201"
    assert booking["phone"] == "13800138000"
    assert booking["time_text"] == "明天中午"
    assert booking["channel"] == "chat"
    assert datetime.fromisoformat(booking["scheduled_at"]) == datetime.fromisoformat(
        filled_booking("s1")["booking_time"]["iso"]
    )
    assert SlotSet("service", None) in events and SlotSet("phone", None) not in events


async def test_backend_down_keeps_the_booking_and_delivers_it_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, staff: httpx.Client, backend: Backend
) -> None:
    dead_url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_URL", dead_url)
    get_settings.cache_clear()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("对", "affirm", slots=filled_booking("d"), sender_id="offline-1")
    await ActionSubmitBooking().run(dispatcher, tracker, {})
    assert "暂时连不上" in texts(dispatcher) and "已经记下" in texts(dispatcher)
    async with BackendClient() as client:
        assert len(client.outbox) == 1

    # The backend is back: the next backend call delivers the queued booking, exactly once.
    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_URL", backend.url)
    get_settings.cache_clear()
    async with BackendClient() as client:
        assert await client.flush_outbox() == 1
        assert await client.flush_outbox() == 0
        assert len(client.outbox) == 0
    delivered = staff.get("/bookings", params={"sender_id": "offline-1"}).json()
    assert len(delivered) == 1 and delivered[0]["address"] == "幸福小区3号楼201"


async def test_outbox_survives_a_backend_that_answers_500(tmp_path: Path) -> None:
    # A backend whose database is gone answers 500: the request must still be kept.
    with backend_server(tmp_path) as broken:
        (tmp_path / "linli.db").unlink()
        async with BackendClient(
            ActionSettings(
                backend_url=broken.url,
                backend_api_key=broken.api_key,
                outbox_path=tmp_path / "outbox.db",
            )
        ) as client:
            with pytest.raises(BackendUnavailableError) as raised:
                await client.create_handoff({"channel": "chat", "reason": "requested"})
            assert raised.value.queued is True
            assert len(client.outbox) == 1


async def test_status_and_cancel_by_conversation(staff: httpx.Client) -> None:
    sender = "cancel-1"
    await ActionSubmitBooking().run(
        CollectingDispatcher(), make_tracker("对", "affirm", slots=filled_booking(sender),
                                             sender_id=sender), {}
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionCheckStatus().run(dispatcher, make_tracker("查一下", "check_status",
                                                           sender_id=sender), {})  # fmt: skip
    assert "待派单" in texts(dispatcher)

    dispatcher = CollectingDispatcher()
    events = await ActionOfferCancellation().run(
        dispatcher, make_tracker("明天的饭不要了", "cancel_booking", sender_id=sender), {}
    )
    number = slot_values(events)["pending_cancel"]
    assert f"编号{number}" in texts(dispatcher) and "吗" in texts(dispatcher)

    dispatcher = CollectingDispatcher()
    events = await ActionCancelBooking().run(
        dispatcher,
        make_tracker("对", "affirm", slots={"pending_cancel": number}, sender_id=sender),
        {},
    )
    assert "已经帮您取消" in texts(dispatcher)
    assert slot_values(events) == {"pending_cancel": None}
    cancelled = staff.get(f"/bookings/{number}").json()
    assert cancelled["status"] == "cancelled" and cancelled["cancellable"] is False


async def book_in_conversation(sender: str) -> str:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("对", "affirm", slots=filled_booking(sender), sender_id=sender)
    await ActionSubmitBooking().run(dispatcher, tracker, {})
    return texts(dispatcher).split("预约编号是 ")[1][:7]


def dispatch(staff: httpx.Client, number: str, worker: str) -> None:
    """派单 to a new provider's worker, as a social worker does in the console."""
    provider = staff.post(
        "/providers",
        json={"name": f"{worker}家政", "phone": "13600001111", "service_codes": ["zhucan"]},
    )
    assert provider.status_code == 201, provider.text
    provider_id = provider.json()["id"]
    account = staff.post(
        "/staff-users",
        json={
            "username": worker,
            "password": "pw-worker-123",
            "role": "provider_worker",
            "provider_id": provider_id,
        },
    )
    assert account.status_code == 201, account.text
    dispatched = staff.post(
        f"/bookings/{number}/dispatch", json={"provider_id": provider_id, "worker": worker}
    )
    assert dispatched.status_code == 200, dispatched.text


async def test_a_dispatched_booking_can_still_be_cancelled(staff: httpx.Client) -> None:
    # The backend's rule: cancellable until the worker arrives, not only before dispatch.
    sender = "cancel-dispatched"
    number = await book_in_conversation(sender)
    dispatch(staff, number, "w-cancel-1")
    assert staff.get(f"/bookings/{number}").json()["cancellable"] is True

    dispatcher = CollectingDispatcher()
    events = await ActionOfferCancellation().run(
        dispatcher, make_tracker("预约不要了", "cancel_booking", sender_id=sender), {}
    )
    assert slot_values(events) == {"pending_cancel": number}
    dispatcher = CollectingDispatcher()
    await ActionCancelBooking().run(
        dispatcher,
        make_tracker("对", "affirm", slots={"pending_cancel": number}, sender_id=sender),
        {},
    )
    assert "已经帮您取消" in texts(dispatcher)
    assert staff.get(f"/bookings/{number}").json()["status"] == "cancelled"


async def test_a_booking_being_served_is_not_offered_for_cancellation(
    staff: httpx.Client,
) -> None:
    sender = "cancel-served"
    number = await book_in_conversation(sender)
    dispatch(staff, number, "w-cancel-2")
    for step in ("accept", "check-in"):
        assert staff.post(f"/bookings/{number}/{step}", json={}).status_code == 200
    assert staff.get(f"/bookings/{number}").json()["cancellable"] is False

    dispatcher = CollectingDispatcher()
    events = await ActionOfferCancellation().run(
        dispatcher, make_tracker("预约不要了", "cancel_booking", sender_id=sender), {}
    )
    assert "没有查到您可以取消的预约" in texts(dispatcher)
    assert slot_values(events) == {}

    dispatcher = CollectingDispatcher()
    await ActionCheckStatus().run(
        dispatcher, make_tracker("进度", "check_status", sender_id=sender), {}
    )
    assert "服务中" in texts(dispatcher)  # checked_in in Chinese, not the English word
    assert "checked_in" not in texts(dispatcher)


async def test_nothing_to_check_in_a_new_conversation() -> None:
    dispatcher = CollectingDispatcher()
    await ActionCheckStatus().run(dispatcher, make_tracker("进度", "check_status",
                                                           sender_id="nobody"), {})  # fmt: skip
    assert "没有查到" in texts(dispatcher)


async def test_no_keeps_the_booking() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("不是", "deny", slots={"pending_cancel": "B000001"}, sender_id="x")
    events = await ActionCancelBooking().run(dispatcher, tracker, {})
    assert "预约保留不变" in texts(dispatcher)
    assert slot_values(events) == {"pending_cancel": None}


async def test_read_back_answer_is_read_from_the_words(domain: dict[str, Any]) -> None:
    tracker = make_tracker(
        "对的就是这个时间", "inform",
        slots={**filled_booking("w"), "booking_confirmed": None,
               "requested_slot": "booking_confirmed"},
        active_loop="booking_form",
    )  # fmt: skip
    slots = slot_values(await ValidateBookingForm().run(CollectingDispatcher(), tracker, domain))
    assert slots["booking_confirmed"] is True


async def test_cancel_with_the_backend_down_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_ACTIONS_BACKEND_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("对", "affirm", slots={"pending_cancel": "B000001"}, sender_id="x")
    events = await ActionCancelBooking().run(dispatcher, tracker, {})
    assert "没能取消" in texts(dispatcher)
    assert slot_values(events) == {"pending_cancel": None}


async def test_a_phone_sealed_in_an_earlier_session_is_asked_again(
    domain: dict[str, Any],
) -> None:
    # Slots carry over to new sessions; the backend accepts a sealed phone for 48 hours.
    made = int((datetime.now() - timedelta(hours=30)).timestamp())
    token = Fernet(Fernet.generate_key()).encrypt_at_time(b"phone:13800138000", made).decode()
    stale = sealed_reference(masked="138****8000", token=token)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "幸福小区3号楼201",
        "inform",
        slots={**filled_booking("s"), "phone": stale, "booking_confirmed": None,
               "requested_slot": "address"},
        extracted={"address": "幸福小区3号楼201"},
        active_loop="booking_form",
    )  # fmt: skip
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert slots["phone"] is None  # Rasa asks for it next
    assert "电话号码好像不对" not in texts(dispatcher)


async def test_a_sealed_phone_is_read_back_in_full_only_when_just_said(
    domain: dict[str, Any],
) -> None:
    token = Fernet(Fernet.generate_key()).encrypt(b"phone:13800138000").decode()
    sealed = sealed_reference(masked="138****8000", token=token)
    slots = {**filled_booking("r"), "phone": sealed}
    dispatcher = CollectingDispatcher()
    await ActionAskBookingConfirmed().run(dispatcher, make_tracker("13800138000", slots=slots), {})
    assert "电话138 0013 8000" in texts(dispatcher)  # a misheard digit is caught here
    dispatcher = CollectingDispatcher()
    await ActionAskBookingConfirmed().run(dispatcher, make_tracker("地址改一下", slots=slots), {})
    assert "电话尾号8000" in texts(dispatcher) and "0013" not in texts(dispatcher)
