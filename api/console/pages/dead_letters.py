"""Residents' requests the backend refused after the assistant had kept them (the action
server's outbox dead letters): a worker calls the resident back, nothing is dropped silently."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.console.web import Worker, render
from api.dead_letters import service as dead_letters
from api.deps import SessionDep

router = APIRouter()

# What each refused write was, in the workers' words.
KINDS = {
    "/bookings": "上门服务预约",
    "/booking-plans": "定期服务预约",
    "/cases": "救助申请",
    "/handoffs": "转人工",
    "/need-reports": "需求上报",
    "/feedback": "评价或投诉",
}


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters_page(request: Request, session: SessionDep, worker: Worker) -> HTMLResponse:
    return render(
        request,
        "dead_letters.html",
        worker,
        letters=dead_letters.list_dead_letters(session, limit=300),
        kinds=KINDS,
    )
