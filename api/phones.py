"""Residents' phone numbers at rest (issue 14, finding 3): encrypted, and found by a keyed digest.

A phone is kept the way an ID number is (api/id_numbers.py), with the same key
(``LINLI_API_ID_NUMBER_KEY``): Fernet-encrypted, so a worker who may see it reads it back,
and as a keyed digest, so ``Resident.phone == phone`` still finds a resident without
decrypting every row. Both happen in the column types below, so services keep reading and
writing ``resident.phone`` as before; the key comes from the engine the session writes with
(`keep_phones_with`, called where the app or a script makes its engine).
"""

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sqlalchemy import Dialect, Engine, SQLColumnExpression, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from api.errors import NotConfiguredError
from api.id_numbers import IdNumberVault

# Each engine has its own dialect object: the vault of the app (or script) that made it.
_vaults: WeakKeyDictionary[Dialect, IdNumberVault] = WeakKeyDictionary()


def keep_phones_with(engine: Engine, vault: IdNumberVault) -> None:
    """Phones written or read through `engine` are encrypted and digested with `vault`."""
    _vaults[engine.dialect] = vault


def _vault(dialect: Dialect) -> IdNumberVault:
    vault = _vaults.get(dialect)
    if vault is None:
        raise NotConfiguredError(
            "Phone numbers cannot be stored or read: no LINLI_API_ID_NUMBER_KEY for this database"
        )
    return vault


class EncryptedPhone(TypeDecorator[str]):
    """A phone number, Fernet-encrypted in the database and in clear in Python."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else _vault(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else _vault(dialect).decrypt(value)


class PhoneDigest(TypeDecorator[str]):
    """A phone number's keyed digest: given the number, the database gets only its digest, so
    a comparison with a number (``==``, ``in_``) compares digests."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else _vault(dialect).digest(value)


class PhoneAtRest:
    """`phone` on a model: stored encrypted (`phone_encrypted`) with its lookup digest
    (`phone_digest`, which each model declares: unique for residents). Reading gives the
    number in clear; comparing the class attribute with a number compares digests."""

    _phone: Mapped[str | None] = mapped_column("phone_encrypted", EncryptedPhone())
    if TYPE_CHECKING:
        # Declared by each model with PhoneDigest. It holds the number from the assignment
        # until the row is next loaded; only its digest is ever written.
        phone_digest: Mapped[str | None]

    @hybrid_property
    def phone(self) -> str | None:
        return self._phone

    @phone.inplace.setter
    def _phone_setter(self, value: str | None) -> None:
        self._phone = value
        self.phone_digest = value

    @phone.inplace.expression
    @classmethod
    def _phone_expression(cls) -> SQLColumnExpression[str | None]:
        return cls.phone_digest
