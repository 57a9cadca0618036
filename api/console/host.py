"""The livestream host's batch: every viewer question answered by the same Rasa core as chat
and voice (one conversation per question), repeats grouped, and a text to read out."""

import logging

import httpx

from common.livestream import QuestionGroup, ViewerQuestion, answer_each
from common.rasa_client import RasaClient

log = logging.getLogger(__name__)


class AssistantUnavailable(Exception):
    """Rasa could not be reached or answered with an error."""


async def answer_batch(
    rasa_url: str,
    timeout_s: float,
    session_id: str,
    questions: list[ViewerQuestion],
    *,
    front_key: str,
) -> tuple[list[str], list[bool]]:
    """One answer per question, in order, and whether the assistant understood it; each
    question is its own conversation (sender host-<session>-<n>, which Rasa keeps in the host
    console's namespace: host:host-<session>-<n>). `front_key` is the host console's REST
    channel key (LINLI_API_RASA_KEY)."""
    try:
        async with httpx.AsyncClient() as http:
            rasa = RasaClient(rasa_url, front_key=front_key, timeout_s=timeout_s, http=http)
            return await answer_each(rasa, f"host-{session_id}", questions)
    except (httpx.HTTPError, ValueError) as error:
        log.warning("host console: Rasa at %s failed: %r", rasa_url, error)
        raise AssistantUnavailable(str(error)) from error


def sender_id(session_id: str, number: int) -> str:
    """The conversation `answer_batch` asked question `number` (from 1) in."""
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
