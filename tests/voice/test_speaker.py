"""The speaker's memory of clauses synthesised during calls: callers asking the same thing at
the same moment share one synthesis, a clause said before comes back at once, and only whole
clauses are kept. A stand-in engine counts what it is asked for (no speech models)."""

import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path

from voice.tts.base import SpeechSynthesizer
from voice.tts.cache import PromptCache
from voice.tts.speaker import Speaker, SpeechLog

ANSWER = "低保要到街道办申请，带上身份证和户口本。"


class CountingEngine(SpeechSynthesizer):
    """Each clause as two chunks, the second only once `release` is set."""

    name = "counting"

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.release = asyncio.Event()

    async def synthesize(self, text: str) -> AsyncGenerator[bytes, None]:
        self.asked.append(text)
        yield text.encode()
        await self.release.wait()
        yield b"."


def speaker(tmp_path: Path, engine: CountingEngine, recent: int = 16) -> Speaker:
    return Speaker([engine], PromptCache(tmp_path), 1.0, 1.0, recent_clauses=recent)


async def said(speaker: Speaker, text: str) -> tuple[bytes, list[str]]:
    log = SpeechLog()
    pcm = b"".join([chunk async for chunk in speaker.speak(text, log)])
    return pcm, log.sources


def test_callers_asking_at_once_share_one_synthesis_and_later_ones_get_it_at_once(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        engine = CountingEngine()
        voice = speaker(tmp_path, engine)
        callers = [asyncio.create_task(said(voice, ANSWER)) for _ in range(3)]
        await asyncio.sleep(0)
        engine.release.set()
        replies = await asyncio.gather(*callers)
        assert len(engine.asked) == 2  # the two clauses, once each
        assert len({pcm for pcm, _ in replies}) == 1
        assert sorted(sources for _, sources in replies)[0] == ["counting", "counting"]
        later, sources = await said(voice, ANSWER)
        assert (later, sources) == (replies[0][0], ["recent", "recent"])
        assert len(engine.asked) == 2

    asyncio.run(scenario())


def test_a_clause_cut_off_by_a_hang_up_is_not_kept(tmp_path: Path) -> None:
    async def scenario() -> None:
        engine = CountingEngine()
        voice = speaker(tmp_path, engine)
        reply = voice.speak("请稍等。")
        await anext(reply)  # the first chunk played, then the caller hung up
        await reply.aclose()
        engine.release.set()
        _, sources = await said(voice, "请稍等。")
        assert sources == ["counting"] and len(engine.asked) == 2

    asyncio.run(scenario())


def test_without_memory_every_caller_gets_a_synthesis_of_their_own(tmp_path: Path) -> None:
    async def scenario() -> None:
        engine = CountingEngine()
        engine.release.set()
        voice = speaker(tmp_path, engine, recent=0)
        await said(voice, "请稍等。")
        _, sources = await said(voice, "请稍等。")
        assert sources == ["counting"] and len(engine.asked) == 2

    asyncio.run(scenario())
