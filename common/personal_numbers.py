"""Phone and resident ID numbers (居民身份证号码, GB 11643-1999) as residents say or type them:
the one owner of their patterns, the ID check character and their masked forms.

Standard library only: the backend, the actions (Rasa's virtualenv), the voice bridge and the
channels all use it. Encryption at rest stays with the backend (`api/id_numbers.py`).
"""

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime

# Digits as typed with a Chinese input method: full width.
_FULL_WIDTH_DIGITS = {chr(ord("０") + n): str(n) for n in range(10)}
# The characters said for a digit when a number is read out one digit at a time (幺 for 1,
# 两 for 2, 洞 for 0, 拐 for 7, 勾 for 9 as a telephone operator says them); the voice bridge's
# corrector and its decoder's loop guard read the same set.
_DIGIT_WORDS = {
    "零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3",
    "四": "4", "五": "5", "六": "6", "七": "7", "拐": "7", "八": "8", "九": "9", "勾": "9",
}  # fmt: skip
SPOKEN_DIGITS = "".join(_DIGIT_WORDS)
# Digits as they are spoken or typed: the words above, full width, and the ID number's X.
_SPOKEN_DIGITS = str.maketrans(
    {**_DIGIT_WORDS, "叉": "X", "x": "X", "ｘ": "X", "Ｘ": "X", **_FULL_WIDTH_DIGITS}
)
_FULL_WIDTH_TRANSLATION = str.maketrans(_FULL_WIDTH_DIGITS)
# What people put between digit groups: spaces, hyphens, dots, brackets, a leading plus.
_SEPARATORS = re.compile(r"[\s\-—_.,，。、()（）+]")

# The one definition of each kind of number. Only 0-9 are digits: other scripts' digits make
# no number here, and full-width ones are translated before these patterns see them.
_MOBILE_START = "1[3-9]"  # mainland mobile: 11 digits, 13x–19x
_AREA_CODE = "0[0-9]{2,3}"
_LOCAL_NUMBER = "[0-9]{7,8}"
MOBILE = re.compile(f"{_MOBILE_START}[0-9]{{9}}")
_LANDLINE = re.compile(f"{_AREA_CODE}{_LOCAL_NUMBER}|{_LOCAL_NUMBER}")
_PHONE_FIELD = re.compile(f"({MOBILE.pattern}|{_AREA_CODE}{_LOCAL_NUMBER}|{_LOCAL_NUMBER})")
# As numbers are written in running text (bot replies, a host's pasted questions): a mobile
# number whose digits may be grouped by spaces or hyphens ("138 0013 8000"), and a landline
# number with its area code set apart ("025-84561234"); never part of a longer run of digits.
MOBILE_IN_TEXT = re.compile(rf"(?<![0-9]){_MOBILE_START}[0-9](?:[\s\-]?[0-9]){{8}}(?![0-9])")
LANDLINE_IN_TEXT = re.compile(
    rf"(?<![0-9])(?P<area>{_AREA_CODE})[\s\-](?P<number>{_LOCAL_NUMBER})(?![0-9])"
)

ID_NUMBER = re.compile("[0-9]{17}[0-9X]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARACTERS = "10X98765432"


def spoken_digits(text: str) -> str:
    """`text` with spoken and full-width digits as ASCII digits (and x as X)."""
    return text.translate(_SPOKEN_DIGITS)


def half_width_digits(text: str) -> str:
    """`text` with full-width digits as ASCII digits, nothing else changed (not even its
    length: positions in one are positions in the other)."""
    return text.translate(_FULL_WIDTH_TRANSLATION)


def compact_digits(text: str) -> str:
    """Spoken digits as digits, separators removed: "一三八 0013-8000" → "13800138000"."""
    return _SEPARATORS.sub("", spoken_digits(text))


def _standalone(pattern: re.Pattern[str], digits: str) -> str | None:
    for match in pattern.finditer(digits):
        start, end = match.span()
        # A number inside a longer run of digits (an ID number, say) is not this number.
        if (start == 0 or not digits[start - 1].isdigit()) and (
            end == len(digits) or not digits[end].isdigit()
        ):
            return match.group()
    return None


def extract_phone(text: str) -> str | None:
    """The phone number in `text`, or None. Mobile numbers are preferred over landlines; a
    leading country code 86 is dropped."""
    digits = compact_digits(text)
    if digits.startswith("86") and MOBILE.fullmatch(digits[2:]):
        digits = digits[2:]
    for pattern in (MOBILE, _LANDLINE):
        if found := _standalone(pattern, digits):
            return found
    return None


def mainland_mobile(text: str) -> str | None:
    """The mainland mobile number that `text` is (a shared contact: "+86 138 0013 8000"), or
    None when it is anything else."""
    plain = spoken_digits(text).strip()
    if plain.startswith(("+", "00")) and not plain.lstrip("+0").startswith("86"):
        return None  # another country's number: +1 415 …
    digits = re.sub(r"[^0-9]", "", plain)
    if digits.startswith("0086") and len(digits) == 15:
        digits = digits[2:]
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if MOBILE.fullmatch(digits) else None


def normalise_phone_field(value: str) -> str | None:
    """A phone number given in a form field (mobile or landline), digits only; None when it
    is not one. Full-width digits count as digits."""
    digits = re.sub(r"[\s\-()（）+]", "", half_width_digits(value))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _PHONE_FIELD.fullmatch(digits) else None


def id_check_character(first_17_digits: str) -> str:
    """The 18th character GB 11643 derives from the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_17_digits, _ID_WEIGHTS, strict=True)
    )
    return _ID_CHECK_CHARACTERS[total % 11]


def id_checksum_ok(id_number: str) -> bool:
    """An 18-character ID number whose check character matches its first 17 digits."""
    return (
        bool(ID_NUMBER.fullmatch(id_number))
        and id_check_character(id_number[:17]) == (id_number[17])
    )


def extract_id_number(text: str) -> str | None:
    """An 18-character resident ID number with a valid check character, or None. Spoken
    digits, full-width digits, spaces and hyphens between the groups are understood."""
    compact = compact_digits(text)
    for match in ID_NUMBER.finditer(compact):
        if id_checksum_ok(match.group()):
            return match.group()
    return None


def mask_id_number(id_number: str) -> str:
    """First four (province and city) and last four characters: enough to confirm with the
    resident, not enough to use."""
    return f"{id_number[:4]}{'*' * 10}{id_number[-4:]}"


def mask_phone(phone: str) -> str:
    """The first three and last four digits of a mobile ("138****8000"); a landline keeps
    only its last four."""
    if MOBILE.fullmatch(phone):
        return f"{phone[:3]}****{phone[-4:]}"
    return f"{'*' * max(len(phone) - 4, 0)}{phone[-4:]}"


# Numbers as residents write them in running text: digits in any form (ASCII, full width,
# spoken), in groups set apart by spaces, hyphens or brackets (not dots: IP addresses and
# decimals), perhaps a trailing X (the check character of an ID number), never part of a
# longer run of ASCII letters or digits (ids and tokens stay whole).
_DIGIT_CLASS = f"0-9０-９{SPOKEN_DIGITS}"
_GAP = r"[ \t\u3000\-－‐–—()（）]{0,3}"
_NUMBER_IN_TEXT = re.compile(
    rf"(?<![0-9A-Za-z０-９])(?:[+＋][ \u3000]?)?[(（]?[{_DIGIT_CLASS}]"
    rf"(?:{_GAP}[{_DIGIT_CLASS}])*(?:{_GAP}[xXｘＸ叉])?(?![0-9A-Za-z０-９])"
)
# A date written with separators (2026-12-03, 2026.12.3) is a date, not a phone number.
_DATE_SHAPE = re.compile(r"[12][0-9]{3}[-./．－][01]?[0-9][-./．－][0-3]?[0-9]")
# Fewer digits than this are house numbers, amounts, ages and times, never a phone number.
_SHORTEST_PERSONAL_NUMBER = 7
_PHONE_DIGITS = re.compile(r"[0-9]+")


def _masked_number(run: str, *, phones: bool) -> str | None:
    """The masked form of a number found in text, or None when it is no personal number (or
    a phone number, unless `phones`)."""
    compact = re.sub(r"[^0-9X]", "", spoken_digits(run).upper())
    digits = compact.rstrip("X")
    if len(digits) < _SHORTEST_PERSONAL_NUMBER or "X" in digits:
        return None
    if _DATE_SHAPE.fullmatch(half_width_digits(run).strip()):
        return None
    if ID_NUMBER.fullmatch(compact):
        return mask_id_number(compact)
    if not phones:
        return None
    if compact.startswith("86") and MOBILE.fullmatch(compact[2:]):
        return mask_phone(compact[2:])
    # Mobiles and landlines, and any other long number (a mistyped ID number, a bank card):
    # what identifies a person is never kept, whatever its length.
    return mask_phone(digits)


def _redact_free_text(text: str, *, phones: bool) -> str:
    def _mask(match: re.Match[str]) -> str:
        masked = _masked_number(match.group(), phones=phones)
        return match.group() if masked is None else masked

    return _NUMBER_IN_TEXT.sub(_mask, text)


def redact_personal_numbers(text: str, *, phones: bool = True) -> str:
    """`text` with every ID number and phone number in it masked, however it was written:
    full-width or spoken digits (幺三八…), spaces, hyphens and brackets between the groups.
    ID numbers keep their first and last four characters, mobiles the first three and last
    four digits (138****8000), other numbers their last four. Sealed references are left
    whole: they hold no number in clear, and a masked token could not be opened again.
    With `phones=False` only ID numbers are masked (text a worker calls back from)."""
    pieces = []
    position = 0
    for reference in _SEALED_REFERENCE.finditer(text):
        pieces.append(_redact_free_text(text[position : reference.start()], phones=phones))
        pieces.append(reference.group())
        position = reference.end()
    pieces.append(_redact_free_text(text[position:], phones=phones))
    return "".join(pieces)


def contains_personal_number(text: str) -> bool:
    """Whether `text` holds an ID number or phone number in clear."""
    return redact_personal_numbers(text) != text


# A personal number exchanged with the backend for a reference (POST
# /api/v1/residents/sealed-numbers): "sealed:<masked form>:<token>". Conversations keep the
# reference; only the backend can open the token.
SEALED_PREFIX = "sealed:"
_SEALED_REFERENCE = re.compile(r"sealed:[^:\s]{1,32}:[A-Za-z0-9_\-=]+")


def is_sealed_reference(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def sealed_reference(*, masked: str, token: str) -> str:
    return f"{SEALED_PREFIX}{masked}:{token}"


def sealed_token(reference: str) -> str:
    """The token of a sealed reference (what the backend decrypts)."""
    return reference.removeprefix(SEALED_PREFIX).split(":", 1)[-1]


def sealed_at(reference: str) -> datetime | None:
    """When a sealed reference was made, read without any key: a Fernet token carries its
    creation time in clear (bytes 1–8, seconds since the epoch). None when unreadable."""
    try:
        raw = base64.urlsafe_b64decode(sealed_token(reference) + "==")
    except (ValueError, binascii.Error):
        return None
    if len(raw) < 9:
        return None
    return datetime.fromtimestamp(int.from_bytes(raw[1:9], "big"), UTC)


def masked_form(value: str) -> str:
    """What may be shown of a personal number: the masked form a sealed reference carries, or
    the number masked."""
    if is_sealed_reference(value):
        return value.removeprefix(SEALED_PREFIX).split(":", 1)[0]
    return redact_personal_numbers(value)


def _redacted_argument(argument: object) -> object:
    """A log message argument with its personal numbers masked; one that holds none is kept
    as it is (a number formatted with %d stays a number)."""
    if isinstance(argument, int | float):
        return argument
    shown = str(argument)
    redacted = redact_personal_numbers(shown)
    return argument if redacted == shown else redacted


class RedactingLogFilter(logging.Filter):
    """Masks personal numbers in a log record, its message arguments and its traceback: a
    payload, a tracker or an exception about a request must not write a number to a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        # The arguments are masked one by one, not merged into the message: formatters such
        # as uvicorn's access log unpack them.
        if isinstance(record.msg, str):
            record.msg = redact_personal_numbers(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted_argument(argument) for argument in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redacted_argument(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_personal_numbers(record.exc_text)
        return True


def redact_logs(*logger_names: str) -> None:
    """Put a RedactingLogFilter on every handler of the root logger and of `logger_names`
    (loggers that do not propagate, such as uvicorn's); call after logging is configured."""
    log_filter = RedactingLogFilter()
    for logger in [logging.getLogger(), *(logging.getLogger(name) for name in logger_names)]:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingLogFilter) for f in handler.filters):
                handler.addFilter(log_filter)
