"""What the WeChat front says itself (the assistant's answers come from Rasa), and how Rasa's
answers become WeChat text: cut to WeChat's byte limit, buttons as numbered choices."""

import re
import unicodedata

from common import chat_text
from common.rasa_client import Button, RasaMessage

WELCOME = (
    "您好，欢迎关注邻里通社区助手 🏘\n"
    "我可以帮您：查政策（低保、临时救助、高龄津贴、残疾人补贴等）、申请救助、预约上门服务"
    "（送餐、打扫、助浴、陪诊、理发等）、查办理进度，也可以帮您转人工。\n"
    "直接打字或发语音就行，也可以点下面的菜单。\n\n"
    "📋 说明：您发来的文字和语音只用于办理您的事情，会交给社区工作人员处理。"
    "发“绑定”可以用手机号和身份证号关联您的居民档案，查到您在别处办的预约和申请。"
    "发“语音回复”，我会用语音回答您。"
)
CHOOSE_BY_NUMBER = "回复数字即可选择："
NOT_UNDERSTOOD_KIND = "我只看得懂文字和语音，请打字或者发语音告诉我。"
TOO_LONG = "消息太长了，请分几次说，或者说说最要紧的事。"
SORRY = "抱歉，系统出了点问题，您刚才这条消息没能处理，请稍后再发一次。着急的话请直接拨打社区电话。"
NO_ANSWER = "不好意思，我没能回答这个问题。您可以换个说法，或者发“转人工”找社工。"
VOICE_NOT_HEARD = "不好意思，这段语音我没听清，请再说一遍，或者打字告诉我。"
VOICE_UNAVAILABLE = "不好意思，语音识别暂时用不了，请打字告诉我。"
VOICE_TOO_LONG = "语音有点长，我只听了前 {seconds} 秒。"
# Which engine heard the message: WeChat's own recognition or Linli's.
VOICE_HEARD = {"wechat": "🎤 我听到的是（微信识别）：{text}", "linli": "🎤 我听到的是：{text}"}
VOICE_REPLIES_ON = "好的，以后我用语音回复您（文字也会发）。发“文字回复”可以关掉。"
VOICE_REPLIES_OFF = "好的，以后只用文字回复。"
VOICE_REPLIES_ON_WORDS = frozenset({"语音回复", "用语音回复", "语音回答", "开语音", "打开语音回复"})
VOICE_REPLIES_OFF_WORDS = frozenset(
    {"文字回复", "用文字回复", "关语音", "关闭语音回复", "不要语音"}
)

BIND_WORDS = frozenset({"绑定", "绑定手机", "绑定手机号", "绑定档案", "关联档案"})
BIND_CONSENT = (
    "绑定后，我能查到您在社区登记的预约和申请。需要您提供手机号和身份证号，"
    "只用来和您的居民档案核对，不会保存到聊天记录里，也不会给别人。\n"
    "同意的话请回复“同意”，不同意请回复“取消”。"
)
BIND_ASK_NUMBERS = (
    "请在一条消息里发您的手机号和身份证号，中间空一格，例如：\n13812345678 320902195001011234"
)
BIND_NEEDS_BOTH = "没有看到完整的手机号和身份证号，请按例子重新发一次，或者回复“取消”。"
BIND_DONE = "绑定好了，以后问“办到哪一步了”我就能查到您的预约和申请。"
BIND_NO_MATCH = (
    "手机号和身份证号没能对上社区登记的档案。请核对后再发一次，"
    "或者带身份证到社区登记后再绑定。回复“取消”可以不绑。"
)
BIND_FAILED = "不好意思，绑定暂时没有成功，什么也没有保存，请稍后再试，或者说“转人工”。"
BIND_CANCELLED = "好的，不绑定了。有需要随时说。"
BIND_AGREE_WORDS = frozenset({"同意", "我同意", "好的", "好", "可以", "行"})
CANCEL_WORDS = frozenset({"取消", "不了", "不同意", "算了", "退出"})

# Full-width digits and the Chinese numerals a resident may answer a choice with.
_NUMERALS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CHOICE = re.compile(r"^(?:第)?(\d{1,2}|[一二两三四五六七八九])(?:个|项|号)?[。.!！]?$")


def numbered(buttons: list[Button]) -> str:
    lines = [
        f"{index}. {button.title or button.payload}" for index, button in enumerate(buttons, 1)
    ]
    return CHOOSE_BY_NUMBER + "\n" + "\n".join(lines)


def reply_parts(replies: list[RasaMessage], max_bytes: int) -> tuple[list[str], list[str]]:
    """Rasa's answer as WeChat texts (each within `max_bytes`), and the payloads of its buttons
    in the order they were numbered (a resident answers "2" for the second)."""
    texts: list[str] = []
    payloads: list[str] = []
    for reply in replies:
        body = reply.text
        if reply.image:
            body = f"{body}\n{reply.image}".strip()
        if reply.buttons:
            body = f"{body}\n\n{numbered(reply.buttons)}".strip()
            # Only the last message's buttons answer to numbers.
            payloads = [button.payload for button in reply.buttons]
        if body:
            texts.append(body)
    joined = "\n\n".join(texts)
    return chat_text.split_message(joined, max_bytes, chat_text.utf8_bytes), payloads


def chosen_number(text: str) -> int | None:
    """The number a resident answered a choice with ("2", "２", "二", "第2个"), or None."""
    normalised = unicodedata.normalize("NFKC", text.strip())
    match = _CHOICE.match(normalised)
    if match is None:
        return None
    value = match.group(1)
    return int(value) if value.isdigit() else _NUMERALS[value]


def said(text: str, words: frozenset[str]) -> bool:
    return text.strip().rstrip("。.!！~") in words
