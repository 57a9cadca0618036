"""Chinese labels for the values the backend stores in English."""

from collections.abc import Mapping

from api.bookings.models import BookingStatus
from api.callbacks.models import CallbackStatus
from api.cases.models import CaseStatus
from api.handoffs.schemas import HandoffReason
from api.need_reports.models import NeedReportStatus
from api.providers.schemas import TrafficLight

CASE_STATUS: dict[str, str] = {
    CaseStatus.submitted: "已提交",
    CaseStatus.accepted: "已受理",
    CaseStatus.under_review: "审核中",
    CaseStatus.approved: "审核通过",
    CaseStatus.rejected: "不予受理",
    CaseStatus.paid: "已发放",
}
# The button that takes a case to that status.
CASE_ACTION: dict[str, str] = {
    CaseStatus.accepted: "受理",
    CaseStatus.under_review: "转入审核",
    CaseStatus.approved: "审核通过",
    CaseStatus.rejected: "不予受理（需填写原因）",
    CaseStatus.paid: "确认已发放",
}
BOOKING_STATUS: dict[str, str] = {
    BookingStatus.requested: "待派单",
    BookingStatus.dispatched: "已派单",
    BookingStatus.accepted: "已接单",
    BookingStatus.checked_in: "服务中",
    BookingStatus.checked_out: "已完成",
    BookingStatus.rated: "已评价",
    BookingStatus.cancelled: "已取消",
}
NEED_STATUS: dict[str, str] = {
    NeedReportStatus.open: "待处理",
    NeedReportStatus.following_up: "跟进中",
    NeedReportStatus.resolved: "已解决",
    NeedReportStatus.closed: "已关闭",
}
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
}
CHANNEL = {
    "chat": "网页聊天",
    "telegram": "Telegram",
    "voice": "电话",
    "livestream": "直播",
    "staff": "工作人员录入",
}
# Colour is never the only cue: each light also has its own word and symbol.
LIGHT = {
    TrafficLight.green: ("绿灯", "●", "正常派单"),
    TrafficLight.yellow: ("黄灯", "▲", "警告，需整改"),
    TrafficLight.red: ("红灯", "■", "暂停派单"),
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
}


def label(table: Mapping[str, str], value: str | None) -> str:
    """The Chinese label, or the stored value itself for one the table does not know yet."""
    if value is None:
        return "—"
    return table.get(value, value)
