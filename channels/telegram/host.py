"""Livestream host mode: a host pastes or forwards viewers' questions, each gets its own
answer, questions answered alike are grouped, and any group can be registered for follow-up."""

import asyncio
import dataclasses
import datetime
import logging
import secrets
from dataclasses import dataclass, field

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageOrigin,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import TelegramError

from channels.telegram import messages
from channels.telegram.backend_client import BackendError, LivestreamFollowUp
from channels.telegram.services import Context, Services
from common import livestream
from common.livestream import QuestionGroup, ViewerQuestion

log = logging.getLogger(__name__)

MAX_TITLE_CHARS = 100


@dataclass
class PendingBatch:
    """Messages from one host gathered until they stop arriving for a moment."""

    questions: list[ViewerQuestion] = field(default_factory=list)
    timer: asyncio.Task[None] | None = None


@dataclass
class FollowUp:
    """A group's follow-up button's callback data: one follow-up per viewer in the group, and
    the report numbers once the backend filed them (a second press does not file them twice).

    PTB keeps it (arbitrary callback data) and pickles it into the persistence file, so the
    button works after a restart: renaming or moving this class makes old buttons invalid."""

    viewers: tuple[LivestreamFollowUp, ...]
    reported: list[str] | None = None


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


def follow_up_of(group: QuestionGroup, sender_id: str, session_title: str) -> FollowUp:
    return FollowUp(
        tuple(
            LivestreamFollowUp(
                sender_id=sender_id,
                question=question.text,
                answer=group.answer,
                viewer=question.viewer,
                contact=question.contact,
                session_title=session_title,
            )
            for question in group.questions
        )
    )


def follow_up_keyboard(follow_up: FollowUp) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(messages.FOLLOW_UP_BUTTON, callback_data=follow_up)]]
    )


class HostMode:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._pending: dict[int, PendingBatch] = {}

    async def command(self, update: Update, context: Context) -> None:
        """/host on [本场标题], /host off, or /host alone to switch."""
        message = update.effective_message
        if message is None or context.chat_data is None:
            return
        if not self.services.is_host(update):
            await message.reply_text(messages.HOST_ONLY)
            return
        choice, *title = context.args or [""]
        choice = choice.lower()
        on = not context.chat_data.get("host_mode", False) if not choice else choice == "on"
        context.chat_data["host_mode"] = on
        if on and title:
            context.chat_data["host_title"] = " ".join(title)[:MAX_TITLE_CHARS]
        elif on:
            context.chat_data.pop("host_title", None)
        await message.reply_text(messages.HOST_ON if on else messages.HOST_OFF)

    async def gather_message(self, update: Update, message: Message, context: Context) -> None:
        """A paste or a forward: its questions join the chat's batch."""
        try:
            questions = questions_in(message)
        except livestream.BatchTooLarge:
            await message.reply_text(messages.HOST_TOO_MANY.format(limit=livestream.MAX_QUESTIONS))
            return
        self.gather(update, questions, context)

    async def gather_spoken(
        self, update: Update, message: Message, heard: str, context: Context
    ) -> None:
        """A voice note, transcribed: one question per line, as if pasted."""
        try:
            questions = livestream.split_batch(heard)
        except livestream.BatchTooLarge:
            await message.reply_text(messages.HOST_TOO_MANY.format(limit=livestream.MAX_QUESTIONS))
            return
        self.gather(update, questions, context)

    def gather(self, update: Update, questions: list[ViewerQuestion], context: Context) -> None:
        """Add to the chat's pending batch and answer it once nothing new came for a while."""
        chat = update.effective_chat
        if chat is None:
            return
        chat_id = chat.id
        title = (context.chat_data or {}).get("host_title") or messages.HOST_SESSION.format(
            date=datetime.date.today().isoformat()
        )
        pending = self._pending.setdefault(chat_id, PendingBatch())
        pending.questions.extend(questions)
        if pending.timer is not None:
            pending.timer.cancel()

        async def answer_when_quiet() -> None:
            await asyncio.sleep(self.services.settings.batch_window_s)
            batch = self._pending.pop(chat_id, None)
            if batch is not None:
                await self.answer(context.bot, chat_id, batch.questions, title)

        # Outside the handler, but an error still reaches the error handler, which apologises
        # in this chat.
        pending.timer = context.application.create_task(
            answer_when_quiet(), update=update, name=f"host-batch-{chat_id}"
        )

    async def answer(
        self, bot: Bot, chat_id: int, questions: list[ViewerQuestion], session_title: str
    ) -> None:
        if not questions:
            await bot.send_message(chat_id, messages.HOST_NOTHING)
            return
        if len(questions) > livestream.MAX_QUESTIONS:
            await bot.send_message(
                chat_id, messages.HOST_TOO_MANY.format(limit=livestream.MAX_QUESTIONS)
            )
            return
        await bot.send_message(chat_id, messages.HOST_WORKING.format(count=len(questions)))
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
        # Each question in its own Rasa conversation, so answers do not interfere. Random, not
        # a counter: Rasa keeps conversations, and a counter would start over (and reuse their
        # sender ids) if the persistence file were ever lost.
        conversation = f"tg-host-{chat_id}-{secrets.token_hex(4)}"
        answers, understood = await livestream.answer_each(
            self.services.rasa, conversation, questions
        )
        groups = livestream.group_by_answer(questions, answers, understood)
        for group in groups:
            markup = follow_up_keyboard(follow_up_of(group, f"tg-host-{chat_id}", session_title))
            for part in messages.split_message(describe_group(group)):
                await bot.send_message(chat_id, part, reply_markup=markup)
        await bot.send_message(
            chat_id, messages.HOST_SUMMARY.format(count=len(questions), groups=len(groups))
        )

    async def follow_up(self, update: Update, context: Context) -> None:
        """A group's follow-up button: the backend files a need report per viewer."""
        query = update.callback_query
        follow_up: object = query.data if query is not None else None
        if query is None or not isinstance(follow_up, FollowUp):
            return
        if follow_up.reported is None:
            try:
                follow_up.reported = await self.services.backend.report_needs(
                    list(follow_up.viewers)
                )
            except BackendError as error:
                log.error("need report for a livestream group failed: %s", error)
                await query.answer(messages.FOLLOW_UP_FAILED, show_alert=True)
                return
        done = messages.FOLLOW_UP_DONE.format(numbers="、".join(follow_up.reported))
        await query.answer(done)
        if isinstance(query.message, Message) and query.message.text:
            try:
                await query.message.edit_text(
                    (query.message.text + "\n\n" + done)[: messages.MAX_MESSAGE_CHARS],
                    reply_markup=None,
                )
            except TelegramError as error:
                log.info("could not mark a follow-up as done: %s", error)
