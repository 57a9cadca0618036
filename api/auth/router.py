from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.auth.schemas import PrincipalOut, Token
from api.auth.service import authenticate_staff
from api.deps import CurrentPrincipal, SessionDep, SettingsDep
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
