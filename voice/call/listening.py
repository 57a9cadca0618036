"""Caller audio → utterances: webrtcvad endpointing on 20 ms frames, the 300 ms before speech
was detected kept (the onset of the first syllable), the recognizer told early that the end may
be near (it starts decoding in the end silence), and an utterance cut at the length cap."""

import time
from collections import deque
from collections.abc import Callable

from voice.audio import FRAME_BYTES, FRAME_MS
from voice.settings import VoiceSettings
from voice.stt.base import CallRecognizer
from voice.vad import Endpointer, VadEvent

PREROLL_FRAMES = 15  # 300 ms before speech is detected


class Listener:
    """Feeds the call's recognizer. Calls `on_speech_started` when the caller starts talking
    (barge-in), `on_utterance(speech_ended_at, endpoint_at)` when an utterance ended (the
    recognizer then holds it: `await recognizer.finish()`), and `on_quiet_frame` for each
    frame outside an utterance (the silence timer)."""

    def __init__(
        self,
        settings: VoiceSettings,
        recognizer: CallRecognizer,
        *,
        on_speech_started: Callable[[], None],
        on_utterance: Callable[[float, float], None],
        on_quiet_frame: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.recognizer = recognizer
        self._on_speech_started = on_speech_started
        self._on_utterance = on_utterance
        self._on_quiet_frame = on_quiet_frame
        self._endpointer = Endpointer(
            settings.vad_aggressiveness, settings.speech_start_ms, settings.speech_end_ms
        )
        self._input = bytearray()
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        self._in_utterance = False
        self._utterance_ms = 0
        self._speculated = False
        self._last_voiced_at = 0.0

    def feed(self, pcm: bytes) -> None:
        """Caller audio, 16 kHz 16-bit mono, any length."""
        self._input += pcm
        while len(self._input) >= FRAME_BYTES:
            frame = bytes(self._input[:FRAME_BYTES])
            del self._input[:FRAME_BYTES]
            self._process(frame)

    def _process(self, frame: bytes) -> None:
        voiced, event = self._endpointer.process(frame)
        if event is VadEvent.speech_started:
            self._on_speech_started()
            self._in_utterance = True
            self._utterance_ms = 0
            self._speculated = False
            for earlier in self._preroll:
                self.recognizer.accept(earlier, voiced=True)
            self._preroll.clear()
        if not self._in_utterance:
            self._preroll.append(frame)
            self._on_quiet_frame()
            return
        self.recognizer.accept(frame, voiced=voiced)
        self._utterance_ms += FRAME_MS
        if voiced:
            self._last_voiced_at = time.monotonic()
            self._speculated = False
        elif (
            not self._speculated
            and self._endpointer.trailing_silence_ms >= self.settings.speculative_decode_ms
        ):
            self._speculated = True
            self.recognizer.end_may_be_near()
        too_long = self._utterance_ms >= self.settings.max_utterance_s * 1000
        if event is VadEvent.speech_ended or too_long:
            if too_long:
                self._endpointer.reset()
            self._in_utterance = False
            self._on_utterance(self._last_voiced_at, time.monotonic())
