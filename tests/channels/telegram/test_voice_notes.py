"""Voice notes: a resident's OGG/Opus note understood by Whisper; spoken replies sent back."""

import io

import av

from tests.channels.telegram.standin import TelegramStandIn
from tests.channels.telegram.support import HOTLINE, Chat, RunningBot, texts
from voice.audio import read_audio_file
from voice.clips import decode_to_pcm, encode_ogg_opus


def voice_note(chat: Chat, standin: TelegramStandIn, clip: str) -> dict[str, object]:
    pcm = read_audio_file(HOTLINE / f"{clip}.wav")
    file_id = f"note-{clip}-{chat.user_id}"
    standin.files[file_id] = encode_ogg_opus(pcm)
    voice = {"file_id": file_id, "file_unique_id": file_id, "duration": len(pcm) // 32_000 + 1,
             "mime_type": "audio/ogg"}  # fmt: skip
    return {"message": chat.message(voice=voice)}


def test_ogg_opus_round_trip_keeps_the_length() -> None:
    pcm = read_audio_file(HOTLINE / "d05.wav")
    ogg = encode_ogg_opus(pcm)
    with av.open(io.BytesIO(ogg)) as container:
        assert container.format.name == "ogg"
        assert container.streams.audio[0].codec_context.name == "opus"
    assert abs(len(decode_to_pcm(ogg, 60)) - len(pcm)) < 16_000 * 2 * 0.1


def test_a_voice_note_is_understood_like_text(bot: RunningBot, standin: TelegramStandIn) -> None:
    chat = Chat(standin)
    said = texts(chat.exchange(voice_note(chat, standin, "d02"), timeout=90))
    assert "我听到的是" in said and "饭" in said, said
    assert "地址" in said, said  # the meal order started, as if typed


def test_spoken_replies_come_back_as_voice_messages(
    bot: RunningBot, standin: TelegramStandIn
) -> None:
    chat = Chat(standin)
    assert "语音回复" in chat.say("/voice on")
    replies = chat.exchange({"message": chat.text_message("你好")}, timeout=90)
    [sent] = [call for call in replies if call.method == "sendVoice"]
    ogg = sent.files["voice"]
    with av.open(io.BytesIO(ogg)) as container:
        assert container.streams.audio[0].codec_context.name == "opus"
    assert len(decode_to_pcm(ogg, 60)) > 16_000 * 2  # more than a second of speech
    assert "文字" in chat.say("/voice off")


def test_an_undecodable_voice_note_asks_to_say_it_again(
    bot: RunningBot, standin: TelegramStandIn
) -> None:
    chat = Chat(standin)
    standin.files["garbage"] = b"OggS not really audio" * 20
    voice = {"file_id": "garbage", "file_unique_id": "g", "duration": 2}
    said = texts(chat.exchange({"message": chat.message(voice=voice)}))
    assert "没听清" in said, said
