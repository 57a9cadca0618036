from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import ApiKey, Role, StaffUser
from api.errors import AuthenticationError, ConflictError, InvalidInputError
from api.providers.models import Provider
from api.security import hash_api_key, hash_password, verify_password


@dataclass(frozen=True)
class Principal:
    """Whoever is calling: a logged-in staff member or a channel holding an API key."""

    kind: str  # "staff" or "api_key"
    name: str
    role: Role
    # Provider workers see and act on the bookings of their own provider only.
    provider_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.admin, Role.social_worker)


def authenticate_staff(session: Session, username: str, password: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.is_active or not verify_password(password, user.hashed_password):
        raise AuthenticationError("Incorrect username or password")
    return user


def staff_principal(session: Session, username: str) -> Principal:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.is_active:
        raise AuthenticationError("Unknown or inactive user")
    return Principal(
        kind="staff", name=user.username, role=Role(user.role), provider_id=user.provider_id
    )


def api_key_principal(session: Session, key: str) -> Principal:
    api_key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    if api_key is None or not api_key.is_active:
        raise AuthenticationError("Invalid API key")
    return Principal(kind="api_key", name=api_key.name, role=Role(api_key.role))


def create_staff_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    provider_id: int | None,
) -> StaffUser:
    if role == Role.provider_worker:
        if provider_id is None or session.get(Provider, provider_id) is None:
            raise InvalidInputError("A provider worker needs the id of an existing provider")
    elif provider_id is not None:
        raise InvalidInputError("Only provider workers belong to a provider")
    if session.scalar(select(StaffUser).where(StaffUser.username == username)) is not None:
        raise ConflictError(f"User '{username}' already exists")
    user = StaffUser(
        username=username,
        hashed_password=hash_password(password),
        role=role,
        provider_id=provider_id,
    )
    session.add(user)
    session.commit()
    return user


def ensure_staff_user(session: Session, username: str, password: str, role: Role) -> StaffUser:
    """Create the account if it does not exist; an existing account keeps its password."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        user = StaffUser(username=username, hashed_password=hash_password(password), role=role)
        session.add(user)
    return user


def ensure_api_key(session: Session, name: str, key: str, role: Role = Role.channel) -> ApiKey:
    """Register `key` under `name`, replacing the key a previous start-up registered."""
    api_key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if api_key is None:
        api_key = ApiKey(name=name, key_hash=hash_api_key(key), role=role)
        session.add(api_key)
    else:
        api_key.key_hash = hash_api_key(key)
        api_key.is_active = True
    return api_key
