"""edge-tts: Microsoft Edge's online neural voices, MP3 decoded to PCM as it streams in."""

from collections.abc import AsyncGenerator

import aiohttp
import av
import edge_tts
import edge_tts.communicate
from edge_tts.constants import TRUSTED_CLIENT_TOKEN

from voice.audio import PcmResampler
from voice.tts.base import SpeechSynthesizer, SynthesisError


def use_endpoint(endpoint: str) -> None:
    """Talk to another websocket endpoint speaking the same protocol (a local stand-in in
    tests). edge-tts reads this module global on every request, for the whole process."""
    edge_tts.communicate.WSS_URL = f"{endpoint}?TrustedClientToken={TRUSTED_CLIENT_TOKEN}"  # type: ignore[attr-defined]


class EdgeSynthesizer(SpeechSynthesizer):
    name = "edge"

    def __init__(
        self, voice: str, rate: str, connect_timeout_s: float, endpoint: str | None
    ) -> None:
        self._voice = voice
        self._rate = rate
        self._connect_timeout = max(1, round(connect_timeout_s))
        if endpoint:
            use_endpoint(endpoint)

    async def synthesize(self, text: str) -> AsyncGenerator[bytes, None]:
        communicate = edge_tts.Communicate(
            text,
            self._voice,
            rate=self._rate,
            connect_timeout=self._connect_timeout,
            receive_timeout=10,
        )
        decoder = av.AudioCodecContext.create("mp3", "r")
        resampler = PcmResampler()
        try:
            async for chunk in communicate.stream():
                if chunk["type"] == "audio":
                    pcm = _decode(decoder, resampler, chunk["data"])
                    if pcm:
                        yield pcm
            yield _decode(decoder, resampler, b"") + resampler.frame(None)
        except (
            edge_tts.exceptions.EdgeTTSException,
            aiohttp.ClientError,
            OSError,
            TimeoutError,
            av.FFmpegError,
        ) as error:
            raise SynthesisError(f"edge-tts: {error!r}") from error


def _decode(decoder: av.AudioCodecContext, resampler: PcmResampler, mp3: bytes) -> bytes:
    """Whole MP3 frames in `mp3` (the parser keeps partial ones for the next chunk) as PCM;
    empty `mp3` flushes."""
    pcm = bytearray()
    for packet in decoder.parse(mp3 or None):
        try:
            for frame in decoder.decode(packet):
                pcm += resampler.frame(frame)
        except av.InvalidDataError:
            continue  # a damaged frame is a few ms of silence, not a failed reply
    return bytes(pcm)
