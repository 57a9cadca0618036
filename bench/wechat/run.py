"""Message-to-reply time through the WeChat front, on both of WeChat's answer paths:

- passive: the answer comes back in the callback's own HTTP answer (within WeChat's 5 s);
- customer service: the callback answers "success" at once and the reply follows through the
  customer-service API (客服消息), as it does for an answer that misses the window.

Callbacks are posted signed and encrypted (safe mode) or plain, as WeChat posts them, to the
real front in front of the real stack; WeChat's APIs are the local stand-in. For comparison,
the same messages straight to Rasa's REST channel. Residents hold the conversations of the chat
bench (policy questions, bookings to the end, status checks), each message after the last reply.

    make bench-wechat
    python -m bench.wechat.run --residents 1 4 --rounds 6
"""

import argparse
import contextlib
import itertools
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from bench.chat.conversations import BOOKINGS, POLICY_QUESTIONS, STATUS_CHECKS, Turn
from testsupport.servers import Stack, rasa_stack
from testsupport.wechat_channel import RunningChannel, channel_settings
from testsupport.wechat_standin import WechatServer, WechatStandIn, wechat_standin

CONVERSATIONS: list[list[Turn]] = [*POLICY_QUESTIONS, *BOOKINGS, *STATUS_CHECKS]
_ids = itertools.count(int(time.time()))

# (resident number, message) -> seconds to the first reply
Measure = Callable[[int, str, str], float]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def passive(server: WechatServer) -> Measure:
    def measure(_: int, openid: str, text: str) -> float:
        posted = server.post(server.text_xml(openid, text, server.new_msg_id()))
        if posted.status != 200 or not posted.reply:
            raise RuntimeError(f"no passive reply to {text!r}: {posted.raw[:200]}")
        return posted.seconds

    return measure


def customer_service(server: WechatServer, standin: WechatStandIn) -> Measure:
    def measure(_: int, openid: str, text: str) -> float:
        start = len(standin.calls)
        started = time.monotonic()
        posted = server.post(server.text_xml(openid, text, server.new_msg_id()))
        if posted.raw != "success":
            raise RuntimeError(f"expected 'success', got {posted.raw[:200]}")
        calls = standin.wait_for(
            lambda calls: any(
                c.path == "message/custom/send" and c.body.get("touser") == openid
                for c in calls[start:]
            ),
            what=f"the reply to {text!r}",
        )
        first = next(
            c
            for c in calls[start:]
            if c.path == "message/custom/send" and c.body.get("touser") == openid
        )
        return first.at - started

    return measure


def rasa_alone(stack: Stack) -> Measure:
    client = httpx.Client(timeout=30)

    def measure(_: int, openid: str, text: str) -> float:
        started = time.monotonic()
        response = client.post(
            f"{stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": f"bench-{openid}", "message": text},
            headers=stack.front_headers(),
        )
        response.raise_for_status()
        return time.monotonic() - started

    return measure


def run_level(measure: Measure, residents: int, rounds: int) -> list[float]:
    seconds: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def resident(number: int) -> None:
        try:
            for round_index in range(rounds):
                openid = f"o-bench-{next(_ids)}"
                conversation = CONVERSATIONS[
                    (number + round_index * residents) % len(CONVERSATIONS)
                ]
                for turn in conversation:
                    took = measure(number, openid, turn.text)
                    with lock:
                        seconds.append(took)
        except BaseException as error:  # reported after the level
            errors.append(error)

    threads = [threading.Thread(target=resident, args=(n,)) for n in range(residents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return seconds


@contextlib.contextmanager
def channels(
    standin: WechatStandIn, stack: Stack, tmp: Path
) -> Iterator[tuple[RunningChannel, RunningChannel]]:
    within = RunningChannel(channel_settings(standin, stack, tmp / "passive"))
    after = RunningChannel(
        channel_settings(
            standin, stack, tmp / "after", encoding_aes_key=None, passive_window_s=0.01
        )
    )
    within.start()
    after.start()
    try:
        yield within, after
    finally:
        within.stop()
        after.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--rounds", type=int, default=6, help="conversations per resident")
    args = parser.parse_args()
    with contextlib.ExitStack() as running:
        tmp = running.enter_context(tempfile.TemporaryDirectory(prefix="linli-bench-wechat-"))
        (Path(tmp) / "stack").mkdir()
        stack = running.enter_context(rasa_stack(Path(tmp) / "stack"))
        standin = running.enter_context(wechat_standin())
        within, after = running.enter_context(channels(standin, stack, Path(tmp)))
        safe = WechatServer(within.callback_url, safe_mode=True)
        plain = WechatServer(after.callback_url, safe_mode=False)
        paths: dict[str, Measure] = {
            "Rasa REST alone": rasa_alone(stack),
            "passive reply (safe mode)": passive(safe),
            "customer-service API": customer_service(plain, standin),
        }
        # One conversation each first: models and connections warm.
        for measure in paths.values():
            run_level(measure, 1, 1)
        heading = ("path", "residents", "messages", "p50 ms", "p95 ms", "max ms")
        print(
            f"{heading[0]:28} {heading[1]:>9} {heading[2]:>8} "
            + " ".join(f"{h:>7}" for h in heading[3:])
        )
        for residents in args.residents:
            for name, measure in paths.items():
                seconds = run_level(measure, residents, args.rounds)
                print(
                    f"{name:28} {residents:>9} {len(seconds):>8} "
                    f"{statistics.median(seconds) * 1000:>7.0f} "
                    f"{percentile(seconds, 0.95) * 1000:>7.0f} {max(seconds) * 1000:>7.0f}",
                    flush=True,
                )
        safe.close()
        plain.close()


if __name__ == "__main__":
    main()
