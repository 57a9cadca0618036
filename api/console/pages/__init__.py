"""The console pages, one module per page. Each page reads through the domain services, each
form posts back to its page and redirects (post/redirect/get), and a refused step shows the
worker a Chinese message (`api.console.web`)."""

from fastapi import APIRouter, Depends

from api.console.pages import (
    bookings,
    callbacks,
    case,
    charts,
    dead_letters,
    host,
    login,
    needs,
    outbound,
    providers,
    queue,
)
from api.console.web import check_form_post

# Every form post is checked for its origin and CSRF token before the page sees it.
router = APIRouter(
    prefix="/console", include_in_schema=False, dependencies=[Depends(check_form_post)]
)
PAGES = (
    login,
    queue,
    case,
    bookings,
    callbacks,
    outbound,
    needs,
    providers,
    charts,
    host,
    dead_letters,
)
for page in PAGES:
    router.include_router(page.router)
