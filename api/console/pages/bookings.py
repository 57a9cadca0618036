"""Bookings waiting for a worker, and dispatching them."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.auth.service import Principal
from api.bookings import dispatching
from api.bookings import service as bookings
from api.bookings.models import Booking, BookingStatus
from api.bookings.schemas import BookingDispatch
from api.catalogue.service import load_services
from api.console import labels
from api.console.web import Worker, back, chinese_error, render
from api.deps import SessionDep
from api.errors import DomainError

router = APIRouter()


def dispatch_choices(
    session: Session, listed: Sequence[Booking]
) -> dict[str, list[tuple[str, str]]]:
    """For each service code of the listed bookings, the (form value, label) of every worker
    the bookings service would dispatch such a booking to."""
    eligible = dispatching.eligible_workers(
        session, service_codes={booking.service_code for booking in listed}
    )
    return {
        code: [
            (
                f"{choice.provider_id}:{choice.username}",
                f"{choice.provider_name} · {choice.username}（{labels.LIGHT[choice.light][0]}）",
            )
            for choice in workers
        ]
        for code, workers in eligible.items()
    }


def bookings_page(
    request: Request, session: Session, worker: Principal, status_code: int = 200, error: str = ""
) -> HTMLResponse:
    waiting = bookings.list_bookings(session, status=BookingStatus.requested, limit=200)
    dispatched = bookings.list_bookings(session, status=BookingStatus.dispatched, limit=200)
    return render(
        request,
        "bookings.html",
        worker,
        status_code,
        waiting=sorted(waiting, key=lambda b: b.scheduled_at),
        dispatched=sorted(dispatched, key=lambda b: b.scheduled_at),
        services=load_services(),
        choices=dispatch_choices(session, [*waiting, *dispatched]),
        error=error,
    )


@router.get("/bookings", response_class=HTMLResponse)
def bookings_list(request: Request, session: SessionDep, worker: Worker) -> HTMLResponse:
    return bookings_page(request, session, worker)


@router.post("/bookings/{number}/dispatch", response_model=None)
def dispatch_booking(
    request: Request,
    session: SessionDep,
    worker: Worker,
    number: str,
    assignee: Annotated[str, Form(max_length=100)],
) -> Response:
    provider_id, _, username = assignee.partition(":")
    try:
        data = BookingDispatch(provider_id=int(provider_id or 0), worker=username)
        booking = dispatching.dispatch(session, number, data)
    except (DomainError, ValidationError, ValueError) as error:
        session.rollback()
        return bookings_page(request, session, worker, 409, chinese_error(error))
    return back("/console/bookings", f"{booking.number} 已派给 {booking.worker_username}。")
