"""Voice in and out, through `voice.clips.VoiceClips`: a resident's voice note is transcribed
and answered as if typed; with /voice on, answers also come back as voice notes."""

import logging

import av
from telegram import Chat, Update
from telegram.constants import ChatAction

from channels.telegram import messages
from channels.telegram.chat import ChatRelay
from channels.telegram.host import HostMode
from channels.telegram.services import Context, Services
from voice.clips import VoiceClips

log = logging.getLogger(__name__)


class Speaker:
    """Answers read out as an OGG/Opus voice note (what Telegram plays inline)."""

    def __init__(self, voice: VoiceClips) -> None:
        self.voice = voice

    async def __call__(self, chat: Chat, text: str) -> None:
        await chat.send_action(ChatAction.RECORD_VOICE)
        ogg = await self.voice.synthesize_ogg_opus(text)
        if ogg is None:
            log.warning("no speech engine produced audio for a reply to chat %s", chat.id)
            return
        await chat.send_voice(ogg)


class VoiceNotes:
    def __init__(self, services: Services, relay: ChatRelay, host: HostMode) -> None:
        self.services = services
        self.relay = relay
        self.host = host

    async def voice_note(self, update: Update, context: Context) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        note = message.voice or message.audio
        if note is None:
            return
        await chat.send_action(ChatAction.TYPING)
        data = bytes(await (await note.get_file()).download_as_bytearray())
        limit = self.services.settings.max_voice_note_s
        try:
            heard, cut = await self.services.voice.transcribe(data, limit)
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
        if self.services.in_host_mode(update, context):
            await self.host.gather_spoken(update, message, heard, context)
            return
        await self.relay.relay(chat, heard, context)

    async def voice_replies(self, update: Update, context: Context) -> None:
        """/voice on or /voice off: answers as voice notes too, or text only."""
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
