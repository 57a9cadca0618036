"""Never silent: every message gets a non-empty text reply, as a first message and inside each
form, whatever it says (issue "a resident is never met with silence")."""

import asyncio
import random
import re
import time
import uuid
from collections.abc import Sequence

import httpx
import pytest
import yaml

from testsupport.servers import PROJECT_ROOT, Stack

pytestmark = pytest.mark.e2e

NLU_TESTS = PROJECT_ROOT / "tests" / "nlu"
RANDOM_STRINGS = 500
IN_FORM_SAMPLE = 300
SEED = 20261202
# Ways into each form, and the question the form asks next (so the message lands inside it).
FORM_ENTRIES = {
    "booking": ("我想订明天中午的午饭", "地址"),
    "aid": ("我要申请低保", "名字"),
    "eligibility": ("我这种情况能申请什么补助吗", "年纪"),
}
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")


def evaluation_lines() -> list[str]:
    lines = []
    for path in sorted((NLU_TESTS / "heldout").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for example in block.get("examples", "").splitlines():
                if example.strip().startswith("- "):
                    lines.append(_ANNOTATION.sub(r"\1", example.strip()[2:]))
    for path in sorted((NLU_TESTS / "independent").glob("*.tsv")):
        for row in path.read_text(encoding="utf-8").splitlines():
            if row.count("\t") == 4:
                lines.append(row.split("\t")[4])
    return lines


def random_strings(rng: random.Random, count: int) -> list[str]:
    """Chinese, emoji, mixed scripts, control characters and long runs, up to 10,000 chars."""
    alphabets = [
        [chr(c) for c in range(0x4E00, 0x9FA5)],  # CJK
        [chr(c) for c in range(0x1F300, 0x1F64F)],  # emoji
        list("abcXYZ0123456789 ,.?!，。？！、：；“”（）【】《》\n\t"),
        [chr(c) for c in range(0x0400, 0x04FF)] + [chr(c) for c in range(0x0600, 0x06FF)],
        ["\u200b", "\u3000", "\ufeff", "\x00", "\x1b", "🏳️‍🌈", "👨‍👩‍👧"],
    ]
    strings = []
    for n in range(count):
        length = rng.choice([1, 2, 5, 20, 80, 300]) if n % 25 else rng.randint(1_000, 10_000)
        mix = rng.sample(alphabets, rng.randint(1, len(alphabets)))
        pool = [char for alphabet in mix for char in alphabet]
        strings.append("".join(rng.choice(pool) for _ in range(length)))
    return strings


class Resident:
    def __init__(self, client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
        self.client, self.url, self.headers = client, url, headers
        self.sender = f"silence-{uuid.uuid4().hex[:12]}"

    async def say(self, text: str) -> str:
        response = await self.client.post(
            self.url, json={"sender": self.sender, "message": text}, headers=self.headers,
            timeout=60,
        )  # fmt: skip
        response.raise_for_status()
        return "\n".join(str(m.get("text") or "") for m in response.json()).strip()


async def _all_answered(
    stack: Stack, messages: Sequence[str], entry: tuple[str, str] | None
) -> list[str]:
    """The messages that got no text (each from a new resident, after `entry` if given)."""
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    silent: list[str] = []
    limit = asyncio.Semaphore(4)
    async with httpx.AsyncClient() as client:

        async def one(text: str) -> None:
            async with limit:
                resident = Resident(client, url, stack.front_headers())
                if entry is not None:
                    opening, asked = entry
                    assert asked in await resident.say(opening)
                if not await resident.say(text):
                    silent.append(text[:80])

        await asyncio.gather(*(one(text) for text in messages))
    return silent


@pytest.fixture(scope="module")
def messages() -> list[str]:
    lines = evaluation_lines()
    assert len(lines) > 400, "the held-out and independent sets are missing"
    return lines + random_strings(random.Random(SEED), RANDOM_STRINGS)


def test_every_first_message_gets_a_text_reply(stack: Stack, messages: list[str]) -> None:
    assert asyncio.run(_all_answered(stack, messages, None)) == []


@pytest.mark.parametrize("form", sorted(FORM_ENTRIES))
def test_every_message_inside_a_form_gets_a_text_reply(
    stack: Stack, messages: list[str], form: str
) -> None:
    sample = random.Random(SEED).sample(messages, IN_FORM_SAMPLE)
    assert asyncio.run(_all_answered(stack, sample, FORM_ENTRIES[form])) == []


def test_a_100_kb_message_is_answered_at_once(stack: Stack) -> None:
    text = "我想问一下低保的事情，" * 10_000  # about 100 KB of UTF-8
    assert len(text.encode()) > 100_000
    started = time.perf_counter()
    response = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": f"long-{uuid.uuid4().hex[:8]}", "message": text},
        headers=stack.front_headers(),
        timeout=30,
    )
    elapsed = time.perf_counter() - started
    replies = [str(m.get("text") or "") for m in response.json()]
    assert "太长" in replies[0] and any(replies[1:]), replies
    assert elapsed < 1.0, f"{elapsed:.2f} s"


def test_an_empty_or_odd_body_still_gets_an_answer(stack: Stack) -> None:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    for body in ({"sender": "odd-1", "message": ""}, {"sender": "odd-2"}, {"message": 42}):
        response = httpx.post(url, json=body, headers=stack.front_headers(), timeout=30)
        assert response.status_code == 200, body
        assert any(str(m.get("text") or "").strip() for m in response.json()), body
