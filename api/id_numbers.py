"""Resident identity card numbers (居民身份证号码, GB 11643-1999): validation, masking and
encryption at rest.

An ID number is stored twice: Fernet-encrypted (so an admin can read it back) and as a keyed
digest (so the same person is found again without decrypting every row). Neither form is
useful without the key in ``LINLI_API_ID_NUMBER_KEY``.
"""

import hashlib
import hmac
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from api.errors import NotConfiguredError
from api.settings import get_settings
from common.personal_numbers import (
    ID_NUMBER,
    compact_digits,
    id_check_character,
    is_sealed_reference,
    mask_id_number,
    mask_phone,
    redact_personal_numbers,
    sealed_reference,
    sealed_token,
)

__all__ = [
    "IdNumberVault", "PersonalNumberKind", "check_character", "mask_id_number",
    "mask_id_numbers_in_text", "new_id_number_key", "unseal_if_sealed", "validate_id_number",
    "vault_for",
]  # fmt: skip

# How long a sealed personal number stays usable: long enough for a form to be finished and
# for the outbox to deliver it after a backend restart, short enough that a reference copied
# out of a tracker is soon worth nothing.
SEALED_NUMBER_LIFETIME = timedelta(hours=48)


class PersonalNumberKind(StrEnum):
    phone = "phone"
    id_number = "id_number"


OLDEST_BIRTH_YEAR = 1890
# GB 11643's check character; the name the backend's callers and tests know it by.
check_character = id_check_character


def birth_date_of(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def validate_id_number(value: str, today: date | None = None) -> str:
    """The normalised 18-character ID number, or ValueError saying what is wrong with it."""
    # As typed or spoken: full-width or Chinese digits, spaces and hyphens between groups.
    normalised = compact_digits(value).upper()
    if not ID_NUMBER.fullmatch(normalised):
        raise ValueError("id_number must be 18 characters: 17 digits and a digit or X")
    if id_check_character(normalised[:17]) != normalised[17]:
        raise ValueError("id_number checksum does not match (GB 11643): check the digits")
    try:
        born = birth_date_of(normalised)
    except ValueError:
        raise ValueError("id_number contains an impossible date of birth") from None
    if born.year < OLDEST_BIRTH_YEAR or born > (today or date.today()):
        raise ValueError("id_number contains an impossible date of birth")
    return normalised


def mask_id_numbers_in_text(text: str) -> str:
    """Free text (a chat message, a need report) with every ID number in it masked, however
    it was written (full-width or spoken digits, spaces, hyphens, a mistyped check
    character): residents type them anywhere, and free text is neither encrypted nor
    audited. Phone numbers stay: a worker calls back from a need report or a handoff."""
    return redact_personal_numbers(text, phones=False)


class IdNumberVault:
    """Encrypts, decrypts and fingerprints ID numbers with the operator's keys.

    `key` is one Fernet key or several, comma-separated, newest first (rotation): the newest
    encrypts and keys the digests, every listed key decrypts. `python -m api.rotate_keys`
    re-encrypts stored numbers and recomputes their digests with the newest key, after which
    the older keys can be dropped."""

    def __init__(self, key: str | None) -> None:
        self._fernet: MultiFernet | None = None
        self._digest_key = b""
        keys = [part.strip() for part in (key or "").split(",") if part.strip()]
        if keys:
            try:
                self._fernet = MultiFernet([Fernet(part.encode()) for part in keys])
            except ValueError as exc:
                raise NotConfiguredError(
                    "LINLI_API_ID_NUMBER_KEY is not a valid Fernet key (urlsafe base64 of 32 "
                    "bytes) or a comma-separated list of them"
                ) from exc
            self._digest_key = hashlib.sha256(b"linli-id-digest:" + keys[0].encode()).digest()

    def rotate(self, token: str) -> str:
        """`token` re-encrypted with the newest key (it may have been made with any listed)."""
        try:
            return self._require().rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise NotConfiguredError(
                "A stored ID number or phone cannot be decrypted with any configured key"
            ) from exc

    def _require(self) -> MultiFernet:
        if self._fernet is None:
            raise NotConfiguredError(
                "Cannot store ID numbers or phones: LINLI_API_ID_NUMBER_KEY is not configured"
            )
        return self._fernet

    def encrypt(self, id_number: str) -> str:
        return self._require().encrypt(id_number.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._require().decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise NotConfiguredError(
                "A stored ID number or phone cannot be decrypted with the configured key"
            ) from exc

    def digest(self, id_number: str) -> str:
        self._require()
        return hmac.new(self._digest_key, id_number.encode(), hashlib.sha256).hexdigest()

    def seal(self, *, kind: PersonalNumberKind, value: str) -> str:
        """A reference a conversation may keep instead of the number: its masked form and the
        number encrypted with its kind (a sealed phone is never accepted as an ID number)."""
        masked = (
            mask_id_number(value) if kind is PersonalNumberKind.id_number else mask_phone(value)
        )
        token = self._require().encrypt(f"{kind.value}:{value}".encode()).decode()
        return sealed_reference(masked=masked, token=token)

    def unseal(self, *, kind: PersonalNumberKind, reference: str) -> str:
        """The number behind a reference from `seal`; ValueError (a 422 in a request) when it
        is forged, of another kind, or older than SEALED_NUMBER_LIFETIME."""
        try:
            plain = (
                self._require()
                .decrypt(
                    sealed_token(reference).encode(),
                    ttl=int(SEALED_NUMBER_LIFETIME.total_seconds()),
                )
                .decode()
            )
        except InvalidToken:
            raise ValueError(
                f"sealed {kind.value} is invalid or expired: ask the resident again"
            ) from None
        sealed_kind, _, value = plain.partition(":")
        if sealed_kind != kind.value:
            raise ValueError(f"sealed value is not a {kind.value}")
        return value


def new_id_number_key() -> str:
    return Fernet.generate_key().decode()


@lru_cache
def vault_for(key: str | None) -> IdNumberVault:
    return IdNumberVault(key)


def unseal_if_sealed(value: object, kind: PersonalNumberKind) -> object:
    """A request field's value with a sealed reference opened (the number it stands for);
    anything else unchanged. Runs inside schema validation, which has no request to take the
    settings from: it reads the process's settings, the ones the app was created with."""
    if not is_sealed_reference(value):
        return value
    settings = get_settings()
    key = settings.id_number_key.get_secret_value() if settings.id_number_key else None
    return vault_for(key).unseal(kind=kind, reference=str(value))
