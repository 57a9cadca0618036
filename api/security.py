"""Password hashing, staff JWTs and channel API keys."""

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from api.db import utcnow
from api.errors import ServiceBusyError

JWT_ALGORITHM = "HS256"
# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): ~20 ms a hash on one core. The library's
# default (64 MiB, 4 lanes) let a burst of parallel logins take gigabytes; with the bound on
# concurrent hashing below, logins use at most HASHING_SLOTS x 19 MiB whatever arrives.
_password_hash = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19 * 1024, parallelism=1),))
# Hashes that may run at once (the machine has 2 cores); a login waits for a slot this long
# before it is answered "busy, retry" instead of queueing without end.
HASHING_SLOTS = 2
HASHING_WAIT_S = 10.0
_hashing_slots = threading.BoundedSemaphore(HASHING_SLOTS)


class _HashingSlot:
    def __enter__(self) -> None:
        if not _hashing_slots.acquire(timeout=HASHING_WAIT_S):
            raise ServiceBusyError("Too many logins at once; retry in a few seconds", 5)

    def __exit__(self, *_exc: object) -> None:
        _hashing_slots.release()


def hash_password(password: str) -> str:
    with _HashingSlot():
        return _password_hash.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    with _HashingSlot():
        return _password_hash.verify(password, hashed)


def verify_and_update_password(password: str, hashed: str) -> tuple[bool, str | None]:
    """Whether the password matches, and a new hash when the stored one used older parameters
    (so accounts move to the current argon2 cost as their owners log in)."""
    with _HashingSlot():
        return _password_hash.verify_and_update(password, hashed)


@lru_cache
def _dummy_hash() -> str:
    return _password_hash.hash(secrets.token_urlsafe(16))


def spend_password_check_time(password: str) -> None:
    """Verify against a dummy hash, so that an unknown username costs the same time as a wrong
    password and timing does not tell which usernames exist."""
    verify_password(password, _dummy_hash())


class TokenType(StrEnum):
    # An API bearer token (short-lived).
    access = "access"
    # Exchanged for a new access token at /login/refresh-token; never a bearer token.
    refresh = "refresh"
    # The web console's session cookie; never a bearer token either.
    console = "console"


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    # The staff user's token version when the token was issued: logout and a password change
    # bump the version, which revokes every token issued before.
    version: int
    # When the person typed their password: a refreshed token keeps it, so a session has an
    # absolute end however often it is refreshed.
    authenticated_at: datetime


def create_token(
    *,
    token_type: TokenType,
    subject: str,
    version: int,
    secret_key: str,
    minutes: int,
    authenticated_at: datetime | None = None,
) -> str:
    now = utcnow()
    payload = {
        "sub": subject,
        "typ": token_type.value,
        "ver": version,
        "auth_time": int((authenticated_at or now).timestamp()),
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(payload, secret_key, algorithm=JWT_ALGORITHM)


def decode_token(*, token: str, token_type: TokenType, secret_key: str) -> TokenClaims | None:
    """The token's claims, or None when it is invalid, expired or of another type."""
    try:
        payload = jwt.decode(
            token,
            secret_key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "exp", "typ", "ver", "auth_time"]},
        )
    except jwt.PyJWTError:
        return None
    subject, version, auth_time = payload["sub"], payload["ver"], payload["auth_time"]
    if payload["typ"] != token_type.value or not isinstance(subject, str):
        return None
    if not isinstance(version, int) or not isinstance(auth_time, int):
        return None
    return TokenClaims(
        subject=subject,
        version=version,
        authenticated_at=datetime.fromtimestamp(auth_time, tz=utcnow().tzinfo),
    )


def decode_access_token(token: str, secret_key: str) -> TokenClaims | None:
    """An API bearer token's claims, or None."""
    return decode_token(token=token, token_type=TokenType.access, secret_key=secret_key)


def hash_api_key(key: str) -> str:
    # API keys are long random strings, so a fast unsalted digest is enough to store them safely.
    return hashlib.sha256(key.encode()).hexdigest()
