"""Voice messages: an AMR recording (made from ../shared/audio with PyAV) downloaded from the
stand-in, heard by Whisper, and answered as if typed; WeChat's own recognition used when sent;
replies read out as MP3 voice messages when the resident asks."""

import io

import av

from tests.channels.wechat.support import HOTLINE, Resident, amr_from_wav
from testsupport.wechat_standin import WechatServer, WechatStandIn


def whole_answer(resident: Resident, posted_reply: str, start: int, expect: str) -> str:
    """The passive reply, or (a first voice message loads the speech model and may miss the
    window) the customer-service messages, once one holds `expect`."""
    if expect in posted_reply:
        return posted_reply
    try:
        resident.standin.wait_for(
            lambda calls: any(expect in text for text in resident.follow_ups(start)),
            timeout=120,
            what=f"a reply with {expect}",
        )
    except AssertionError as error:
        raise AssertionError(f"{error}; replied: {resident.follow_ups(start)}") from None
    return "\n".join([posted_reply, *resident.follow_ups(start)])


def test_a_voice_message_starts_a_booking(wechat: WechatServer, standin: WechatStandIn) -> None:
    resident = Resident(wechat, standin)
    # 帮我叫个人来家里打扫一下卫生 (WeChat's AMR is narrowband: the meal order in d02 comes
    # out as 贩 for 饭, and the assistant has to ask which service).
    media_id = standin.add_media(amr_from_wav(HOTLINE / "d04.wav"))
    start = len(standin.calls)
    posted = wechat.post(wechat.voice_xml(resident.openid, media_id, wechat.new_msg_id()))
    assert posted.status == 200
    said = whole_answer(resident, posted.reply, start, "什么时候")
    assert "我听到的是：" in said and "打扫" in said, said
    assert "微信识别" not in said  # Linli's own recognition heard it
    assert standin.calls_since(start, "media/get"), "the voice message was downloaded"


def test_wechats_own_recognition_is_used_when_the_account_has_it(
    wechat: WechatServer, standin: WechatStandIn
) -> None:
    resident = Resident(wechat, standin)
    start = len(standin.calls)
    xml = wechat.voice_xml(
        resident.openid, "media-never-fetched", wechat.new_msg_id(), recognition="低保怎么申请"
    )
    said = whole_answer(resident, wechat.post(xml).reply, start, "低保")
    assert "（微信识别）：低保怎么申请" in said
    assert not standin.calls_since(start, "media/get")


def test_replies_come_back_as_mp3_voice_messages_when_asked(
    wechat: WechatServer, standin: WechatStandIn
) -> None:
    resident = Resident(wechat, standin)
    assert "语音回复" in resident.say("语音回复").reply
    start = len(standin.calls)
    assert resident.say("你好").reply
    standin.wait_for(
        lambda calls: any(
            call.body.get("touser") == resident.openid and call.body.get("msgtype") == "voice"
            for call in calls[start:]
        ),
        timeout=120,
        what="a voice reply",
    )
    [upload] = standin.calls_since(start, "media/upload")
    assert upload.query["type"] == "voice"
    with av.open(io.BytesIO(upload.files["media"])) as container:
        assert container.format.name == "mp3"
        assert container.duration and container.duration > 0
    assert "文字" in resident.say("文字回复").reply
