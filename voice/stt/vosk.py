"""Vosk (Kaldi) streaming recognition: audio is decoded as it arrives, so the final result is
ready tens of milliseconds after the caller stops."""

import asyncio
import json
import re
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import vosk

from voice.audio import SAMPLE_RATE
from voice.stt.base import CallRecognizer, SpeechRecognizer

# Decode in 100 ms batches: per-call overhead of smaller batches costs more than it saves.
_BATCH_BYTES = SAMPLE_RATE // 10 * 2
_SPACE_BETWEEN_HAN = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


def join_words(text: str) -> str:
    """Vosk's Mandarin models put spaces between words; Chinese is written without them."""
    return _SPACE_BETWEEN_HAN.sub("", text.strip())


class VoskCallRecognizer(CallRecognizer):
    def __init__(
        self, model: vosk.Model, executor: ThreadPoolExecutor, grammar: list[str] | None = None
    ) -> None:
        super().__init__(executor)
        self._recognizer = (
            vosk.KaldiRecognizer(model, SAMPLE_RATE, json.dumps(grammar, ensure_ascii=False))
            if grammar
            else vosk.KaldiRecognizer(model, SAMPLE_RATE)
        )
        self._pending = bytearray()
        # Calls into one KaldiRecognizer must not overlap: it is not thread-safe.
        self._serial = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._final_so_far: list[str] = []  # Vosk's own endpoints inside one of our utterances

    def accept(self, pcm: bytes, voiced: bool = True) -> None:
        self._pending += pcm
        self.stats.audio_s += len(pcm) / (SAMPLE_RATE * 2)
        if len(self._pending) >= _BATCH_BYTES and not self._serial.locked():
            self._spawn(self._drain())

    def _spawn(self, work: Coroutine[None, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # keep a reference until done, or the task may be collected
        task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        async with self._serial:
            await self._drain_pending()

    async def _drain_pending(self) -> None:
        while self._pending:
            batch = bytes(self._pending)
            self._pending.clear()
            await self._run(partial(self._decode, batch))

    def _decode(self, batch: bytes) -> None:
        if self._recognizer.AcceptWaveform(batch):
            self._final_so_far.append(json.loads(self._recognizer.Result()).get("text", ""))
            self.partial_text = ""
        else:
            self.partial_text = json.loads(self._recognizer.PartialResult()).get("partial", "")

    async def finish(self) -> str:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with self._serial:
            await self._drain_pending()
            last = await self._run(self._final_result)
        text = join_words(" ".join([*self._final_so_far, last]))
        self._final_so_far.clear()
        self.partial_text = ""
        self.stats.last_final_ms = (loop.time() - started) * 1000
        return text

    def _final_result(self) -> str:
        return str(json.loads(self._recognizer.FinalResult()).get("text", ""))

    def cancel(self) -> None:
        self._pending.clear()
        self._final_so_far.clear()
        self.partial_text = ""
        self._spawn(self._reset())

    async def _reset(self) -> None:
        async with self._serial:
            await self._run(self._recognizer.Reset)  # the next utterance starts clean


class VoskRecognizer(SpeechRecognizer):
    name = "vosk"

    def __init__(self, model_path: Path, threads: int, grammar: list[str] | None = None) -> None:
        if not (model_path / "am").is_dir() and not (model_path / "final.mdl").exists():
            raise FileNotFoundError(
                f"No Vosk model at {model_path}: run `make setup` online, or unzip "
                "vosk-model-small-cn-0.22 there (see README, Voice), or set "
                "LINLI_VOICE_VOSK_MODEL_PATH"
            )
        vosk.SetLogLevel(-1)
        self._model = vosk.Model(str(model_path))
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="vosk")
        # A phrase list (with "[unk]" for anything else) replaces the model's language model:
        # far less search per frame, for hotlines that only take a few words.
        self._grammar = grammar or None

    def new_recognizer(self) -> CallRecognizer:
        return VoskCallRecognizer(self._model, self._executor, self._grammar)
