"""Password hashing, staff JWTs and channel API keys."""

import hashlib
from datetime import timedelta

import jwt
from pwdlib import PasswordHash

from api.db import utcnow

JWT_ALGORITHM = "HS256"
_password_hash = PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return _password_hash.verify(password, hashed)


def create_access_token(subject: str, secret_key: str, minutes: int) -> str:
    payload = {"sub": subject, "exp": utcnow() + timedelta(minutes=minutes)}
    return jwt.encode(payload, secret_key, algorithm=JWT_ALGORITHM)


def decode_access_token(token: str, secret_key: str) -> str | None:
    """The token's subject, or None when it is invalid or expired."""
    try:
        payload = jwt.decode(token, secret_key, algorithms=[JWT_ALGORITHM])
    except jwt.PyJWTError:
        return None
    subject = payload.get("sub")
    return subject if isinstance(subject, str) else None


def hash_api_key(key: str) -> str:
    # API keys are long random strings, so a fast unsalted digest is enough to store them safely.
    return hashlib.sha256(key.encode()).hexdigest()
