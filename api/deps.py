"""Shared FastAPI dependencies: database session, settings and the calling principal."""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.auth.fronts import check_front_policy, json_body
from api.auth.models import Role
from api.auth.service import Principal, api_key_principal, staff_principal
from api.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from api.id_numbers import IdNumberVault, vault_for
from api.idempotency.service import bind_idempotency_key, request_fingerprint
from api.security import decode_access_token
from api.settings import ApiSettings


def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/login/access-token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_principal(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    if api_key:
        return api_key_principal(session, api_key)
    if token:
        claims = decode_access_token(token, settings.secret_key.get_secret_value())
        if claims is None:
            raise AuthenticationError("Invalid or expired token")
        return staff_principal(session, claims)
    raise AuthenticationError("Not authenticated: send a bearer token or an X-API-Key header")


async def get_principal_within_front(
    request: Request, principal: Annotated[Principal, Depends(get_principal)]
) -> Principal:
    """The caller, once its front may make this request: a front's key acts only on its
    routes, for its senders and on its channel (api/auth/fronts.py)."""
    route = getattr(request.scope.get("route"), "path", None)
    senders = request.query_params.getlist("sender_id")
    body = json_body(await request.body()) if request.method in ("POST", "PUT", "PATCH") else None
    check_front_policy(principal, method=request.method, route=route, senders=senders, body=body)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal_within_front)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise PermissionDeniedError(f"Role '{principal.role}' may not do this")
        return principal

    return _check


STAFF_ROLES = (Role.admin, Role.social_worker)
StaffPrincipal = Annotated[Principal, Depends(require_roles(*STAFF_ROLES))]
AdminPrincipal = Annotated[Principal, Depends(require_roles(Role.admin))]
IntakePrincipal = Annotated[Principal, Depends(require_roles(*STAFF_ROLES, Role.channel))]
WorkerPrincipal = Annotated[Principal, Depends(require_roles(*STAFF_ROLES, Role.provider_worker))]
AnyPrincipal = Annotated[
    Principal, Depends(require_roles(*STAFF_ROLES, Role.provider_worker, Role.channel))
]


async def get_idempotency_key(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> str | None:
    """The client's key for a retried write (a blank key is no key), bound to this request:
    the same key from another caller or with another body is refused with 422."""
    key = (idempotency_key or "").strip()
    if not key:
        return None
    fingerprint = request_fingerprint(
        principal=principal, method=request.method, path=request.url.path, body=await request.body()
    )
    bind_idempotency_key(session, key=key, fingerprint=fingerprint)
    return key


IdempotencyKey = Annotated[str | None, Depends(get_idempotency_key)]


def get_id_number_vault(settings: SettingsDep) -> IdNumberVault:
    key = settings.id_number_key.get_secret_value() if settings.id_number_key else None
    return vault_for(key)


VaultDep = Annotated[IdNumberVault, Depends(get_id_number_vault)]


def require_own_records(principal: Principal, sender_id: str | None) -> None:
    """Channels may list only the records of the conversation they speak for."""
    if principal.role == Role.channel and not sender_id:
        raise PermissionDeniedError("Channels must filter by sender_id")


def require_owner(
    principal: Principal, sender_id: str | None, record_sender_id: str | None, what: str
) -> None:
    """A channel speaks for one resident (the conversation `sender_id`) and sees only their
    records; another resident's record answers 404, so numbers cannot be probed."""
    if principal.role != Role.channel:
        return
    require_own_records(principal, sender_id)
    if record_sender_id != sender_id:
        raise NotFoundError(f"{what} not found")
