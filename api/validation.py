"""Field types shared by the intake schemas."""

from enum import StrEnum
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BeforeValidator, StringConstraints

from api.id_numbers import (
    PersonalNumberKind,
    mask_id_numbers_in_text,
    unseal_if_sealed,
    validate_id_number,
)
from common.personal_numbers import normalise_phone_field


def _normalise_phone(value: str) -> str:
    digits = normalise_phone_field(value)
    if digits is None:
        raise ValueError(
            "phone must be a mainland mobile number (11 digits starting with 1) "
            "or a landline number"
        )
    return digits


# Both accept the number or the sealed reference the action server got for it
# (POST /residents/sealed-numbers), so conversations and the outbox never hold it in clear.
PhoneNumber = Annotated[
    str,
    AfterValidator(_normalise_phone),
    BeforeValidator(lambda value: unseal_if_sealed(value, PersonalNumberKind.phone)),
]
IdNumber = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(lambda value: validate_id_number(value)),
    BeforeValidator(lambda value: unseal_if_sealed(value, PersonalNumberKind.id_number)),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Free text from residents; valid ID numbers in it are masked before anything stores it.
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=4000),
    AfterValidator(mask_id_numbers_in_text),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
SenderId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
# A kind of danger as the lexicon names its categories: falls, gas_fire_poison …
DangerKind = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")]


# Database ids in paths: bounded so a fuzzer's huge integer is a 422, not a database overflow.
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class Channel(StrEnum):
    chat = "chat"
    telegram = "telegram"
    wechat = "wechat"
    voice = "voice"
    livestream = "livestream"
    staff = "staff"


def parse_number(number: str, prefix: str) -> int | None:
    """The database id behind a public record number such as B000042, or None."""
    if len(number) == 7 and number[0].upper() == prefix and number[1:].isdigit():
        return int(number[1:])
    return None
