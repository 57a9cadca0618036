"""Logging in and out: the console session is a console-only staff token in a cookie."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth.service import revoke_staff_tokens
from api.auth.throttle import LoginThrottleDep, client_address, throttled_login
from api.console.web import Worker, end_console_session, render, start_console_session
from api.deps import STAFF_ROLES, SessionDep
from api.errors import AuthenticationError, ServiceBusyError, TooManyRequestsError

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    throttle: LoginThrottleDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    try:
        user = throttled_login(
            session,
            throttle,
            username=username.strip(),
            password=password,
            address=client_address(request),
        )
    except TooManyRequestsError as error:
        minutes = max(1, -(-error.retry_after_s // 60))
        page = render(
            request,
            "login.html",
            None,
            429,
            error=f"登录失败次数过多，请{minutes}分钟后再试；忘记密码请联系街道管理员重置。",
            username=username,
        )
        page.headers["Retry-After"] = str(error.retry_after_s)
        return page
    except ServiceBusyError as error:
        page = render(request, "login.html", None, 503, error="登录的人较多，请稍后再试。")
        page.headers["Retry-After"] = str(error.retry_after_s)
        return page
    except AuthenticationError:
        return render(
            request, "login.html", None, 401, error="用户名或密码不正确。", username=username
        )
    if user.role not in STAFF_ROLES:
        return render(
            request,
            "login.html",
            None,
            403,
            error="工作台仅供社工和街道管理员使用；服务人员请使用接单端。",
            username=username,
        )
    response = RedirectResponse("/console/", status_code=303)
    start_console_session(response, request, user)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, worker: Worker) -> RedirectResponse:
    """Ends the session everywhere: the account's tokens (console and API) are revoked."""
    revoke_staff_tokens(session, username=worker.name)
    response = RedirectResponse("/console/login", status_code=303)
    end_console_session(response, request)
    return response
