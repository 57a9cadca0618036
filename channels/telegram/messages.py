"""What the front says itself (the assistant's answers come from Rasa), and how long answers
are cut into Telegram messages."""

from common import chat_text

# Telegram's limit per message.
MAX_MESSAGE_CHARS = 4096
# Longer text from a resident is more likely a paste by mistake than a question.
MAX_RELAYED_CHARS = 2000

START = (
    "您好，我是邻里通社区助手 🏘\n"
    "我可以帮您：查政策（低保、临时救助、高龄津贴等）、申请救助、预约上门服务"
    "（送餐、打扫、助浴、陪诊、理发等）、查办理进度，也可以帮您转人工。\n\n"
    "直接打字或发语音就行。发 /help 看使用说明。\n\n"
    "📋 说明：您发来的文字和语音只用于办理您的事情，会交给社区工作人员处理；"
    "绑定手机号（/bind）后，我能查到您在别处办的预约和申请。"
)
HELP = (
    "使用说明：\n"
    "• 打字或发语音提问，比如“低保怎么申请”“我要订明天中午的饭”\n"
    "• 按消息下面的按钮选择\n"
    "• /voice on 用语音回复您，/voice off 改回文字\n"
    "• /bind 绑定手机号，查自己的预约和申请\n"
    "• 说“转人工”找社工"
)
HOST_HELP = (
    "\n\n直播主持人：/host on 进入主持模式后，把观众的问题粘贴过来（一行一个），"
    "或者连续转发观众的消息，我会逐条回答，相同的问题合在一起。"
    "发 /host on 本场标题 可以给这场直播起个名字，登记跟进时社工能看到。"
)
VOICE_ON = "好的，以后我用语音回复您（文字也会发）。发 /voice off 可以关掉。"
VOICE_OFF = "好的，以后只用文字回复。"
VOICE_USAGE = "请发 /voice on（语音回复）或 /voice off（文字回复）。"
VOICE_NOT_HEARD = "不好意思，这段语音我没听清，请再说一遍，或者打字告诉我。"
VOICE_TOO_LONG = "语音有点长，我只听了前 {seconds} 秒。"
VOICE_HEARD = "🎤 我听到的是：{text}"
VOICE_UNAVAILABLE = "不好意思，语音识别暂时用不了，请打字告诉我。"
BIND_CONSENT = (
    "绑定手机号后，我能查到用这个号码办的预约和申请。号码只用于社区服务，不会给别人。"
    "同意的话，请按下面的“分享手机号”按钮。"
)
BIND_BUTTON = "分享手机号"
BIND_DONE = "绑定好了，以后问“办到哪一步了”我就能查到您的预约和申请。"
BIND_NOT_YOURS = "为了保护隐私，只能绑定您自己的手机号，请按“分享手机号”按钮。"
BIND_FAILED = "不好意思，绑定没有成功，请稍后再试，或者说“转人工”。"
NOT_UNDERSTOOD_KIND = "我只看得懂文字和语音，请打字或者发语音告诉我。"
EDITED = "修改过的消息我收不到，请把改好的内容重新发一条。"
GROUP_ONLY_PRIVATE = "为了保护您的隐私，请私聊我办事。"
TOO_LONG = "消息太长了，请分几次说，或者说说最要紧的事。"
CHOOSE = "请选择："
SORRY = "抱歉，系统出了点问题，请稍后再试。着急的话请直接拨打社区电话。"
# A button whose data the front no longer keeps (too old, or from before an update).
BUTTON_INVALID = "这个按钮已经失效了，请直接打字告诉我您的选择。"

HOST_ONLY = "主持模式只对直播主持人开放。"
HOST_ON = "已进入主持模式：请粘贴观众的问题（一行一个），或连续转发观众的消息。发 /host off 退出。"
HOST_OFF = "已退出主持模式，现在按普通对话回答。"
HOST_WORKING = "收到 {count} 个问题，正在逐条回答……"
HOST_SUMMARY = "{count} 个问题，归成 {groups} 组答案。需要上门或跟进的，按答案下面的按钮登记。"
HOST_TOO_MANY = "一次最多 {limit} 个问题，请分几批发。"
HOST_NOTHING = "没有找到问题：请一行写一个问题。"
HOST_NOT_UNDERSTOOD = "（助手没听懂这个问题，请主持人换个说法再问，或者登记跟进）"
# A session's title in follow-ups when the host gave none with /host on.
HOST_SESSION = "Telegram 直播答疑 {date}"
FOLLOW_UP_BUTTON = "需要上门/跟进"
FOLLOW_UP_DONE = "✅ 已登记跟进：{numbers}"
FOLLOW_UP_FAILED = "登记没有成功，请稍后再按一次。"


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Cut at paragraph, line or sentence ends so no message is longer than `limit`."""
    return chat_text.split_message(text, limit)
