"""The bridge's one audio format (16 kHz, 16-bit, mono PCM in 20 ms frames) and conversions."""

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * 2


def silence(seconds: float) -> bytes:
    return bytes(int(seconds * SAMPLE_RATE) * 2)


def frames(pcm: bytes) -> Iterator[bytes]:
    """`pcm` cut into 20 ms frames, the last one padded with silence."""
    for start in range(0, len(pcm), FRAME_BYTES):
        frame = pcm[start : start + FRAME_BYTES]
        yield frame + bytes(FRAME_BYTES - len(frame))


class PcmResampler:
    """Any decoded audio (PyAV frames or float samples) to the bridge's PCM, streaming."""

    def __init__(self) -> None:
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)

    def frame(self, frame: av.AudioFrame | None) -> bytes:
        return b"".join(
            bytes(out.planes[0])[: out.samples * 2] for out in self._resampler.resample(frame)
        )

    def floats(self, samples: npt.NDArray[np.float32], rate: int) -> bytes:
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1),
            format="flt",
            layout="mono",
        )
        frame.sample_rate = rate
        return self.frame(frame) + self.frame(None)


def read_audio_file(path: Path) -> bytes:
    """Any audio file PyAV (FFmpeg) reads, at any sample rate, as the bridge's PCM."""
    resampler = PcmResampler()
    chunks: list[bytes] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            chunks.append(resampler.frame(frame))
    chunks.append(resampler.frame(None))
    return b"".join(chunks)


def pcm_to_float(pcm: bytes) -> npt.NDArray[np.float32]:
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0


class RateConverter:
    """Streaming 16-bit mono PCM from one sample rate to another (a telephone line's 8 kHz to
    the bridge's 16 kHz and back). Keeps the resampler's state between chunks."""

    def __init__(self, rate_in: int, rate_out: int) -> None:
        self.rate_in, self.rate_out = rate_in, rate_out
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=rate_out)
        self._pts = 0

    def convert(self, pcm: bytes) -> bytes:
        if self.rate_in == self.rate_out:
            return pcm
        samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2")
        if not samples.size:
            return b""
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.rate_in
        frame.pts = self._pts
        self._pts += samples.size
        return b"".join(
            bytes(out.planes[0])[: out.samples * 2] for out in self._resampler.resample(frame)
        )
