"""G.711 μ-law (ITU-T G.711, the North American / Japanese telephone codec) to and from 16-bit
linear PCM, vectorised with numpy: `audioop` is deprecated and leaves Python in 3.13."""

import numpy as np
import numpy.typing as npt

_BIAS = 0x84
_CLIP14 = 8159  # the 14-bit magnitude limit
_BIAS14 = 0x21


def _decode_table() -> npt.NDArray[np.int16]:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


_DECODE = _decode_table()


def ulaw_to_pcm(data: bytes) -> bytes:
    """μ-law bytes to 16-bit little-endian PCM (two bytes out per byte in)."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)].astype("<i2").tobytes()


def pcm_to_ulaw(pcm: bytes) -> bytes:
    """16-bit little-endian PCM to μ-law (the reference encoder's 14-bit rounding); a trailing
    odd byte is dropped."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.int32) >> 2
    sign = np.where(samples < 0, 0x00, 0x80)  # stored inverted, as the codes are
    magnitude = np.minimum(np.abs(samples), _CLIP14) + _BIAS14
    # The segment is the position of the highest set bit above bit 5.
    exponent = np.clip(np.floor(np.log2(magnitude)).astype(np.int32) - 5, 0, 7)
    mantissa = np.where(magnitude > 0x1FFF, 0x0F, (magnitude >> (exponent + 1)) & 0x0F)
    codes = (sign | ((7 - exponent) << 4) | (0x0F - mantissa)) & 0xFF
    return bytes(codes.astype(np.uint8).tobytes())
