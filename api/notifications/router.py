from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from api.call_plans import service as call_plans
from api.deps import IntakePrincipal, SessionDep, SettingsDep, StaffPrincipal
from api.notifications import service
from api.notifications.models import Audience, Notification
from api.notifications.schemas import ClaimRequest, FailureReport, NotificationOut
from api.validation import RecordId

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.post("/claim", response_model=list[NotificationOut])
def claim_notifications(
    data: ClaimRequest, session: SessionDep, settings: SettingsDep, _sender: IntakePrincipal
) -> list[Notification]:
    """The WeChat front takes notices to send (leased for `lease_s`), oldest first. Callbacks
    overdue and outbound calls late by the configured grace become staff alerts here."""
    if Audience.staff in data.audiences:
        call_plans.note_late_calls(
            session,
            grace=timedelta(minutes=settings.outbound_late_minutes),
            tz=ZoneInfo(settings.console_timezone),
        )
    return service.claim(
        session,
        audiences=data.audiences,
        limit=data.limit,
        lease_s=data.lease_s,
        overdue_grace=timedelta(minutes=settings.callback_overdue_minutes),
        local=ZoneInfo(settings.console_timezone),
    )


@router.post("/{notification_id}/delivered", response_model=NotificationOut)
def confirm_delivery(
    notification_id: RecordId, session: SessionDep, _sender: IntakePrincipal
) -> Notification:
    """WeChat or WeCom took the message: it is not sent again."""
    return service.mark_delivered(session, notification_id=notification_id)


@router.post("/{notification_id}/failed", response_model=NotificationOut)
def report_failure(
    notification_id: RecordId, data: FailureReport, session: SessionDep, _sender: IntakePrincipal
) -> Notification:
    """The send failed: offered again after `retry_in_s`."""
    return service.mark_failed(
        session, notification_id=notification_id, error=data.error, retry_in_s=data.retry_in_s
    )


@router.get("", response_model=list[NotificationOut])
def list_notifications(
    session: SessionDep,
    _staff: StaffPrincipal,
    undelivered: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Notification]:
    """Notices, newest first (staff): `undelivered=true` shows what WeChat has not taken yet."""
    return service.list_notifications(session, undelivered=undelivered, limit=limit)
