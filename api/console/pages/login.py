"""Logging in and out: the console session is the API's staff token in a cookie."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth.service import authenticate_staff
from api.console.web import COOKIE, render
from api.deps import STAFF_ROLES, SessionDep, SettingsDep
from api.errors import AuthenticationError
from api.security import create_access_token

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    try:
        user = authenticate_staff(session, username.strip(), password)
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
    token = create_access_token(
        user.username, settings.secret_key.get_secret_value(), settings.access_token_minutes
    )
    response = RedirectResponse("/console/", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.access_token_minutes * 60,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/console",
    )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response
