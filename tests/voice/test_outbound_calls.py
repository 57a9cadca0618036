"""Calls Linli places (issue 18), through the simulator: the real call session opened by Rasa's
outbound dialogue, Whisper, the real stack. Silence after the opening and an answering machine
are no answer; an answered call ends with what it found, as the bridge reports it."""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.voice.support import stack_settings
from tests.voice.test_calls import spoken
from testsupport.servers import Stack
from voice import prompts
from voice.call.plan import PlannedCall
from voice.services import VoiceServices
from voice.session import CallSession
from voice.simulator import CallLog, SimulatedCall

pytestmark = pytest.mark.e2e
WELLBEING = PlannedCall(
    id=1, number="OC900001", purpose="wellbeing", phone="13800000009", salutation="张叔叔"
)


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def services(stack: Stack, loop: asyncio.AbstractEventLoop) -> Iterator[VoiceServices]:
    services = VoiceServices.create(
        stack_settings(stack, outbound_no_answer_s=4.0, silence_reprompt_s=3.0)
    )
    loop.run_until_complete(services.warm_up())
    yield services
    loop.run_until_complete(services.aclose())


def place(
    loop: asyncio.AbstractEventLoop, services: VoiceServices, turns: list[str]
) -> tuple[CallSession, CallLog]:
    async def run() -> tuple[CallSession, CallLog]:
        call_id = f"out-test-{uuid.uuid4().hex[:12]}"
        session = CallSession(services, call_id, "simulator", plan=WELLBEING)
        call = SimulatedCall(session)
        await call.start()
        for turn in turns:
            if call.log.outcome is not None:
                break
            await call.say(turn)
        await call.hang_up()
        return session, call.log

    return loop.run_until_complete(run())


def test_nobody_speaking_after_the_opening_is_no_answer(
    loop: asyncio.AbstractEventLoop, services: VoiceServices
) -> None:
    session, log = place(loop, services, ["silence:12"])
    opening = log.records[0]
    assert opening.intent == "outbound_call"
    assert opening.bot_text.startswith("张叔叔您好") and "人工" in opening.bot_text
    assert log.outcome == "no_answer"
    assert session.findings.result() == {"answered": False, "note": "接通后没有人说话"}


def test_an_answering_machine_is_not_talked_at(
    loop: asyncio.AbstractEventLoop, services: VoiceServices, tmp_path: Path
) -> None:
    machine = spoken("您拨打的电话暂时无人接听，请在提示音后留言。", tmp_path / "machine.wav")
    session, log = place(loop, services, [machine, "silence:5"])
    assert [record.intent for record in log.records] == ["outbound_call", "answering_machine"]
    assert log.records[1].bot_text == ""
    assert log.outcome == "no_answer"
    assert session.findings.result()["answered"] is False


def test_fine_and_nothing_needed_is_reported_fine(
    loop: asyncio.AbstractEventLoop, services: VoiceServices, tmp_path: Path
) -> None:
    fine = spoken("挺好的，身体没问题。", tmp_path / "fine.wav")
    nothing = spoken("不用了，谢谢。", tmp_path / "nothing.wav")
    session, log = place(loop, services, [fine, nothing])
    intents = [record.intent for record in log.records]
    assert intents[:2] == ["outbound_call", "feel_fine"], [r.summary() for r in log.records]
    assert "有没有什么要帮忙" in log.records[1].bot_text
    assert log.outcome == "completed", [r.summary() for r in log.records]
    assert session.findings.result() == {"answered": True, "outcome": "fine", "note": ""}


def test_who_is_it_then_silence_ends_kindly_without_a_callback_offer(
    loop: asyncio.AbstractEventLoop, services: VoiceServices, tmp_path: Path
) -> None:
    hello = spoken("喂，你好，请问是哪位啊？", tmp_path / "hello.wav")
    session, log = place(loop, services, [hello, "silence:30"])
    # "请问是哪位？" is told again who is calling and why, not offered a menu.
    who = log.records[1]
    assert "我是社区的邻里通" in who.bot_text and "身体还好吗" in who.bot_text, who.summary()
    silences = [record for record in log.records if record.intent == "silence"]
    assert silences, [record.summary() for record in log.records]
    assert silences[-1].bot_text == prompts.SILENCE_GOODBYE
    assert not any("回电话" in record.bot_text for record in silences)
    assert log.outcome == "silence"
    assert session.findings.result() == {"answered": True, "outcome": "unclear", "note": ""}
