"""The worker's queue, the console's home page."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.console.queue import (
    AGE_CHOICES,
    KINDS,
    STATUS_CHOICES,
    URGENCY_CHOICES,
    QueueFilters,
    emergencies,
    work_items,
)
from api.console.web import Worker, render
from api.db import utcnow
from api.deps import SessionDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request,
    session: SessionDep,
    worker: Worker,
    kind: Annotated[str, Query(alias="type", max_length=20)] = "",
    status: Annotated[str, Query(max_length=40)] = "open",
    age: Annotated[str, Query(max_length=10)] = "",
    urgency: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    filters = QueueFilters.parse(kind, status, age, urgency)
    items = work_items(session, utcnow())
    return render(
        request,
        "queue.html",
        worker,
        filters=filters,
        alerts=emergencies(items),
        items=[item for item in items if filters.keep(item)],
        kinds=KINDS,
        statuses=STATUS_CHOICES,
        ages=AGE_CHOICES,
        urgencies=URGENCY_CHOICES,
    )
