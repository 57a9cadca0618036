import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from api.auth.models import ApiKey, Role, StaffUser
from api.db import utcnow
from api.errors import AuthenticationError, ConflictError, InvalidInputError, NotFoundError
from api.providers.models import Provider
from api.security import (
    TokenClaims,
    hash_api_key,
    hash_password,
    spend_password_check_time,
    verify_and_update_password,
    verify_password,
)

# The password policy for staff accounts: long, and not guessable by zxcvbn's estimate (which
# knows the common-password lists, keyboard walks, dates, l33t spellings and the username).
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
# zxcvbn's 0-4 scale: 3 is "safely unguessable: moderate protection from offline attacks".
MIN_PASSWORD_SCORE = 3


@dataclass(frozen=True)
class Principal:
    """Whoever is calling: a logged-in staff member or a channel holding an API key."""

    kind: str  # "staff" or "api_key"
    name: str
    role: Role
    # Provider workers see and act on the bookings of their own provider only.
    provider_id: int | None = None
    # For an API key: the front holding it (api/auth/fronts.py), which bounds what it may do.
    front: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.admin, Role.social_worker)


def authenticate_staff(session: Session, username: str, password: str) -> StaffUser:
    """The active account whose password this is. An unknown or inactive account costs the
    same hashing time as a wrong password, so response times do not tell which exist."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.is_active:
        spend_password_check_time(password)
        raise AuthenticationError("Incorrect username or password")
    matches, upgraded_hash = verify_and_update_password(password, user.hashed_password)
    if not matches:
        raise AuthenticationError("Incorrect username or password")
    if upgraded_hash is not None:
        user.hashed_password = upgraded_hash
        session.commit()
    return user


def staff_user_for_token(session: Session, claims: TokenClaims) -> StaffUser:
    """The active account a token was issued to, while the token is not revoked."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == claims.subject))
    if user is None or not user.is_active:
        raise AuthenticationError("Unknown or inactive user")
    if claims.version != user.token_version:
        raise AuthenticationError("Token revoked: log in again")
    return user


def staff_principal(session: Session, claims: TokenClaims) -> Principal:
    user = staff_user_for_token(session, claims)
    return Principal(
        kind="staff", name=user.username, role=Role(user.role), provider_id=user.provider_id
    )


def revoke_staff_tokens(session: Session, *, username: str) -> None:
    """Logout: every token issued to the account so far stops working."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is not None:
        user.token_version += 1
        session.commit()


def check_password_policy(*, password: str, username: str) -> None:
    """Refuse a password that is short, the username, or guessable (InvalidInputError)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"Password too short: use at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError(f"Password too long: at most {MAX_PASSWORD_LENGTH} characters")
    if password.casefold() == username.casefold():
        raise InvalidInputError("Password must not be the username")
    # zxcvbn refuses over 72 characters by default (its matching grows fast with length);
    # our cap is 128, so tell it ours rather than let a long passphrase become a 500.
    strength = zxcvbn(password, user_inputs=[username], max_length=MAX_PASSWORD_LENGTH)
    if strength["score"] < MIN_PASSWORD_SCORE:
        hint = strength["feedback"]["warning"] or "it is too easy to guess"
        raise InvalidInputError(f"Password too weak: {hint}. Use a longer passphrase")


def set_staff_password(session: Session, *, username: str, password: str) -> StaffUser:
    """A new password (checked against the policy); every earlier token is revoked."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise NotFoundError(f"User '{username}' not found")
    check_password_policy(password=password, username=username)
    user.hashed_password = hash_password(password)
    user.password_changed_at = utcnow()
    user.token_version += 1
    session.commit()
    return user


def change_own_password(
    session: Session, *, username: str, current_password: str, new_password: str
) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not verify_password(current_password, user.hashed_password):
        raise AuthenticationError("Current password is incorrect")
    return set_staff_password(session, username=username, password=new_password)


def generate_password() -> str:
    """A random password that passes the policy: five groups of four from an alphabet without
    look-alike characters, e.g. for an operator to read out."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(5))


def api_key_principal(session: Session, key: str) -> Principal:
    api_key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    if api_key is None or not api_key.is_active:
        raise AuthenticationError("Invalid API key")
    return Principal(
        kind="api_key", name=api_key.name, role=Role(api_key.role), front=api_key.front
    )


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
    check_password_policy(password=password, username=username)
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


def ensure_api_key(
    session: Session, *, name: str, key: str, front: str, role: Role = Role.channel
) -> ApiKey:
    """Register `key` under `name` for `front`, replacing the key a previous start-up
    registered (so rotating a key in var/linli.env and restarting retires the old one)."""
    api_key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if api_key is None:
        api_key = ApiKey(name=name, key_hash=hash_api_key(key), role=role, front=front)
        session.add(api_key)
    else:
        api_key.key_hash = hash_api_key(key)
        api_key.front = front
        api_key.is_active = True
    return api_key
