"""The household timeline in Chinese. api.households writes its summaries in English for API
clients; the console reads them back by the patterns households.service writes and says them
in Chinese (tests/api/test_console_pages.py keeps the two in step)."""

import re
from collections.abc import Callable
from datetime import datetime

from api.catalogue.service import load_services
from api.console.labels import (
    CALLBACK_STATUS,
    CASE_STATUS,
    CHANNEL,
    DANGER,
    HANDOFF_REASON,
    NEED_STATUS,
    OUTBOUND_OUTCOME,
    OUTBOUND_PURPOSE,
    OUTBOUND_STATUS,
)
from api.console.labels import label as name_of
from api.policies.service import load_knowledge_base
from api.residents.schemas import TimelineItem

Rewrite = Callable[[re.Match[str]], str]


def chinese_summaries(
    items: list[TimelineItem], local_time: Callable[[datetime], str]
) -> list[str]:
    """Each item's summary in Chinese; a summary of a shape not known here is shown as it is."""
    services = load_services()
    policies, _ = load_knowledge_base()

    def service(code: str) -> str:
        return services[code].name if code in services else code

    def policy(code: str) -> str:
        return policies[code].name if code in policies else code

    def when(iso: str) -> str:
        try:
            return local_time(datetime.fromisoformat(iso))
        except ValueError:
            return iso

    def comment(text: str | None) -> str:
        return f"：{text}" if text else ""

    patterns: dict[str, list[tuple[str, Rewrite]]] = {
        "case": [
            (r"applied for (\S+) via (\S+)",
             lambda m: f"通过{name_of(CHANNEL, m[2])}申请{policy(m[1])}"),
        ],
        "case_status": [
            (r"(\S+) → (\S+) by (?:\w+:)?(\S+?)(?:: (.*))?",
             lambda m: f"{name_of(CASE_STATUS, m[1])} → {name_of(CASE_STATUS, m[2])}"
                       f"（{m[3]}）{comment(m[4])}"),
        ],
        "booking": [
            (r"booked (\S+) for (\S+) via (\S+)",
             lambda m: f"通过{name_of(CHANNEL, m[3])}预约{service(m[1])}，时间 {when(m[2])}"),
        ],
        "booking_status": [
            (r"dispatched to (\S+)", lambda m: f"派单给 {m[1]}"),
            (r"cancelled: (.*)", lambda m: f"已取消{comment(m[1])}"),
        ],
        "visit": [
            (r"worker checked in( with photo)?",
             lambda m: "服务人员到达" + ("（有照片）" if m[1] else "")),
            (r"worker checked out(?:: (.*))?", lambda m: f"服务完成{comment(m[1])}"),
        ],
        "callback": [
            (r"(\w+): (.*?)(?: — (.*))?", lambda m: f"{name_of(CALLBACK_STATUS, m[1])}：{m[2]}"
                                                   + (f"（{m[3]}）" if m[3] else "")),
        ],
        "need_report": [
            (r"\[(\w+)\] (.*)", lambda m: f"［{name_of(NEED_STATUS, m[1])}］{m[2]}"),
        ],
        "handoff": [
            (r"(\w+)(?: \((\w+)\))?: (.*)",
             lambda m: name_of(HANDOFF_REASON, m[1])
                       + (f"（{name_of(DANGER, m[2])}）" if m[2] else "") + comment(m[3])),
        ],
        "outbound_call": [
            (r"(\w+) try (\d+)/(\d+): (\w+)(?: (\w+))?(?: — (.*))?",
             lambda m: f"{name_of(OUTBOUND_PURPOSE, m[1])}第{m[2]}/{m[3]}次："
                       f"{name_of(OUTBOUND_STATUS, m[4])}"
                       + (f"，{name_of(OUTBOUND_OUTCOME, m[5])}" if m[5] else "")
                       + comment(m[6])),
        ],
    }  # fmt: skip

    def summary(item: TimelineItem) -> str:
        for pattern, rewrite in patterns.get(item.kind, []):
            if match := re.fullmatch(pattern, item.summary, flags=re.DOTALL):
                return rewrite(match)
        return item.summary

    return [summary(item) for item in items]
