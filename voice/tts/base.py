"""What every speech-synthesis engine offers: one clause of text in, PCM chunks out."""

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator


class SynthesisError(Exception):
    """The engine gave no (or not enough) audio for a clause."""


class SpeechSynthesizer(ABC):
    name: str

    @abstractmethod
    def synthesize(self, text: str) -> AsyncGenerator[bytes, None]:
        """16 kHz mono 16-bit PCM for `text`, in chunks as the engine produces them."""
