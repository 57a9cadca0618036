"""Today's callbacks (回访), overdue ones included, and recording what the resident said."""

from datetime import datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.call_plans.service import soon_within_calling_hours
from api.callbacks import service as callbacks
from api.callbacks.schemas import CallbackRecord
from api.console.web import Worker, back, refused, render
from api.db import utcnow
from api.deps import SessionDep, SettingsDep
from api.errors import DomainError
from api.residents.service import residents_by_id

router = APIRouter()
# More than a street's social workers call back in a day; the rest show up tomorrow.
MAX_DUE = 500


@router.get("/callbacks", response_class=HTMLResponse)
def callbacks_page(
    request: Request, session: SessionDep, settings: SettingsDep, worker: Worker
) -> HTMLResponse:
    zone = ZoneInfo(settings.console_timezone)
    today = utcnow().astimezone(zone).date()
    end_of_today = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    start_of_today = datetime.combine(today, time.min, tzinfo=zone)
    due = callbacks.callbacks_due(session, before=end_of_today, limit=MAX_DUE)
    return render(
        request,
        "callbacks.html",
        worker,
        due=due,
        residents=residents_by_id(session, ids={callback.resident_id for callback in due}),
        start_of_today=start_of_today,
        today=today,
        callback_hour=soon_within_calling_hours(utcnow().astimezone(zone)),
    )


@router.post("/callbacks/{callback_id}", response_model=None)
def record_callback(
    request: Request,
    session: SessionDep,
    worker: Worker,
    callback_id: int,
    reached: Annotated[str, Form(max_length=5)],
    rating: Annotated[str, Form(max_length=2)] = "",
    complaint: Annotated[str, Form(max_length=5)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        data = CallbackRecord(
            reached=reached == "yes",
            rating=int(rating) if rating else None,
            is_complaint=complaint == "yes",
            note=note,
        )
        callbacks.record_callback(session, callback_id, data, worker)
    except (DomainError, ValidationError, ValueError) as error:
        session.rollback()
        return refused(request, worker, 409, error)
    return back("/console/callbacks", "回访结果已记录。")
