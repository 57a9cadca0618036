"""The Chinese words for the statuses the backend stores in English: the one owner of them.

The action server says them to residents and the consoles show them to workers, so both read
them from here and a resident hears the word the social worker sees. Keys are the values of
the backend's enums (`BookingStatus`, `CaseStatus`, `NeedReportStatus`), as plain strings:
standard library only, because the actions import this from Rasa's virtualenv, which cannot
import the backend. `tests/api/test_labels.py` checks that every enum value has its word.
"""

from collections.abc import Mapping

# The channel a record came in by, as residents and workers say it.
CHANNEL: Mapping[str, str] = {
    "chat": "网页聊天",
    "telegram": "Telegram",
    "wechat": "微信",
    "voice": "电话",
    "livestream": "直播",
    "staff": "工作人员录入",
}
BOOKING_STATUS: Mapping[str, str] = {
    "requested": "待派单",
    "dispatched": "已派单",
    "accepted": "已接单",
    "checked_in": "服务中",
    "checked_out": "已完成",
    "rated": "已评价",
    "cancelled": "已取消",
}
CASE_STATUS: Mapping[str, str] = {
    "submitted": "已提交",
    "accepted": "已受理",
    "under_review": "审核中",
    "approved": "审核通过",
    "rejected": "不予受理",
    "paid": "已发放",
}
# The kind of danger an emergency alert is about, as the danger-sign lexicon names it
# (bot/lexicons/emergency.yml), in the words the worker on duty reads first: whom to send.
DANGER: Mapping[str, str] = {
    "falls": "跌倒",
    "chest_and_heart": "胸痛、心脏",
    "breathing": "呼吸困难",
    "stroke": "疑似中风",
    "convulsions": "抽搐",
    "low_blood_sugar": "低血糖",
    "unconscious": "昏迷、叫不醒",
    "bleeding": "出血",
    "burns": "烧烫伤",
    "gas_fire_poison": "燃气、火灾或中毒",
    "self_harm": "自伤风险",
    "violence": "正在受到暴力",
    "fraud_now": "正在被诈骗转账",
    "not_answering": "联系不上、敲门不应",
}
NEED_REPORT_STATUS: Mapping[str, str] = {
    "open": "待处理",
    "following_up": "跟进中",
    "resolved": "已解决",
    "closed": "已关闭",
}


def booking_status(status: str) -> str:
    """The Chinese word for a booking status; a status this table does not know yet as is."""
    return BOOKING_STATUS.get(status, status)


def case_status(status: str) -> str:
    """The Chinese word for a case (aid application) status, or the status as is."""
    return CASE_STATUS.get(status, status)


def need_report_status(status: str) -> str:
    """The Chinese word for a need-report status, or the status as is."""
    return NEED_REPORT_STATUS.get(status, status)
