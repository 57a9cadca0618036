"""The front's handlers: one object holding the settings and the shared clients."""

import hashlib
import logging
import re
import secrets
from typing import Any

import av
import httpx
from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from channels.telegram import messages
from channels.telegram.backend_client import BackendClient, BackendError
from channels.telegram.host import (
    FOLLOW_UP_PREFIX,
    HostBatches,
    describe_group,
    follow_up_keyboard,
    questions_in,
    remember_batch,
)
from channels.telegram.settings import TelegramSettings
from common import livestream
from common.rasa_client import Button, RasaClient, RasaMessage
from voice.clips import VoiceClips

log = logging.getLogger(__name__)

PAYLOAD_PREFIX = "p:"
STORED_PAYLOAD_PREFIX = "h:"
CALLBACK_DATA_BYTES = 64  # Telegram's limit on a button's callback data
KEPT_PAYLOADS = 500
_MAINLAND_MOBILE = re.compile(r"^(?:86)?(1[3-9]\d{9})$")

Context = ContextTypes.DEFAULT_TYPE


def sender_id(chat: Chat) -> str:
    """The Rasa conversation of a chat: the Telegram chat id."""
    return str(chat.id)


def mainland_mobile(phone_number: str) -> str | None:
    digits = re.sub(r"\D", "", phone_number)
    match = _MAINLAND_MOBILE.match(digits)
    return match.group(1) if match else None


class TelegramFront:
    def __init__(self, settings: TelegramSettings, voice: VoiceClips) -> None:
        self.settings = settings
        self.voice = voice
        self._http: httpx.AsyncClient | None = None
        self.host = HostBatches(lambda: self.rasa, lambda: self.backend, settings.batch_window_s)

    # --- lifecycle (Application post_init / post_shutdown)

    async def open(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self._http = httpx.AsyncClient()
        await application.bot.set_my_commands(
            [
                ("start", "开始"),
                ("help", "使用说明"),
                ("voice", "语音回复 on/off"),
                ("bind", "绑定手机号"),
            ]
        )

    async def close(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("The HTTP client opens in post_init; the application is not up")
        return self._http

    @property
    def rasa(self) -> RasaClient:
        return RasaClient(
            self.settings.rasa_url, "telegram", self.settings.rasa_timeout_s, http=self.http
        )

    @property
    def backend(self) -> BackendClient:
        return BackendClient(
            self.http,
            self.settings.backend_url,
            self.settings.backend_api_key.get_secret_value(),
            self.settings.backend_timeout_s,
        )

    def is_host(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.settings.host_user_ids

    # --- commands

    async def start(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        text = messages.START + (messages.HOST_HELP if self.is_host(update) else "")
        await message.reply_text(text)

    async def help(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        text = messages.HELP + (messages.HOST_HELP if self.is_host(update) else "")
        await message.reply_text(text)

    async def voice_replies(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or context.chat_data is None:
            return
        choice = (context.args or [""])[0].lower()
        if choice in {"on", "开"}:
            context.chat_data["voice_replies"] = True
            await message.reply_text(messages.VOICE_ON)
        elif choice in {"off", "关"}:
            context.chat_data["voice_replies"] = False
            await message.reply_text(messages.VOICE_OFF)
        else:
            await message.reply_text(messages.VOICE_USAGE)

    async def bind(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(messages.BIND_BUTTON, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await message.reply_text(messages.BIND_CONSENT, reply_markup=keyboard)

    async def host_mode(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or context.chat_data is None:
            return
        if not self.is_host(update):
            await message.reply_text(messages.HOST_ONLY)
            return
        choice = (context.args or [""])[0].lower()
        on = not context.chat_data.get("host_mode", False) if not choice else choice == "on"
        context.chat_data["host_mode"] = on
        await message.reply_text(messages.HOST_ON if on else messages.HOST_OFF)

    # --- messages

    async def text(self, update: Update, context: Context) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or message.text is None:
            return
        if self.is_host(update) and context.chat_data and context.chat_data.get("host_mode"):
            await self._gather_host_message(message, context)
            return
        if len(message.text) > messages.MAX_RELAYED_CHARS:
            await message.reply_text(messages.TOO_LONG)
            return
        await self.relay(chat, message.text, context)

    async def relay(self, chat: Chat, text: str, context: Context) -> None:
        """Ask Rasa and show its answer: text, buttons, images, and a voice note if wanted."""
        await chat.send_action(ChatAction.TYPING)
        replies = await self.rasa.send(sender_id(chat), text)
        for reply in replies:
            await self._show(chat, reply, context)
        spoken = "\n".join(reply.text for reply in replies if reply.text)
        if spoken and context.chat_data and context.chat_data.get("voice_replies"):
            await self._speak(chat, spoken)

    async def _show(self, chat: Chat, reply: RasaMessage, context: Context) -> None:
        keyboard = self._keyboard(reply.buttons, context) if reply.buttons else None
        if reply.image:
            await chat.send_photo(reply.image)
        parts = messages.split_message(reply.text) if reply.text else []
        if not parts and keyboard is not None:
            parts = [messages.CHOOSE]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await chat.send_message(part, reply_markup=keyboard if last else None)

    def _keyboard(self, buttons: list[Button], context: Context) -> InlineKeyboardMarkup:
        rows = [
            [
                InlineKeyboardButton(
                    button.title or button.payload, callback_data=self._data(button, context)
                )
            ]
            for button in buttons
        ]
        return InlineKeyboardMarkup(rows)

    def _data(self, button: Button, context: Context) -> str:
        """A button's Rasa payload as callback data; long payloads are kept here by a hash."""
        data = PAYLOAD_PREFIX + button.payload
        if len(data.encode()) <= CALLBACK_DATA_BYTES:
            return data
        key = hashlib.sha256(button.payload.encode()).hexdigest()[:20]
        stored: dict[str, str] = context.bot_data.setdefault("payloads", {})
        stored[key] = button.payload
        while len(stored) > KEPT_PAYLOADS:
            stored.pop(next(iter(stored)))
        return STORED_PAYLOAD_PREFIX + key

    async def button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        if query.data.startswith(FOLLOW_UP_PREFIX):
            await self._follow_up(query, context)
            return
        payload = None
        if query.data.startswith(PAYLOAD_PREFIX):
            payload = query.data[len(PAYLOAD_PREFIX) :]
        elif query.data.startswith(STORED_PAYLOAD_PREFIX):
            key = query.data[len(STORED_PAYLOAD_PREFIX) :]
            payload = context.bot_data.get("payloads", {}).get(key)
        chat = update.effective_chat
        if payload is None or chat is None:
            await query.answer(messages.BUTTON_EXPIRED)
            return
        await query.answer()
        # The choice is made: the keyboard goes, so an old menu is not pressed again.
        if isinstance(query.message, Message):
            try:
                await query.message.edit_reply_markup(reply_markup=None)
            except TelegramError as error:
                log.info("could not remove a keyboard: %s", error)
        await self.relay(chat, payload, context)

    async def contact(self, update: Update, context: Context) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or chat is None or user is None or message.contact is None:
            return
        shared = message.contact
        phone = mainland_mobile(shared.phone_number)
        if shared.user_id != user.id or phone is None:
            await message.reply_text(messages.BIND_NOT_YOURS)
            return
        try:
            await self.backend.link_phone(sender_id(chat), phone, shared.first_name or None)
        except BackendError as error:
            log.error("linking chat %s to a resident failed: %s", chat.id, error)
            await message.reply_text(messages.BIND_FAILED, reply_markup=ReplyKeyboardRemove())
            return
        if context.chat_data is not None:
            context.chat_data["bound_phone_tail"] = phone[-4:]
        await message.reply_text(messages.BIND_DONE, reply_markup=ReplyKeyboardRemove())

    async def voice_note(self, update: Update, context: Context) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        note = message.voice or message.audio
        if note is None:
            return
        await chat.send_action(ChatAction.TYPING)
        data = bytes(await (await note.get_file()).download_as_bytearray())
        limit = self.settings.max_voice_note_s
        try:
            heard, cut = await self.voice.transcribe(data, limit)
        except av.error.FFmpegError as error:
            log.warning("an undecodable voice note from chat %s: %s", chat.id, error)
            heard, cut = "", False
        except OSError as error:  # no speech model on disk
            log.error("speech recognition unavailable: %s", error)
            await message.reply_text(messages.VOICE_UNAVAILABLE)
            return
        if not heard:
            await message.reply_text(messages.VOICE_NOT_HEARD)
            return
        prefix = messages.VOICE_TOO_LONG.format(seconds=limit) + "\n" if cut else ""
        await message.reply_text(prefix + messages.VOICE_HEARD.format(text=heard))
        if self.is_host(update) and context.chat_data and context.chat_data.get("host_mode"):
            await self._gather_questions(chat.id, livestream.split_batch(heard), context)
            return
        await self.relay(chat, heard, context)

    async def _speak(self, chat: Chat, text: str) -> None:
        await chat.send_action(ChatAction.RECORD_VOICE)
        ogg = await self.voice.synthesize_ogg_opus(text)
        if ogg is None:
            log.warning("no speech engine produced audio for a reply to chat %s", chat.id)
            return
        await chat.send_voice(ogg)

    async def unsupported(self, update: Update, context: Context) -> None:
        """Stickers, photos, files, locations: say what works instead of staying silent."""
        message = update.effective_message
        if message is not None:
            await message.reply_text(messages.NOT_UNDERSTOOD_KIND)

    async def edited(self, update: Update, context: Context) -> None:
        message = update.edited_message
        if message is not None and message.chat.type == Chat.PRIVATE:
            await message.reply_text(messages.EDITED)

    async def group_message(self, update: Update, context: Context) -> None:
        """In groups the front answers only commands, pointing to a private chat."""
        message = update.effective_message
        if message is not None:
            await message.reply_text(messages.GROUP_ONLY_PRIVATE)

    # --- livestream host mode

    async def _gather_host_message(self, message: Message, context: Context) -> None:
        try:
            questions = questions_in(message)
        except livestream.BatchTooLarge:
            await message.reply_text(messages.HOST_TOO_MANY.format(limit=livestream.MAX_QUESTIONS))
            return
        await self._gather_questions(message.chat.id, questions, context)

    async def _gather_questions(
        self, chat_id: int, questions: list[livestream.ViewerQuestion], context: Context
    ) -> None:
        chat_data = context.chat_data

        async def answer(batch_chat_id: int, batch: list[livestream.ViewerQuestion]) -> None:
            await self._answer_batch(context, batch_chat_id, batch, chat_data)

        self.host.gather(context.application, chat_id, questions, answer)

    async def _answer_batch(
        self,
        context: Context,
        chat_id: int,
        questions: list[livestream.ViewerQuestion],
        chat_data: dict[Any, Any] | None,
    ) -> None:
        bot = context.bot
        try:
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
            # Random, not a counter: Rasa keeps conversations, and a counter would start over
            # (and reuse their sender ids) if the persistence file were ever lost.
            batch_id = secrets.token_hex(4)
            groups = await self.host.ask(chat_id, batch_id, questions)
            remember_batch(chat_data if chat_data is not None else {}, batch_id, groups)
            for index, group in enumerate(groups):
                for part in messages.split_message(describe_group(group)):
                    await bot.send_message(
                        chat_id, part, reply_markup=follow_up_keyboard(batch_id, index)
                    )
            await bot.send_message(
                chat_id, messages.HOST_SUMMARY.format(count=len(questions), groups=len(groups))
            )
        except Exception:
            # Runs as a task, outside the handlers: the global error handler does not see it.
            log.exception("answering a host batch of %d questions failed", len(questions))
            await bot.send_message(chat_id, messages.SORRY)

    async def _follow_up(self, query: CallbackQuery, context: Context) -> None:
        batch_id, _, index = query.data[len(FOLLOW_UP_PREFIX) :].partition(":")  # type: ignore[index]
        batches = (context.chat_data or {}).get("batches", {})
        groups = batches.get(batch_id)
        if groups is None or not index.isdigit() or int(index) >= len(groups):
            await query.answer(messages.BUTTON_EXPIRED, show_alert=True)
            return
        group = groups[int(index)]
        if group.get("reported") is None:
            chat = query.message.chat if query.message else None
            try:
                group["reported"] = await self.host.report(
                    group, f"tg-host-{chat.id if chat else 0}"
                )
            except BackendError as error:
                log.error("need report for a livestream group failed: %s", error)
                await query.answer(messages.FOLLOW_UP_FAILED, show_alert=True)
                return
        done = messages.FOLLOW_UP_DONE.format(numbers="、".join(group["reported"]))
        await query.answer(done)
        if isinstance(query.message, Message) and query.message.text:
            try:
                await query.message.edit_text(
                    (query.message.text + "\n\n" + done)[: messages.MAX_MESSAGE_CHARS],
                    reply_markup=None,
                )
            except TelegramError as error:
                log.info("could not mark a follow-up as done: %s", error)

    # --- errors

    async def on_error(self, update: object, context: Context) -> None:
        log.error("handling an update failed: %r", context.error, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await context.bot.send_message(update.effective_chat.id, messages.SORRY)
            except TelegramError as error:
                log.error("could not apologise to chat %s: %s", update.effective_chat.id, error)
