"""Resident identity card numbers (居民身份证号码, GB 11643-1999): validation, masking and
encryption at rest.

An ID number is stored twice: Fernet-encrypted (so an admin can read it back) and as a keyed
digest (so the same person is found again without decrypting every row). Neither form is
useful without the key in ``LINLI_API_ID_NUMBER_KEY``.
"""

import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from api.errors import NotConfiguredError
from common.personal_numbers import ID_NUMBER, id_check_character, mask_id_number

__all__ = [
    "IdNumberVault", "check_character", "mask_id_number", "mask_id_numbers_in_text",
    "new_id_number_key", "validate_id_number", "vault_for",
]  # fmt: skip

OLDEST_BIRTH_YEAR = 1890
# GB 11643's check character; the name the backend's callers and tests know it by.
check_character = id_check_character


def birth_date_of(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def validate_id_number(value: str, today: date | None = None) -> str:
    """The normalised 18-character ID number, or ValueError saying what is wrong with it."""
    normalised = value.strip().replace(" ", "").upper()
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


_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_id_numbers_in_text(text: str) -> str:
    """Free text (a chat message, a need report) with every valid ID number in it masked:
    residents type them anywhere, and free text is neither encrypted nor audited."""

    def _mask(match: re.Match[str]) -> str:
        try:
            return mask_id_number(validate_id_number(match.group()))
        except ValueError:
            return match.group()

    return _IN_TEXT.sub(_mask, text)


class IdNumberVault:
    """Encrypts, decrypts and fingerprints ID numbers with the operator's key."""

    def __init__(self, key: str | None) -> None:
        self._fernet: Fernet | None = None
        self._digest_key = b""
        if key:
            try:
                self._fernet = Fernet(key.encode())
            except ValueError as exc:
                raise NotConfiguredError(
                    "LINLI_API_ID_NUMBER_KEY is not a valid Fernet key (urlsafe base64 of 32 bytes)"
                ) from exc
            self._digest_key = hashlib.sha256(b"linli-id-digest:" + key.encode()).digest()

    def _require(self) -> Fernet:
        if self._fernet is None:
            raise NotConfiguredError(
                "ID numbers cannot be stored: LINLI_API_ID_NUMBER_KEY is not configured"
            )
        return self._fernet

    def encrypt(self, id_number: str) -> str:
        return self._require().encrypt(id_number.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._require().decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise NotConfiguredError(
                "A stored ID number cannot be decrypted with the configured key"
            ) from exc

    def digest(self, id_number: str) -> str:
        self._require()
        return hmac.new(self._digest_key, id_number.encode(), hashlib.sha256).hexdigest()


def new_id_number_key() -> str:
    return Fernet.generate_key().decode()


@lru_cache
def vault_for(key: str | None) -> IdNumberVault:
    return IdNumberVault(key)
