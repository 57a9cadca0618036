"""The worker's queue: aid applications, need reports and hand-offs in one list, with the
emergencies pinned above it whatever the filters say."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from api.cases.models import CaseStatus
from api.cases.service import AGE_BUCKETS, FINAL_STATUSES, list_cases
from api.console.labels import CASE_STATUS, DANGER, HANDOFF_REASON, NEED_STATUS, label
from api.handoffs.schemas import HandoffReason
from api.handoffs.service import list_open_handoffs
from api.need_reports.service import follow_up_queue
from api.policies.service import load_knowledge_base

KINDS = {"case": "救助申请", "need": "需求上报", "handoff": "转人工"}
# "open": everything someone still has to act on; "all" includes finished records.
STATUS_CHOICES = {
    "open": "未办结",
    "all": "全部（含已办结）",
    **{f"case:{status}": f"申请：{name}" for status, name in CASE_STATUS.items()},
    **{f"need:{status}": f"需求：{name}" for status, name in NEED_STATUS.items()},
}
AGE_CHOICES = {
    f"{low}-{'' if high is None else high}": (f"{low}天以上" if high is None else f"{low}–{high}天")
    for low, high in AGE_BUCKETS
}
URGENCY_CHOICES = {"urgent": "紧急", "normal": "普通"}
QUEUE_LIMIT = 300


@dataclass(frozen=True)
class QueueItem:
    kind: str  # a key of KINDS
    reference: str  # A000001, N000001, H000001
    title: str
    status: str  # "case:accepted", "need:open", "handoff:open"
    status_label: str
    created_at: datetime
    age_days: int
    urgent: bool
    is_open: bool
    link: str | None


@dataclass(frozen=True)
class QueueFilters:
    kind: str = ""
    status: str = "open"
    age: str = ""
    urgency: str = ""

    def keep(self, item: QueueItem) -> bool:
        if self.kind and item.kind != self.kind:
            return False
        if self.status == "open" and not item.is_open:
            return False
        if self.status not in ("open", "all", "") and item.status != self.status:
            return False
        if self.age:
            low, _, high = self.age.partition("-")
            if item.age_days < int(low) or (high and item.age_days > int(high)):
                return False
        return not self.urgency or item.urgent == (self.urgency == "urgent")

    @classmethod
    def parse(cls, kind: str, status: str, age: str, urgency: str) -> "QueueFilters":
        """Unknown values (a hand-edited URL) mean no filter rather than an error page."""
        return cls(
            kind=kind if kind in KINDS else "",
            status=status if status in STATUS_CHOICES else "open",
            age=age if age in AGE_CHOICES else "",
            urgency=urgency if urgency in URGENCY_CHOICES else "",
        )


def work_items(session: Session, now: datetime) -> list[QueueItem]:
    policies, _ = load_knowledge_base()
    items: list[QueueItem] = []
    for case in list_cases(session, limit=QUEUE_LIMIT):
        policy = policies.get(case.policy_code)
        items.append(
            QueueItem(
                kind="case",
                reference=case.number,
                title=f"{case.applicant_name} 申请{policy.name if policy else case.policy_code}",
                status=f"case:{case.status}",
                status_label=label(CASE_STATUS, case.status),
                created_at=case.created_at,
                age_days=(now - case.created_at).days,
                urgent=False,
                is_open=CaseStatus(case.status) not in FINAL_STATUSES,
                link=f"/console/cases/{case.number}",
            )
        )
    for report in follow_up_queue(session, include_done=True, limit=QUEUE_LIMIT):
        items.append(
            QueueItem(
                kind="need",
                reference=report.number,
                title=report.text[:60],
                status=f"need:{report.status}",
                status_label=label(NEED_STATUS, report.status),
                created_at=report.created_at,
                age_days=(now - report.created_at).days,
                urgent=report.urgent,
                is_open=report.status in ("open", "following_up"),
                link=f"/console/needs#{report.number}",
            )
        )
    for handoff in list_open_handoffs(session, limit=QUEUE_LIMIT):
        reason = label(HANDOFF_REASON, handoff.reason)
        if handoff.danger:
            reason += f"·{label(DANGER, handoff.danger)}"
        contact = f"（{handoff.phone}）" if handoff.phone else ""
        items.append(
            QueueItem(
                kind="handoff",
                reference=handoff.number,
                title=f"{reason}{contact}：{handoff.last_message[:60]}",
                status="handoff:open",
                status_label="待处理",
                created_at=handoff.created_at,
                age_days=(now - handoff.created_at).days,
                urgent=handoff.reason == HandoffReason.emergency,
                is_open=True,
                link=None,
            )
        )
    # Urgent first, then the oldest: the longest wait is the next to act on.
    items.sort(key=lambda item: (not item.urgent, item.created_at))
    return items


def emergencies(items: list[QueueItem]) -> list[QueueItem]:
    return [item for item in items if item.urgent and item.is_open]
