"""Chinese labels for the values the backend stores in English.

The status words residents hear too (bookings, cases, need reports) live in `common.labels`;
the rest only the consoles show.
"""

from collections.abc import Mapping

from api.call_plans.service import PURPOSE_WORDS
from api.callbacks.models import CallbackStatus
from api.cases.models import CaseStatus
from api.handoffs.schemas import HandoffReason
from api.providers.schemas import TrafficLight
from common import labels as common_labels

CASE_STATUS = common_labels.CASE_STATUS
# The button that takes a case to that status.
CASE_ACTION: dict[str, str] = {
    CaseStatus.accepted: "受理",
    CaseStatus.under_review: "转入审核",
    CaseStatus.approved: "审核通过",
    CaseStatus.rejected: "不予受理（需填写原因）",
    CaseStatus.paid: "确认已发放",
}
BOOKING_STATUS = common_labels.BOOKING_STATUS
NEED_STATUS = common_labels.NEED_REPORT_STATUS
DANGER = common_labels.DANGER
CALLBACK_STATUS: dict[str, str] = {
    CallbackStatus.scheduled: "待回访",
    CallbackStatus.done: "已回访",
    CallbackStatus.unreachable: "未接通",
}
HANDOFF_REASON: dict[str, str] = {
    HandoffReason.emergency: "紧急求助",
    HandoffReason.requested: "要求人工",
    HandoffReason.callback: "请求回电",
    HandoffReason.hardship: "困难求助",
    HandoffReason.fallback: "助手无法回答",
    HandoffReason.no_answer: "回访无人接听",
    HandoffReason.distress: "回访发现不适",
}
CHANNEL = common_labels.CHANNEL
# Colour is never the only cue: each light also has its own word and symbol.
LIGHT = {
    TrafficLight.green: ("绿灯", "●", "正常派单"),
    TrafficLight.yellow: ("黄灯", "▲", "警告，需整改"),
    TrafficLight.red: ("红灯", "■", "暂停派单"),
}
# Outbound calls (issue 18).
OUTBOUND_PURPOSE = PURPOSE_WORDS
OUTBOUND_STATUS = {
    "due": "等待拨打",
    "dialling": "正在拨打",
    "answered": "已接通",
    "unanswered": "未接通",
    "cancelled": "已取消",
}
OUTBOUND_OUTCOME = {
    "fine": "一切都好",
    "needs_help": "有需要，已登记",
    "unwell": "身体不适",
    "emergency": "紧急求助",
    "stop": "不要再打",
    "rated": "已评分",
    "unclear": "接通了，没说完",
}
TIMELINE_KIND = {
    "case": "提交申请",
    "case_status": "申请进度",
    "booking": "服务预约",
    "booking_status": "预约进度",
    "visit": "上门服务",
    "rating": "服务评价",
    "complaint": "投诉",
    "callback": "回访",
    "need_report": "需求上报",
    "handoff": "转人工",
    "outbound_call": "外呼回访",
}


def label(table: Mapping[str, str], value: str | None) -> str:
    """The Chinese label, or the stored value itself for one the table does not know yet."""
    if value is None:
        return "—"
    return table.get(value, value)
