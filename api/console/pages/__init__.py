"""The console pages, one module per page. Each page reads through the domain services, each
form posts back to its page and redirects (post/redirect/get), and a refused step shows the
worker a Chinese message (`api.console.web`)."""

from fastapi import APIRouter

from api.console.pages import (
    bookings,
    callbacks,
    case,
    charts,
    host,
    login,
    needs,
    providers,
    queue,
)

router = APIRouter(prefix="/console", include_in_schema=False)
for page in (login, queue, case, bookings, callbacks, needs, providers, charts, host):
    router.include_router(page.router)
