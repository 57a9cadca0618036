from sqlalchemy import case, select
from sqlalchemy.orm import Session

from api.db import find_by_idempotency_key, get_or_not_found
from api.errors import InvalidInputError
from api.idempotency.service import batch_item_keys
from api.need_reports.models import NeedReport, NeedReportStatus
from api.need_reports.schemas import (
    LivestreamFollowUp,
    NeedChannel,
    NeedReportCreate,
    NeedReportUpdate,
)
from api.residents.models import Resident
from api.validation import parse_number

OPEN_STATUSES = (NeedReportStatus.open, NeedReportStatus.following_up)


def create_report(
    session: Session, data: NeedReportCreate, idempotency_key: str | None
) -> NeedReport:
    existing: NeedReport | None = find_by_idempotency_key(session, NeedReport, idempotency_key)
    if existing is not None:
        return existing
    report = NeedReport(**data.model_dump(), idempotency_key=idempotency_key)
    session.add(report)
    session.commit()
    return report


def create_batch(
    session: Session, items: list[NeedReportCreate], *, idempotency_key: str | None = None
) -> list[NeedReport]:
    """All or nothing: a livestream session's needs land together or not at all. A retry
    under the same Idempotency-Key returns the reports the first attempt filed."""
    keys = batch_item_keys(idempotency_key, len(items))
    if keys and keys[0] is not None:
        filed = {
            report.idempotency_key: report
            for report in session.scalars(
                select(NeedReport).where(NeedReport.idempotency_key.in_(keys))
            )
        }
        if filed:
            return [filed[key] for key in keys if key in filed]
    reports = [
        NeedReport(**item.model_dump(), idempotency_key=key)
        for item, key in zip(items, keys, strict=True)
    ]
    session.add_all(reports)
    session.commit()
    return reports


def _livestream_report(item: LivestreamFollowUp) -> NeedReportCreate:
    """The need report for a livestream question: who asked, how to reach them, what they
    asked and what the assistant said. Always a home visit: the host flagged the viewer
    because an answer on air was not enough."""
    who = item.viewer or "观众"
    contact = f"，联系方式 {item.contact}" if item.contact else "，未留联系方式"
    answer = item.answer or "（未回答）"
    return NeedReportCreate(
        channel=NeedChannel.livestream,
        sender_id=item.sender_id,
        text=f"直播观众{who}{contact}。提问：{item.question}\n助手回答：{answer}",
        needs_home_visit=True,
        source_detail=item.session_title,
    )


def file_livestream_follow_ups(
    session: Session, *, items: list[LivestreamFollowUp], idempotency_key: str | None = None
) -> list[NeedReport]:
    """One need report per flagged livestream question, all or nothing, and once per
    Idempotency-Key (like `create_batch`)."""
    if not items:
        return []
    return create_batch(
        session, [_livestream_report(item) for item in items], idempotency_key=idempotency_key
    )


def get_report(session: Session, number: str) -> NeedReport:
    report_id = parse_number(number, NeedReport.NUMBER_PREFIX)
    return get_or_not_found(session, NeedReport, report_id, f"Need report {number}")


def follow_up_queue(session: Session, include_done: bool, limit: int) -> list[NeedReport]:
    """Urgent first, then those needing a home visit, then oldest first."""
    query = (
        select(NeedReport)
        .order_by(
            case((NeedReport.urgent, 0), else_=1),
            case((NeedReport.needs_home_visit, 0), else_=1),
            NeedReport.id,
        )
        .limit(limit)
    )
    if not include_done:
        query = query.where(NeedReport.status.in_(OPEN_STATUSES))
    return list(session.scalars(query))


def update_report(session: Session, number: str, data: NeedReportUpdate) -> NeedReport:
    report = get_report(session, number)
    if data.resident_id is not None and session.get(Resident, data.resident_id) is None:
        raise InvalidInputError(f"Resident {data.resident_id} not found")
    values = data.model_dump(exclude_unset=True, exclude_none=True)
    note = values.pop("note", None)
    for field, value in values.items():
        setattr(report, field, value)
    if note:
        report.follow_up_note = f"{report.follow_up_note}\n{note}".strip()
    session.commit()
    return report
