from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from api.auth.models import Role, StaffUser
from api.auth.schemas import (
    PasswordChange,
    PrincipalOut,
    RefreshRequest,
    StaffUserCreate,
    StaffUserOut,
    Token,
)
from api.auth.service import (
    change_own_password,
    create_staff_user,
    revoke_staff_tokens,
    staff_user_for_token,
)
from api.auth.throttle import LoginThrottleDep, client_address, throttled_login
from api.db import utcnow
from api.deps import AdminPrincipal, CurrentPrincipal, SessionDep, SettingsDep
from api.errors import AuthenticationError, PermissionDeniedError
from api.security import TokenType, create_token, decode_token
from api.settings import ApiSettings

router = APIRouter(tags=["auth"])


def token_pair(settings: ApiSettings, *, user: StaffUser, authenticated_at: datetime) -> Token:
    """A short access token and a refresh token; both end at the latest
    `refresh_token_minutes` after the password was typed, however often they are refreshed."""
    session_end = authenticated_at + timedelta(minutes=settings.refresh_token_minutes)
    minutes_left = max(1, int((session_end - utcnow()).total_seconds() // 60))
    access_minutes = min(settings.access_token_minutes, minutes_left)
    secret = settings.secret_key.get_secret_value()

    def token(token_type: TokenType, minutes: int) -> str:
        return create_token(
            token_type=token_type,
            subject=user.username,
            version=user.token_version,
            secret_key=secret,
            minutes=minutes,
            authenticated_at=authenticated_at,
        )

    return Token(
        access_token=token(TokenType.access, access_minutes),
        expires_in=access_minutes * 60,
        refresh_token=token(TokenType.refresh, minutes_left),
    )


@router.post(
    "/login/access-token",
    response_model=Token,
    responses={429: {"description": "Too many failed logins; see Retry-After"}},
)
def login_access_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    throttle: LoginThrottleDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """OAuth2 password flow for staff: exchange username and password for a bearer token
    (valid `expires_in` seconds) and a refresh token. Failed logins are throttled per account
    and per address (429 with Retry-After)."""
    user = throttled_login(
        session,
        throttle,
        username=form.username,
        password=form.password,
        address=client_address(request),
    )
    return token_pair(settings, user=user, authenticated_at=utcnow())


@router.post("/login/refresh-token", response_model=Token)
def refresh_access_token(data: RefreshRequest, session: SessionDep, settings: SettingsDep) -> Token:
    """A new token pair for a refresh token that has not expired or been revoked by logout."""
    claims = decode_token(
        token=data.refresh_token,
        token_type=TokenType.refresh,
        secret_key=settings.secret_key.get_secret_value(),
    )
    if claims is None:
        raise AuthenticationError("Invalid or expired refresh token: log in again")
    user = staff_user_for_token(session, claims)
    return token_pair(settings, user=user, authenticated_at=claims.authenticated_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Revoke every access and refresh token of the calling staff account (all its sessions)."""
    if principal.kind != "staff":
        raise PermissionDeniedError("Only staff log out; API keys are revoked by an operator")
    revoke_staff_tokens(session, username=principal.name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    data: PasswordChange, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """Change the caller's own password (checked against the policy); every token of the
    account is revoked, so log in again with the new password."""
    if principal.kind != "staff":
        raise PermissionDeniedError("Only staff accounts have a password")
    change_own_password(
        session,
        username=principal.name,
        current_password=data.current_password,
        new_password=data.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=PrincipalOut)
def read_me(principal: CurrentPrincipal) -> PrincipalOut:
    return PrincipalOut(kind=principal.kind, name=principal.name, role=principal.role)


@router.post("/staff-users", response_model=StaffUserOut, status_code=status.HTTP_201_CREATED)
def create_staff_account(
    data: StaffUserCreate, session: SessionDep, _admin: AdminPrincipal
) -> StaffUser:
    """Create a staff account (admins only); provider workers belong to one provider. The
    password must have 12 characters or more, not be the username and not be guessable."""
    return create_staff_user(
        session, data.username, data.password, Role(data.role), data.provider_id
    )


@router.get("/staff-users", response_model=list[StaffUserOut])
def list_staff_accounts(session: SessionDep, _admin: AdminPrincipal) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.id)))
