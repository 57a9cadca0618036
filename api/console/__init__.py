"""Web consoles served by the backend: the social workers' console and the livestream host's.

Server-rendered (Jinja2) pages over the domain services, Chinese UI, no JavaScript (the
Content-Security-Policy forbids inline script and style). Staff log in with their backend
account; the session is a console-only JWT in an HttpOnly, SameSite=Strict cookie, and every
form post must come from the console's origin with the signed CSRF token of its page.

`pages/` holds one router module per page, `web.py` what they share; the other modules are
the pieces pages are built from (queue items, timeline wording, SVG charts, the host's Rasa
batch, Chinese labels).
"""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.console.pages import router
from api.console.web import CONSOLE, FormRefused, LoginRequired, render

__all__ = ["mount_console", "router"]

log = logging.getLogger(__name__)


def mount_console(app: FastAPI) -> None:
    """The pages under /console, their static files, and the login redirect."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=CONSOLE / "static"), name="console-static")

    async def to_login(request: Request, error: Exception) -> Response:
        return RedirectResponse("/console/login", status_code=303)

    app.add_exception_handler(LoginRequired, to_login)

    async def refuse_form(request: Request, error: Exception) -> Response:
        log.warning("console: form refused: %s", error)
        return render(
            request,
            "message.html",
            None,
            403,
            message="这次提交没有被接受：页面已过期或不是从工作台提交的。请返回刷新页面后再提交。",
        )

    app.add_exception_handler(FormRefused, refuse_form)
