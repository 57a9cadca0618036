"""Livestream host mode: a host pastes or forwards viewers' questions, each gets its own
answer, questions answered alike are grouped, and any group can be registered for follow-up."""

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageOrigin
from telegram.ext import Application

from channels.telegram import messages
from channels.telegram.backend_client import BackendClient, NeedReportDraft
from common import livestream
from common.livestream import QuestionGroup, ViewerQuestion
from common.rasa_client import RasaClient

log = logging.getLogger(__name__)

FOLLOW_UP_PREFIX = "f:"
KEPT_BATCHES = 30  # follow-up buttons of older batches answer "expired"


@dataclass
class PendingBatch:
    """Messages from one host gathered until they stop arriving for a moment."""

    questions: list[ViewerQuestion] = field(default_factory=list)
    timer: asyncio.Task[None] | None = None


def viewer_of(origin: MessageOrigin | None) -> str | None:
    """Who wrote a forwarded message, as far as Telegram tells."""
    if origin is None:
        return None
    user = getattr(origin, "sender_user", None)
    if user is not None:
        return str(user.full_name)
    for attribute in ("sender_user_name", "author_signature"):
        if name := getattr(origin, attribute, None):
            return str(name)
    chat = getattr(origin, "sender_chat", None) or getattr(origin, "chat", None)
    return str(chat.title) if chat is not None and chat.title else None


def questions_in(message: Message) -> list[ViewerQuestion]:
    """One message's questions: a paste has one per line; a forward names its viewer."""
    questions = livestream.split_batch(message.text or message.caption or "")
    forwarded_from = viewer_of(message.forward_origin)
    if forwarded_from:
        questions = [
            question if question.viewer else dataclasses.replace(question, viewer=forwarded_from)
            for question in questions
        ]
    return questions


def describe_group(group: QuestionGroup) -> str:
    lines = []
    for question in group.questions:
        who = f"{question.viewer}：" if question.viewer else ""
        lines.append(f"❓ {who}{question.text}")
    answer = group.answer if group.understood else f"{group.answer}\n{messages.HOST_NOT_UNDERSTOOD}"
    return "\n".join(lines) + "\n\n💬 " + answer


def follow_up_drafts(group: dict[str, Any], sender_id: str) -> list[NeedReportDraft]:
    """One need report per viewer in the group, with the viewer's name and phone if given."""
    drafts = []
    for question in group["questions"]:
        details = ["直播观众"]
        if question.get("viewer"):
            details.append(str(question["viewer"]))
        if question.get("contact"):
            details.append(f"电话 {question['contact']}")
        drafts.append(
            NeedReportDraft(
                sender_id=sender_id,
                text=f"{question['text']}\n（助手的回答：{group['answer']}）"[:3900],
                source_detail=" ".join(details)[:200],
            )
        )
    return drafts


class HostBatches:
    def __init__(
        self,
        rasa: Callable[[], RasaClient],
        backend: Callable[[], BackendClient],
        window_s: float,
    ) -> None:
        self._rasa = rasa
        self._backend = backend
        self._window_s = window_s
        self._pending: dict[int, PendingBatch] = {}

    def gather(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int,
        questions: list[ViewerQuestion],
        answer: Callable[[int, list[ViewerQuestion]], Awaitable[None]],
    ) -> None:
        """Add to the chat's pending batch and answer it once nothing new came for a while."""
        pending = self._pending.setdefault(chat_id, PendingBatch())
        pending.questions.extend(questions)
        if pending.timer is not None:
            pending.timer.cancel()

        async def answer_when_quiet() -> None:
            await asyncio.sleep(self._window_s)
            batch = self._pending.pop(chat_id, None)
            if batch is not None:
                await answer(chat_id, batch.questions)

        pending.timer = application.create_task(answer_when_quiet(), name=f"host-batch-{chat_id}")

    async def ask(
        self, chat_id: int, batch_id: str, questions: list[ViewerQuestion]
    ) -> list[QuestionGroup]:
        """Each question in its own Rasa conversation, so answers do not interfere."""
        answers, understood = await livestream.answer_each(
            self._rasa(), f"tg-host-{chat_id}-{batch_id}", questions
        )
        return livestream.group_by_answer(questions, answers, understood)

    async def report(self, group: dict[str, Any], sender_id: str) -> list[str]:
        return await self._backend().report_needs(follow_up_drafts(group, sender_id))


def stored_group(group: QuestionGroup) -> dict[str, Any]:
    """Plain data, so chat persistence can pickle it and a restart keeps the buttons working."""
    return {
        "answer": group.answer,
        "understood": group.understood,
        "questions": [
            {"text": q.text, "viewer": q.viewer, "contact": q.contact} for q in group.questions
        ],
        "reported": None,
    }


def follow_up_keyboard(batch_id: str, index: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    messages.FOLLOW_UP_BUTTON,
                    callback_data=f"{FOLLOW_UP_PREFIX}{batch_id}:{index}",
                )
            ]
        ]
    )


def remember_batch(chat_data: dict[Any, Any], batch_id: str, groups: list[QuestionGroup]) -> None:
    batches: dict[str, list[dict[str, Any]]] = chat_data.setdefault("batches", {})
    batches[batch_id] = [stored_group(group) for group in groups]
    while len(batches) > KEPT_BATCHES:
        batches.pop(next(iter(batches)))
