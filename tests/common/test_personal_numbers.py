"""Phone and ID numbers as residents say or type them: `common.personal_numbers` is the one
owner of the patterns, the ID check character and the masks (backend, actions, voice bridge
and channels all use it). Standard library only: runs in both virtualenvs."""

import pytest

from common.personal_numbers import (
    LANDLINE_IN_TEXT,
    MOBILE,
    MOBILE_IN_TEXT,
    compact_digits,
    extract_id_number,
    extract_phone,
    half_width_digits,
    id_check_character,
    id_checksum_ok,
    mainland_mobile,
    mask_id_number,
    mask_phone,
    normalise_phone_field,
    spoken_digits,
)

VALID_ID = "11010519491231002X"  # GB 11643's own example: check character X
VALID_ID_DIGIT = "320102194503120022"


def test_spoken_digits_are_digits() -> None:
    assert spoken_digits("幺三八零零一三八零零零") == "13800138000"
    assert spoken_digits("洞拐勾两〇") == "07920"
    assert spoken_digits("叉x") == "XX"
    assert compact_digits("一三八 0013-8000") == "13800138000"


def test_full_width_digits_are_digits_and_keep_their_places() -> None:
    assert spoken_digits("１３８００１３８０００") == "13800138000"
    assert half_width_digits("电话：１３８") == "电话：138"
    assert len(half_width_digits("１２a３")) == 4


@pytest.mark.parametrize(
    ("said", "phone"),
    [
        ("我的电话是一三八零零一三八零零零", "13800138000"),  # spoken
        ("幺三八 零零幺三 八零零零", "13800138000"),  # spoken, spaces between the groups
        ("１３８ ００１３ ８０００", "13800138000"),  # full width, spaces
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),  # hyphens
        ("138—0013—8000", "13800138000"),  # an input method's dash
        ("+86 138 0013 8000", "13800138000"),  # country code
        ("8613800138000", "13800138000"),
        ("025-8456-1234", "02584561234"),  # landline
        ("87654321", "87654321"),  # local number
        ("身份证320102194503120021", None),  # inside a longer number: not a phone
        ("12345", None),
        ("١٣٨٠٠١٣٨٠٠٠", None),  # another script's digits
    ],
)
def test_extract_phone(said: str, phone: str | None) -> None:
    assert extract_phone(said) == phone


@pytest.mark.parametrize(
    ("shared", "mobile"),
    [
        ("+86 138 0013 8000", "13800138000"),
        ("+86-138-0013-8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("12800138000", None),  # 12x is no mobile prefix
        ("025-84561234", None),  # a landline
        ("+1 415 555 0100", None),  # another country's
        ("0086 138 0013 8000", "13800138000"),
    ],
)
def test_mainland_mobile(shared: str, mobile: str | None) -> None:
    assert mainland_mobile(shared) == mobile


@pytest.mark.parametrize(
    ("field", "phone"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("(025) 84561234", "02584561234"),
        ("１３８００１３８０００", "13800138000"),  # full width: stored as ASCII digits
        ("84561234", "84561234"),
        ("1380013800", None),  # one digit short
        ("138001380001", None),
        ("١٣٨٠٠١٣٨٠٠٠", None),
        ("13800138000\n", "13800138000"),
        ("abc", None),
    ],
)
def test_normalise_phone_field(field: str, phone: str | None) -> None:
    assert normalise_phone_field(field) == phone


def test_numbers_in_running_text() -> None:
    assert MOBILE.fullmatch("19912345678") and not MOBILE.fullmatch("12912345678")
    found = MOBILE_IN_TEXT.search("请打 138 0013-8000 联系")
    assert found is not None and found.group() == "138 0013-8000"
    assert MOBILE_IN_TEXT.search("编号320102194503120021") is None  # inside an ID number
    landline = LANDLINE_IN_TEXT.search("座机 025-84561234。")
    assert landline is not None and landline.group("area", "number") == ("025", "84561234")


def test_id_check_character() -> None:
    assert id_check_character(VALID_ID[:17]) == "X"
    assert id_check_character(VALID_ID_DIGIT[:17]) == "2"


@pytest.mark.parametrize(
    ("id_number", "ok"),
    [
        (VALID_ID, True),
        (VALID_ID_DIGIT, True),
        ("110105194912310021", False),  # wrong check character
        ("11010519491231002x", False),  # lower-case x: normalise first
        ("11010519491231002", False),  # 17 characters
        ("1101051949123100２X", False),  # full width: not as stored
    ],
)
def test_id_checksum(id_number: str, ok: bool) -> None:
    assert id_checksum_ok(id_number) is ok


@pytest.mark.parametrize(
    ("said", "id_number"),
    [
        ("我的身份证是11010519491231002X", VALID_ID),
        ("110105 19491231 002x", VALID_ID),  # spaces, lower-case x
        ("110105-19491231-002X", VALID_ID),  # hyphens
        ("１１０１０５１９４９１２３１００２Ｘ", VALID_ID),  # full width
        ("幺幺零幺零五幺九四九幺二三幺零零二叉", VALID_ID),  # spoken
        ("110105194912310021", None),  # wrong check character
        ("13800138000", None),
    ],
)
def test_extract_id_number(said: str, id_number: str | None) -> None:
    assert extract_id_number(said) == id_number


def test_masks() -> None:
    assert mask_id_number(VALID_ID) == "1101**********002X"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("02584561234") == "*******1234"
    assert mask_phone("123") == "123"
