"""faster-whisper (Whisper base, int8): not streaming, so each utterance is decoded once it
ends, and speculatively a little earlier, while the end silence is still being confirmed."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from faster_whisper import WhisperModel

from voice.audio import pcm_to_float
from voice.settings import VoiceSettings
from voice.stt.base import CallRecognizer, SpeechRecognizer


class WhisperCallRecognizer(CallRecognizer):
    def __init__(self, engine: "WhisperRecognizer", executor: ThreadPoolExecutor) -> None:
        super().__init__(executor)
        self._engine = engine
        self._audio = bytearray()
        # A decode started early, and how much audio it covered: still good if nothing came
        # after it but silence.
        self._speculative: asyncio.Future[str] | None = None
        self._speculative_bytes = 0

    def accept(self, pcm: bytes, voiced: bool = True) -> None:
        if voiced:
            self._speculative = None  # the caller went on speaking: that guess is stale
            self._speculative_bytes = 0
        self._audio += pcm
        self.stats.audio_s += len(pcm) / 32_000

    def end_may_be_near(self) -> None:
        if self._speculative is not None and self._speculative_bytes == len(self._audio):
            return
        audio = bytes(self._audio)
        self._speculative_bytes = len(audio)
        self._speculative = asyncio.ensure_future(self._run(lambda: self._engine.decode(audio)))

    async def finish(self) -> str:
        loop = asyncio.get_running_loop()
        started = loop.time()
        speculative, covered = self._speculative, self._speculative_bytes
        audio = bytes(self._audio)
        self.cancel()
        # The end silence may have grown the audio a little: only silence came after the
        # speculative decode started, so its transcript stands.
        if speculative is not None and covered > 0:
            text = await speculative
        else:
            text = await self._run(lambda: self._engine.decode(audio))
        self.stats.last_final_ms = (loop.time() - started) * 1000
        return text

    def cancel(self) -> None:
        self._audio.clear()
        self._speculative = None
        self._speculative_bytes = 0


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
            num_workers=settings.whisper_workers,
        )
        self._prompt = settings.whisper_prompt
        self._executor = ThreadPoolExecutor(settings.whisper_workers, thread_name_prefix="whisper")

    def decode(self, pcm: bytes) -> str:
        segments, _info = self._model.transcribe(
            pcm_to_float(pcm),
            language="zh",
            beam_size=1,
            initial_prompt=self._prompt or None,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,  # our own VAD already cut the utterance
        )
        text = "".join(segment.text for segment in segments).strip()
        # On noise Whisper tends to repeat its prompt back: that is no transcript.
        # (A short phrase inside the prompt, like 转人工, is a real answer.)
        echoed = len(text) >= 8 and text.strip("。，") in self._prompt
        return "" if echoed else text

    def new_recognizer(self) -> CallRecognizer:
        return WhisperCallRecognizer(self, self._executor)
