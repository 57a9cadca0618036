"""One resident's messages, spread over two Rasa replicas at once, are taken one at a time and
kept in the order they came: the lock store issues tickets atomically (bot/lock_store.py).

Message n+1 of a resident is sent once message n drew its ticket (the conversation's counter in
Redis moved), and usually while message n is still being answered on the other replica: the
order a resident typed in is then the order the lock store saw, whatever the network does."""

import threading
import time
import uuid
from urllib.parse import quote

import httpx

from testsupport.scaled import ScaledStack

SENDERS = 6
MESSAGES = 10
TEXTS = ["你好", "低保是什么", "谢谢你", "高龄津贴怎么领", "再说一遍", "助餐多少钱一顿"]


def test_every_tracker_holds_exactly_the_messages_sent_in_order(scaled: ScaledStack) -> None:
    senders = [f"rest:order-{uuid.uuid4().hex[:8]}" for _ in range(SENDERS)]
    sent = {
        sender: [f"{TEXTS[n % len(TEXTS)]}（第{n + 1}条）" for n in range(MESSAGES)]
        for sender in senders
    }
    silent: list[str] = []

    def post(replica: str, sender: str, text: str) -> None:
        replies = httpx.post(
            f"{replica}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers=scaled.front_headers(),
            timeout=120,
        ).json()
        if not any(str(reply.get("text") or "").strip() for reply in replies):
            silent.append(text)

    # The fault tests before this one (same stack) log LockErrors of their own: only what the
    # replicas log from here on counts.
    replicas = ("rasa-1", "rasa-2")
    logged_before = {replica: len(scaled.logs(replica, tail=None)) for replica in replicas}

    def draws(sender: str) -> int:
        return int(scaled.redis("GET", f"linli:lock:{sender}:next") or 0)

    threads = []
    for number in range(MESSAGES):
        for sender in senders:
            # Each replica gets every other message of each resident.
            replica = scaled.replica_urls[number % 2]
            thread = threading.Thread(target=post, args=(replica, sender, sent[sender][number]))
            thread.start()
            threads.append(thread)
        deadline = time.monotonic() + 60
        for sender in senders:
            while draws(sender) < number + 1:
                assert time.monotonic() < deadline, f"{sender}: message {number + 1} unseen"
                time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)

    assert silent == []
    with httpx.Client(timeout=30) as client:
        for sender in senders:
            # Rasa's router does not unquote path parameters: ':' must go as it is.
            tracker = client.get(
                f"{scaled.rasa_url}/conversations/{quote(sender, safe=':')}/tracker",
                params={"token": scaled.rasa_token},
            ).json()
            said = [event["text"] for event in tracker["events"] if event["event"] == "user"]
            assert said == sent[sender]
    for replica, offset in logged_before.items():
        assert "LockError" not in scaled.logs(replica, tail=None)[offset:]
