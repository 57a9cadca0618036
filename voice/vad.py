"""Endpointing with WebRTC's voice-activity detector (a GMM speech model, not a level gate)."""

from collections import deque
from enum import Enum

import webrtcvad

from voice.audio import FRAME_MS, SAMPLE_RATE


class VadEvent(Enum):
    speech_started = "speech_started"
    speech_ended = "speech_ended"


class Endpointer:
    """Turns per-frame speech/non-speech decisions into the start and end of an utterance.

    Speech starts when most of the last `start_ms` is voiced (one voiced frame is often a
    click or a breath) and ends after `end_ms` of mostly unvoiced frames.
    """

    def __init__(self, aggressiveness: int, start_ms: int, end_ms: int) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._start_window: deque[bool] = deque(maxlen=max(1, start_ms // FRAME_MS))
        self._end_window: deque[bool] = deque(maxlen=max(1, end_ms // FRAME_MS))
        self.in_speech = False
        self.trailing_silence_ms = 0  # unvoiced audio since the last voiced frame

    def process(self, frame: bytes) -> tuple[bool, VadEvent | None]:
        """One 20 ms frame: whether it is voiced, and whether an utterance started or ended."""
        voiced = self._vad.is_speech(frame, SAMPLE_RATE)
        self.trailing_silence_ms = 0 if voiced else self.trailing_silence_ms + FRAME_MS
        if not self.in_speech:
            self._start_window.append(voiced)
            window = self._start_window
            if len(window) == window.maxlen and sum(window) >= 0.8 * len(window):
                self.in_speech = True
                self._end_window.clear()
                return voiced, VadEvent.speech_started
            return voiced, None
        self._end_window.append(voiced)
        window = self._end_window
        if len(window) == window.maxlen and sum(window) <= 0.1 * len(window):
            self.in_speech = False
            self._start_window.clear()
            return voiced, VadEvent.speech_ended
        return voiced, None

    def reset(self) -> None:
        self.in_speech = False
        self.trailing_silence_ms = 0
        self._start_window.clear()
        self._end_window.clear()
