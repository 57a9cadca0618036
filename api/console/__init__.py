"""Web consoles served by the backend: the social workers' console and the livestream host's.

Server-rendered (Jinja2) pages over the domain services, Chinese UI, no JavaScript needed.
Staff log in with their backend account; the session is the same JWT the API issues, kept in
an HttpOnly, SameSite=Strict cookie (which also keeps other sites from posting the forms).

`pages/` holds one router module per page, `web.py` what they share; the other modules are
the pieces pages are built from (queue items, timeline wording, SVG charts, the host's Rasa
batch, Chinese labels).
"""

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.console.pages import router
from api.console.web import CONSOLE, LoginRequired

__all__ = ["mount_console", "router"]


def mount_console(app: FastAPI) -> None:
    """The pages under /console, their static files, and the login redirect."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=CONSOLE / "static"), name="console-static")

    async def to_login(request: Request, error: Exception) -> Response:
        return RedirectResponse("/console/login", status_code=303)

    app.add_exception_handler(LoginRequired, to_login)
