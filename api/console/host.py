"""The livestream host's batch: every viewer question answered by the same Rasa core as chat
and voice (one conversation per question), repeats grouped, and a text to read out."""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from bot.livestream import QuestionGroup, ViewerQuestion

log = logging.getLogger(__name__)

# The assistant did not understand: its reply is a request to rephrase, not an answer.
NOT_UNDERSTOOD_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
# Rasa answers one message per conversation at a time; a few at once keeps a batch quick
# without crowding out residents' conversations.
CONCURRENT_QUESTIONS = 4


class AssistantUnavailable(Exception):
    """Rasa could not be reached or answered with an error."""


@dataclass(frozen=True)
class Answer:
    text: str
    understood: bool


async def _ask(http: httpx.AsyncClient, sender: str, question: str) -> Answer:
    response = await http.post(
        "/webhooks/rest/webhook",
        json={"sender": sender, "message": question, "metadata": {"channel": "livestream"}},
    )
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json()
    text = "\n".join(str(m["text"]) for m in messages if m.get("text"))
    tracker = await http.get(f"/conversations/{sender}/tracker", params={"include_events": "NONE"})
    tracker.raise_for_status()
    intent = ((tracker.json().get("latest_message") or {}).get("intent") or {}).get("name")
    return Answer(text=text, understood=bool(text) and intent not in NOT_UNDERSTOOD_INTENTS)


async def answer_batch(
    rasa_url: str, timeout_s: float, session_id: str, questions: list[ViewerQuestion]
) -> list[Answer]:
    """One answer per question, in order; each question is its own conversation
    (sender host-<session>-<n>), so one viewer's words do not steer another's answer."""
    limit = asyncio.Semaphore(CONCURRENT_QUESTIONS)

    async def ask(http: httpx.AsyncClient, number: int, question: ViewerQuestion) -> Answer:
        async with limit:
            return await _ask(http, sender_id(session_id, number), question.text)

    try:
        async with httpx.AsyncClient(base_url=rasa_url.rstrip("/"), timeout=timeout_s) as http:
            return list(
                await asyncio.gather(*(ask(http, n, q) for n, q in enumerate(questions, start=1)))
            )
    except (httpx.HTTPError, ValueError) as error:
        log.warning("host console: Rasa at %s failed: %r", rasa_url, error)
        raise AssistantUnavailable(str(error)) from error


def sender_id(session_id: str, number: int) -> str:
    return f"host-{session_id}-{number}"


def read_out_text(title: str, groups: list[QuestionGroup]) -> str:
    """Short plain text the host reads out: each answer once, after who asked it."""
    lines = [f"{title or '直播答疑'}：本场共{sum(len(g.questions) for g in groups)}个提问"]
    for number, group in enumerate(groups, start=1):
        askers = [q.viewer for q in group.questions if q.viewer]
        count = len(group.questions)
        who = "、".join(dict.fromkeys(askers)) if askers else "观众"
        if count > 1 and len(askers) < count:
            who = f"{who}等{count}位观众" if askers else f"{count}位观众"
        lines.append("")
        lines.append(f"{number}. {who}问：{group.questions[0].text}")
        if group.understood:
            lines.append(f"答：{group.answer}")
        else:
            lines.append("答：这个问题我们会后由社工一对一回复。")
    return "\n".join(lines)
