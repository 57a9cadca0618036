"""Phone and ID numbers as residents say or type them. `common.personal_numbers` owns the rules;
the forms of the actions read numbers with it, so both are tested here."""

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.aid import ValidateAidForm
from actions.booking import ValidateBookingForm
from actions.form_fields import clean_name
from common.personal_numbers import (
    extract_id_number,
    extract_phone,
    id_checksum_ok,
    masked_form,
)
from tests.actions.support import make_tracker, slot_values, texts


@pytest.mark.parametrize(
    ("said", "phone"),
    [
        ("13800138000", "13800138000"),
        ("我的电话是一三八零零一三八零零零", "13800138000"),  # spoken digits
        ("幺三八 零零幺三 八零零零", "13800138000"),  # 幺 for one, spaces between groups
        ("１３８００１３８０００", "13800138000"),  # full-width digits
        ("１３８ ００１３ ８０００", "13800138000"),  # full-width, with spaces
        ("138-0013-8000", "13800138000"),  # hyphens
        ("138—0013—8000", "13800138000"),  # dashes typed by a Chinese input method
        ("+86 138 0013 8000", "13800138000"),
        ("座机010 62345678", "01062345678"),
        ("010-6234-5678", "01062345678"),
        ("87654321", "87654321"),
        ("身份证320102199001011234", None),  # digits inside an ID number are not a phone
        ("明天中午", None),
        ("12345", None),
    ],
)
def test_extract_phone(said: str, phone: str | None) -> None:
    assert extract_phone(said) == phone


@pytest.mark.parametrize(
    ("said", "id_number"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("110105 19491231 002x", "11010519491231002X"),  # spaces, lower-case x
        ("110105-19491231-002X", "11010519491231002X"),  # hyphens
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),  # full width
        ("幺幺零幺零五幺九四九幺二三幺零零二叉", "11010519491231002X"),  # spoken, 叉 for X
        ("身份证号是11010519491231002X，谢谢", "11010519491231002X"),
        ("110105194912310021", None),  # wrong check character
        ("11010519491231002", None),  # one digit short
        ("13800138000", None),
    ],
)
def test_extract_id_number(said: str, id_number: str | None) -> None:
    assert extract_id_number(said) == id_number


@pytest.mark.parametrize(
    ("id_number", "valid"),
    [
        ("11010519491231002X", True),
        ("320102199001011232", True),
        ("320102199001011234", False),
        ("11010519491231002", False),
    ],
)
def test_id_checksum(id_number: str, valid: bool) -> None:
    assert id_checksum_ok(id_number) is valid


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("王秀英", "王秀英"),
        ("我叫李建国啊", "李建国"),
        ("申请人是张桂兰", "张桂兰"),
        ("我妈叫刘翠花", "刘翠花"),
    ],
)
def test_clean_name(said: str, name: str) -> None:
    assert clean_name(said) == name


@pytest.mark.parametrize("said", ["a", "13800138000", "", "我叫"])
def test_not_a_name(said: str) -> None:
    assert clean_name(said) is None


@pytest.mark.asyncio
async def test_the_booking_form_reads_a_full_width_phone_number(domain: dict[str, Any]) -> None:
    said = "１３８-００１３-８０００"
    tracker = make_tracker(
        said, "inform", slots={"requested_slot": "phone"}, extracted={"phone": said},
        active_loop="booking_form",
    )  # fmt: skip
    events = await ValidateBookingForm().run(CollectingDispatcher(), tracker, domain)
    assert masked_form(slot_values(events)["phone"]) == "138****8000"  # sealed


@pytest.mark.asyncio
async def test_the_aid_form_reads_a_spaced_id_number_and_refuses_a_bad_one(
    domain: dict[str, Any],
) -> None:
    slots = {"policy": "dibao", "id_consent": True, "requested_slot": "id_number"}
    said = "１１０１０５ １９４９１２３１ ００２ｘ"
    tracker = make_tracker(
        said, "inform", slots=slots, extracted={"id_number": said}, active_loop="aid_form"
    )
    events = await ValidateAidForm().run(CollectingDispatcher(), tracker, domain)
    assert masked_form(slot_values(events)["id_number"]) == "1101**********002X"  # sealed

    dispatcher = CollectingDispatcher()
    said = "110105-19491231-0021"
    tracker = make_tracker(
        said, "inform", slots=slots, extracted={"id_number": said}, active_loop="aid_form"
    )
    events = await ValidateAidForm().run(dispatcher, tracker, domain)
    assert SlotSet("id_number", None) in events
    assert "身份证号好像不对" in texts(dispatcher)
