"""What every console page shares: the logged-in worker, rendering a template, the redirect
after a form, and the Chinese message for a refused step."""

import logging
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api.auth.service import Principal, staff_principal
from api.console import labels
from api.deps import STAFF_ROLES, SessionDep, SettingsDep
from api.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from api.security import decode_access_token
from api.settings import ApiSettings

log = logging.getLogger(__name__)

CONSOLE = Path(__file__).resolve().parent
# The console session: the API's staff JWT in an HttpOnly, SameSite=Strict cookie.
COOKIE = "linli_console"


class LoginRequired(Exception):
    """No valid console session: the worker is sent to the login page."""


@lru_cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=CONSOLE / "templates")


def console_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    token = request.cookies.get(COOKIE)
    subject = token and decode_access_token(token, settings.secret_key.get_secret_value())
    if not subject:
        raise LoginRequired()
    try:
        principal = staff_principal(session, subject)
    except AuthenticationError as error:
        raise LoginRequired() from error
    if principal.role not in STAFF_ROLES:
        raise LoginRequired()
    return principal


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
    return templates().TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "labels": labels,
            "label": labels.label,
            "when": lambda moment: local_time(settings, moment),
            "notice": request.query_params.get("notice", "")[:100],
            **context,
        },
        status_code=status_code,
    )


def refused(
    request: Request, worker: Principal, status_code: int, error: Exception
) -> HTMLResponse:
    """The message page for a step the services refused."""
    return render(request, "message.html", worker, status_code, message=chinese_error(error))


def back(path: str, notice: str) -> RedirectResponse:
    """Post/redirect/get with a short Chinese confirmation shown on the next page."""
    return RedirectResponse(f"{path}?notice={quote(notice)}", status_code=303)
