"""What every console page shares: the logged-in worker and their session cookie, the CSRF
token of every form, rendering a template, the redirect after a form, and the Chinese message
for a refused step."""

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api.auth.models import StaffUser
from api.auth.service import Principal, staff_principal
from api.console import labels
from api.db import utcnow
from api.deps import STAFF_ROLES, SessionDep, SettingsDep
from api.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from api.security import TokenType, create_token, decode_token
from api.settings import ApiSettings

log = logging.getLogger(__name__)

CONSOLE = Path(__file__).resolve().parent
# The console session: a console-only staff JWT (not an API bearer token) in an HttpOnly,
# SameSite=Strict cookie, renewed while the worker is active, revoked by logging out.
COOKIE = "linli_console"
# The signed double-submit CSRF token: a random nonce in this cookie, and in every form the
# nonce with its HMAC under the backend's secret key (a sibling site that plants a cookie
# cannot sign a nonce of its own choosing).
CSRF_COOKIE = "linli_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
COOKIE_PATH = "/console"


class LoginRequired(Exception):
    """No valid console session: the worker is sent to the login page."""


class FormRefused(Exception):
    """A form post without a valid CSRF token, or from another origin: answered 403."""


@lru_cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=CONSOLE / "templates")


def cookies_are_secure(request: Request, settings: ApiSettings) -> bool:
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return request.url.scheme == "https"


def set_console_cookie(
    response: Response, request: Request, name: str, value: str, max_age_s: int | None
) -> None:
    settings: ApiSettings = request.app.state.settings
    response.set_cookie(
        name,
        value,
        max_age=max_age_s,
        httponly=True,
        samesite="strict",
        secure=cookies_are_secure(request, settings),
        path=COOKIE_PATH,
    )


def console_session_token(
    settings: ApiSettings, *, username: str, version: int, authenticated_at: datetime
) -> tuple[str, int]:
    """A console session token and its lifetime in seconds: `console_idle_minutes` from now,
    but never past `console_session_minutes` after the password was typed."""
    session_end = authenticated_at + timedelta(minutes=settings.console_session_minutes)
    seconds_left = int((session_end - utcnow()).total_seconds())
    minutes = max(1, min(settings.console_idle_minutes, seconds_left // 60))
    token = create_token(
        token_type=TokenType.console,
        subject=username,
        version=version,
        secret_key=settings.secret_key.get_secret_value(),
        minutes=minutes,
        authenticated_at=authenticated_at,
    )
    return token, minutes * 60


def start_console_session(response: Response, request: Request, user: StaffUser) -> None:
    settings: ApiSettings = request.app.state.settings
    token, max_age_s = console_session_token(
        settings, username=user.username, version=user.token_version, authenticated_at=utcnow()
    )
    set_console_cookie(response, request, COOKIE, token, max_age_s)


def end_console_session(response: Response, request: Request) -> None:
    settings: ApiSettings = request.app.state.settings
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=cookies_are_secure(request, settings),
    )


def console_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    token = request.cookies.get(COOKIE)
    claims = token and decode_token(
        token=token,
        token_type=TokenType.console,
        secret_key=settings.secret_key.get_secret_value(),
    )
    if not claims:
        raise LoginRequired()
    try:
        principal = staff_principal(session, claims)
    except AuthenticationError as error:
        raise LoginRequired() from error
    if principal.role not in STAFF_ROLES:
        raise LoginRequired()
    # An active worker's session goes on: `render` sends the renewed cookie with the page.
    request.state.renewed_console_session = console_session_token(
        settings,
        username=claims.subject,
        version=claims.version,
        authenticated_at=claims.authenticated_at,
    )
    return principal


def _csrf_signature(settings: ApiSettings, nonce: str) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"console-csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token the page's forms carry; a new nonce (and cookie, set by `render`) when the
    browser has none yet."""
    settings: ApiSettings = request.app.state.settings
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_nonce", None)
    if not nonce or len(nonce) > 100:
        nonce = secrets.token_urlsafe(32)
        request.state.new_csrf_nonce = nonce
    return f"{nonce}.{_csrf_signature(settings, nonce)}"


def _trusted_origin(request: Request, settings: ApiSettings, origin: str) -> bool:
    if origin in settings.console_trusted_origins:
        return True
    # The browser's origin must name the host the page was served from (compared as host and
    # port: a TLS proxy may hand the backend plain HTTP).
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


async def check_form_post(request: Request) -> None:
    """Every console form post: from the console's own origin (Origin, else Referer), with
    the signed token of the browser's CSRF cookie. SameSite does not stop a sibling site."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    settings: ApiSettings = request.app.state.settings
    origin = request.headers.get("origin")
    referer = request.headers.get("referer")
    if origin is not None:
        if not _trusted_origin(request, settings, origin):
            raise FormRefused(f"cross-origin form post from {origin[:100]!r}")
    elif referer is not None:
        parts = urlsplit(referer)
        if not _trusted_origin(request, settings, f"{parts.scheme}://{parts.netloc}"):
            raise FormRefused("form post referred from another site")
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if not isinstance(sent, str) or not nonce:
        raise FormRefused("form post without a CSRF cookie or token")
    sent_nonce, _, signature = sent.partition(".")
    expected = _csrf_signature(settings, nonce)
    if not (
        hmac.compare_digest(sent_nonce.encode(), nonce.encode())
        and hmac.compare_digest(signature.encode(), expected.encode())
    ):
        raise FormRefused("form post with a wrong CSRF token")


# The social worker or admin logged in to the console.
Worker = Annotated[Principal, Depends(console_principal)]


def chinese_error(error: Exception) -> str:
    """What the worker reads; the English detail goes to the operators' log."""
    log.info("console: refused: %s", error)
    if isinstance(error, NotFoundError):
        return "找不到这条记录，可能编号有误或已被删除。"
    if isinstance(error, PermissionDeniedError):
        return "您的账号没有权限做这一步，请联系街道管理员。"
    if isinstance(error, ConflictError):
        return "这一步没有完成：记录的状态已经变化或不允许这样操作，请刷新页面后再试。"
    if isinstance(error, InvalidInputError | ValidationError):
        return "填写的内容有误，请检查后再提交。"
    return "操作没有完成，请稍后再试。"


def local_time(settings: ApiSettings, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(settings.console_timezone)).strftime("%Y-%m-%d %H:%M")


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    settings: ApiSettings = request.app.state.settings
    token = csrf_token(request)
    response = templates().TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "labels": labels,
            "label": labels.label,
            "when": lambda moment: local_time(settings, moment),
            "notice": request.query_params.get("notice", "")[:100],
            "csrf_token": token,
            "back_href": same_site_referer(request),
            **context,
        },
        status_code=status_code,
    )
    # No Max-Age: the nonce lasts as long as the browser session.
    if nonce := getattr(request.state, "new_csrf_nonce", None):
        set_console_cookie(response, request, CSRF_COOKIE, nonce, None)
    if principal is not None and (
        renewed := getattr(request.state, "renewed_console_session", None)
    ):
        set_console_cookie(response, request, COOKIE, *renewed)
    return response


def same_site_referer(request: Request) -> str:
    """Where "back" goes on a message page: the console page the worker came from."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc.lower() == request.headers.get("host", "").lower() and (
        referer.path.startswith(f"{COOKIE_PATH}/")
    ):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return f"{COOKIE_PATH}/"


def refused(
    request: Request, worker: Principal, status_code: int, error: Exception
) -> HTMLResponse:
    """The message page for a step the services refused."""
    return render(request, "message.html", worker, status_code, message=chinese_error(error))


def back(path: str, notice: str) -> RedirectResponse:
    """Post/redirect/get with a short Chinese confirmation shown on the next page."""
    return RedirectResponse(f"{path}?notice={quote(notice)}", status_code=303)
