from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from api.auth.models import Role, StaffUser
from api.auth.schemas import PrincipalOut, StaffUserCreate, StaffUserOut, Token
from api.auth.service import authenticate_staff, create_staff_user
from api.deps import AdminPrincipal, CurrentPrincipal, SessionDep, SettingsDep
from api.security import create_access_token

router = APIRouter(tags=["auth"])


@router.post("/login/access-token", response_model=Token)
def login_access_token(
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """OAuth2 password flow for staff: exchange username and password for a bearer token."""
    user = authenticate_staff(session, form.username, form.password)
    token = create_access_token(
        user.username,
        settings.secret_key.get_secret_value(),
        settings.access_token_minutes,
    )
    return Token(access_token=token)


@router.get("/me", response_model=PrincipalOut)
def read_me(principal: CurrentPrincipal) -> PrincipalOut:
    return PrincipalOut(kind=principal.kind, name=principal.name, role=principal.role)


@router.post("/staff-users", response_model=StaffUserOut, status_code=status.HTTP_201_CREATED)
def create_staff_account(
    data: StaffUserCreate, session: SessionDep, _admin: AdminPrincipal
) -> StaffUser:
    """Create a staff account (admins only); provider workers belong to one provider."""
    return create_staff_user(
        session, data.username, data.password, Role(data.role), data.provider_id
    )


@router.get("/staff-users", response_model=list[StaffUserOut])
def list_staff_accounts(session: SessionDep, _admin: AdminPrincipal) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.id)))
