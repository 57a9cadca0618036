"""Speech for recorded clips (voice notes of the chat channels): a clip in any container PyAV
reads → corrected text; a reply → PCM, OGG/Opus or MP3. The one interface the channels use of
the speech engines.

Models load once, on the first clip; decoding and encoding run off the event loop."""

import asyncio
import io
import logging

import av
import av.audio

from voice.correction import TranscriptCorrector
from voice.settings import SttEngineName, VoiceSettings
from voice.stt import SpeechRecognizer, get_speech_recognizer
from voice.tts.speaker import Speaker, build_speaker

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000  # what the speech engines take and give: 16-bit mono PCM


def decode_to_pcm(data: bytes, max_seconds: float) -> bytes:
    """Any audio container PyAV reads (Telegram sends OGG/Opus) → 16 kHz mono 16-bit PCM,
    cut at `max_seconds`."""
    resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    limit = int(max_seconds * SAMPLE_RATE) * 2
    pcm = bytearray()
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            for converted in resampler.resample(frame):
                pcm += bytes(converted.planes[0])[: converted.samples * 2]
            if len(pcm) >= limit:
                break
        for converted in resampler.resample(None):
            pcm += bytes(converted.planes[0])[: converted.samples * 2]
    return bytes(pcm[:limit])


def _encode(
    pcm: bytes,
    sample_rate: int,
    *,
    container_format: str,
    codec: str,
    rate: int,
    frame: tuple[str, int],
) -> bytes:
    """16-bit mono PCM → one audio file: resampled to `rate` in frames of the sample format and
    size the codec takes (`frame`), encoded and muxed."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate)
        assert isinstance(stream, av.audio.stream.AudioStream)  # an audio codec's stream
        stream.layout = "mono"
        stream.bit_rate = 32_000
        sample_format, frame_size = frame
        resampler = av.audio.resampler.AudioResampler(
            format=sample_format, layout="mono", rate=rate, frame_size=frame_size
        )
        source = av.AudioFrame(format="s16", layout="mono", samples=len(pcm) // 2)
        source.sample_rate = sample_rate
        source.planes[0].update(pcm[: (len(pcm) // 2) * 2])
        for resampled in [*resampler.resample(source), *resampler.resample(None)]:
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def encode_ogg_opus(pcm: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono PCM → OGG/Opus, the only format Telegram shows as a voice message. Opus
    takes fixed 20 ms frames at 48 kHz."""
    return _encode(
        pcm, sample_rate, container_format="ogg", codec="libopus", rate=48_000, frame=("s16", 960)
    )


def encode_mp3(pcm: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono PCM → MP3 (WeChat takes voice messages as MP3 or AMR): LAME's planar
    frames of 1,152 samples."""
    return _encode(
        pcm,
        sample_rate,
        container_format="mp3",
        codec="libmp3lame",
        rate=sample_rate,
        frame=("s16p", 1152),
    )


class VoiceClips:
    """Speech in and out for a whole channel process, built on the first clip. Engines, models
    and the prompt cache come from the voice settings (`LINLI_VOICE_*`)."""

    def __init__(self, engine: SttEngineName, voice_settings: VoiceSettings | None = None) -> None:
        self._voice_settings = voice_settings or VoiceSettings()
        self._engine: SttEngineName = engine
        self._recognizer: SpeechRecognizer | None = None
        self._corrector: TranscriptCorrector | None = None
        self._speaker: Speaker | None = None
        self._loading = asyncio.Lock()

    async def _load(self) -> tuple[SpeechRecognizer, TranscriptCorrector]:
        async with self._loading:
            if self._recognizer is None or self._corrector is None:
                log.info("loading the %s speech model", self._engine)
                recognizer, corrector = await asyncio.to_thread(
                    lambda: (
                        get_speech_recognizer(self._voice_settings, self._engine),
                        TranscriptCorrector(),
                    )
                )
                self._recognizer, self._corrector = recognizer, corrector
            return self._recognizer, self._corrector

    async def transcribe(self, data: bytes, max_seconds: float) -> tuple[str, bool]:
        """The clip's words, and whether it was cut at `max_seconds`."""
        recognizer, corrector = await self._load()
        pcm = await asyncio.to_thread(decode_to_pcm, data, max_seconds)
        if not pcm:
            return "", False
        cut = len(pcm) >= int(max_seconds * SAMPLE_RATE) * 2
        utterance = recognizer.new_recognizer()
        utterance.accept(pcm)
        text = await utterance.finish()
        return (corrector.correct(text).strip() if text else ""), cut

    def speaker(self) -> Speaker:
        if self._speaker is None:
            # The same speaker as the phone line: engines in order, the prompt cache first.
            self._speaker = build_speaker(self._voice_settings)
        return self._speaker

    async def synthesize_pcm(self, text: str) -> bytes:
        """The reply as 16 kHz PCM; empty when no engine produced audio."""
        return b"".join([chunk async for chunk in self.speaker().speak(text)])

    async def synthesize_ogg_opus(self, text: str) -> bytes | None:
        """The reply as OGG/Opus (Telegram's voice message), or None when there is no audio."""
        pcm = await self.synthesize_pcm(text)
        return await asyncio.to_thread(encode_ogg_opus, pcm) if pcm else None

    async def synthesize_mp3(self, text: str) -> bytes | None:
        """The reply as MP3 (WeChat's voice message), or None when there is no audio."""
        pcm = await self.synthesize_pcm(text)
        return await asyncio.to_thread(encode_mp3, pcm) if pcm else None
