"""faster-whisper's model, driven through CTranslate2 directly: not streaming, so each utterance
is decoded once it ends (and speculatively a little earlier, while the end silence is still
being confirmed).

Two things `WhisperModel.transcribe()` cannot do, and a hotline needs:
- encode a window shorter than 30 s (transcribe pads every utterance to 3,000 frames; the
  encoder's cost grows with the window, so a 12 s window costs about a third of a 30 s one);
- decode the utterances of concurrent callers in one batch instead of one after another.
"""

import asyncio
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.tokenizer import Tokenizer

from common.personal_numbers import SPOKEN_DIGITS
from voice.audio import pcm_to_float
from voice.settings import VoiceSettings
from voice.stt.base import CallRecognizer, SpeechRecognizer

FRAMES_PER_S = 100  # Whisper's log-mel features: one frame per 10 ms
FULL_WINDOW_FRAMES = 3000
# Chinese speech runs up to about 8 characters a second and a character is one to three
# tokens: a longer answer is the decoder repeating itself, so it is cut off.
TOKENS_PER_S = 20
MIN_TOKENS = 24
# Greedy decoding sometimes falls into a loop at the end of a long utterance ("哟哟哟哟…",
# "临时救助, 临时救助, …" until the token limit); a caller says a word two or three times, not
# four. Such a run is cut back to two; digits are left alone (a phone number has 0000 in it).
_LOOP = re.compile(r"(.{1,8}?)\1{3,}")
_DIGITS = frozenset(f"0123456789{SPOKEN_DIGITS} ,，")


@dataclass(frozen=True)
class Decoded:
    text: str
    busy_s: float  # this utterance's share of its batch's decoding time


class WhisperCallRecognizer(CallRecognizer):
    def __init__(self, engine: "WhisperRecognizer", executor: ThreadPoolExecutor) -> None:
        super().__init__(executor)
        self._engine = engine
        self._audio = bytearray()
        # A decode started early, and how much audio it covered: still good if nothing came
        # after it but silence.
        self._speculative: asyncio.Future[Decoded] | None = None
        self._speculative_bytes = 0

    def accept(self, pcm: bytes, voiced: bool = True) -> None:
        if voiced:
            self._drop_speculative()  # the caller went on speaking: that guess is stale
        self._audio += pcm
        self.stats.audio_s += len(pcm) / 32_000

    def end_may_be_near(self) -> None:
        if self._speculative is not None and self._speculative_bytes == len(self._audio):
            return
        self._drop_speculative()
        self._speculative_bytes = len(self._audio)
        self._speculative = asyncio.wrap_future(self._engine.submit(bytes(self._audio)))

    async def finish(self) -> str:
        loop = asyncio.get_running_loop()
        started = loop.time()
        speculative, covered = self._speculative, self._speculative_bytes
        audio = bytes(self._audio)
        self._speculative = None
        self.cancel()
        # The end silence may have grown the audio a little: only silence came after the
        # speculative decode started, so its transcript stands.
        if speculative is not None and covered > 0:
            decoded = await speculative
        else:
            decoded = await asyncio.wrap_future(self._engine.submit(audio))
        self.stats.busy_s += decoded.busy_s
        self.stats.last_final_ms = (loop.time() - started) * 1000
        return decoded.text

    def cancel(self) -> None:
        self._audio.clear()
        self._drop_speculative()

    def _drop_speculative(self) -> None:
        if self._speculative is not None:
            self._speculative.cancel()  # not decoded yet: it leaves the queue
        self._speculative = None
        self._speculative_bytes = 0


class DecodeQueue:
    """One worker thread decodes whatever is waiting when it comes free, as one batch (up to
    `max_batch`): a lone caller waits for nothing, and concurrent callers share the encoder's
    work instead of queueing behind each other. Not tied to an event loop: callers wait on
    `concurrent.futures.Future`s (wrapped for asyncio)."""

    def __init__(self, engine: "WhisperRecognizer", max_batch: int) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._waiting: list[tuple[bytes, Future[Decoded]]] = []
        self._draining = False
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="whisper")

    def submit(self, pcm: bytes) -> "Future[Decoded]":
        future: Future[Decoded] = Future()
        with self._lock:
            self._waiting.append((pcm, future))
            if self._draining:
                return future
            self._draining = True
        self._worker.submit(self._drain)
        return future

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._draining = False
                    return
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
            # A cancelled future (a stale speculative decode) is skipped.
            batch = [(pcm, f) for pcm, f in batch if f.set_running_or_notify_cancel()]
            if not batch:
                continue
            started = time.perf_counter()
            try:
                texts = self._engine.decode_batch([pcm for pcm, _ in batch])
            except Exception as error:  # handed to every caller who waits on it
                for _, future in batch:
                    future.set_exception(error)
                continue
            share = (time.perf_counter() - started) / len(batch)
            for (_, future), text in zip(batch, texts, strict=True):
                future.set_result(Decoded(text, share))


class WhisperRecognizer(SpeechRecognizer):
    name = "whisper"

    def __init__(self, settings: VoiceSettings) -> None:
        path = settings.whisper_model_path
        if not (path / "model.bin").exists():
            raise FileNotFoundError(
                f"No Whisper model at {path}: run `make setup` "
                "(or set LINLI_VOICE_WHISPER_MODEL_PATH)"
            )
        self._model = WhisperModel(
            str(path),
            device="cpu",
            compute_type=settings.whisper_compute_type,
            cpu_threads=settings.whisper_threads,
        )
        self._tokenizer = Tokenizer(
            self._model.hf_tokenizer, multilingual=True, task="transcribe", language="zh"
        )
        self._prompt = settings.whisper_prompt
        # The domain words as "previous text", then the start of a Mandarin transcript without
        # timestamps: what transcribe() builds from `initial_prompt`.
        self._prompt_tokens = self._model.get_prompt(
            self._tokenizer,
            self._tokenizer.encode(" " + self._prompt.strip()) if self._prompt else [],
            without_timestamps=True,
        )
        self._window_frames = round(settings.whisper_window_s * FRAMES_PER_S)
        self._queue = DecodeQueue(self, settings.whisper_max_batch)
        # Vosk-style per-call executors are unused: Whisper's work goes through the queue.
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="whisper-call")

    def submit(self, pcm: bytes) -> "Future[Decoded]":
        return self._queue.submit(pcm)

    def decode(self, pcm: bytes) -> str:
        return self.submit(pcm).result().text

    def decode_batch(self, utterances: list[bytes]) -> list[str]:
        """Encodes the utterances in one window long enough for the longest (at least
        `whisper_window_s`: shorter windows derail the decoder), then decodes them greedily."""
        features = [
            self._model.feature_extractor(pcm_to_float(pcm))[..., :-1] for pcm in utterances
        ]
        longest = max(feature.shape[-1] for feature in features)
        window = min(FULL_WINDOW_FRAMES, max(self._window_frames, longest))
        batch = np.stack([pad_or_trim(feature, window) for feature in features])
        encoded = self._model.encode(batch)
        max_tokens = max(MIN_TOKENS, TOKENS_PER_S * longest // FRAMES_PER_S)
        results = self._model.model.generate(
            encoded,
            [self._prompt_tokens] * len(utterances),
            beam_size=1,
            max_length=min(self._model.max_length, len(self._prompt_tokens) + max_tokens),
            suppress_blank=True,
            suppress_tokens=[-1],
            no_repeat_ngram_size=0,
        )
        return [self._text(result.sequences_ids[0]) for result in results]

    def _text(self, tokens: list[int]) -> str:
        # A character cut between byte-level tokens decodes to U+FFFD: not speech.
        text = (
            self._tokenizer.decode([token for token in tokens if token < self._tokenizer.eot])
            .replace("\ufffd", "")
            .strip()
        )
        # On noise Whisper tends to repeat its prompt back: that is no transcript.
        # (A short phrase inside the prompt, like 转人工, is a real answer.)
        echoed = len(text) >= 8 and text.strip("。，") in self._prompt
        return "" if echoed else without_loops(text)

    def new_recognizer(self) -> CallRecognizer:
        return WhisperCallRecognizer(self, self._executor)


def without_loops(text: str) -> str:
    """`text` with each run of four or more repeats of a short stretch cut back to two."""

    def cut(loop: re.Match[str]) -> str:
        return loop.group() if set(loop.group(1)) <= _DIGITS else loop.group(1) * 2

    return _LOOP.sub(cut, text).strip(" ,，")
