"""Finding 8 (masking): call transcripts, free text and API responses against a real backend.

- call transcripts were stored and returned as said, phone and ID numbers included;
- masking missed ID numbers written with full-width digits, spaces or hyphens;
- phones were returned in clear to every caller, the fronts' API keys included;
- a sealed number (what conversations keep instead of the number, finding 3) is accepted in
  its place, and only as what it was sealed as, only unaltered.
"""

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from cryptography.fernet import Fernet

from api.id_numbers import SEALED_NUMBER_LIFETIME, PersonalNumberKind, vault_for
from common.personal_numbers import (
    RedactingLogFilter,
    mask_id_number,
    mask_phone,
    redact_personal_numbers,
)
from testsupport.servers import Backend, backend_server, staff_client

ID_NUMBER = "11010519491231002X"
PHONE = "13800138000"
# Written as residents write them: full-width digits, spaces, hyphens.
ID_NUMBER_VARIANTS = [
    "１１０１０５ １９４９１２３１ ００２ｘ",
    "110105-19491231-002X",
    "110105 19491231 002x",
]
PHONE_VARIANTS = ["１３８ ００１３ ８０００", "138-0013-8000", "138 0013 8000", "+86 138 0013 8000"]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    with backend_server(tmp_path_factory.mktemp("masking")) as server:
        yield server


@pytest.fixture
def staff(backend: Backend) -> Iterator[httpx.Client]:
    with staff_client(backend) as client:
        yield client


@pytest.fixture
def channel(backend: Backend) -> Iterator[httpx.Client]:
    """The action server's API key (role channel)."""
    with httpx.Client(
        base_url=f"{backend.url}/api/v1", headers={"X-API-Key": backend.api_key}, timeout=10
    ) as client:
        yield client


def sender() -> str:
    return f"rest:mask-{uuid.uuid4().hex[:8]}"


def has_clear(text: str) -> list[str]:
    """The numbers `text` holds in clear, in any of their written forms."""
    squeezed = re.sub(r"[\s\-]", "", text)
    found = [v for v in ID_NUMBER_VARIANTS + PHONE_VARIANTS if v in text]
    found += [n for n in (ID_NUMBER, ID_NUMBER.lower(), PHONE) if n in squeezed]
    return found


def test_call_transcripts_are_masked(channel: httpx.Client, staff: httpx.Client) -> None:
    call_id = f"call-{uuid.uuid4().hex[:8]}"
    assert channel.post("/calls", json={"call_id": call_id, "transport": "sim"}).status_code in (
        200,
        201,
    )
    for turn, said in enumerate(ID_NUMBER_VARIANTS + PHONE_VARIANTS + ["幺三八零零幺三八零零零"]):
        added = channel.post(
            f"/calls/{call_id}/turns",
            json={"turn": turn, "transcript": f"我的号码是{said}", "bot_text": f"您说的是{said}"},
        )
        assert added.status_code == 200, added.text
        assert not has_clear(added.text), added.text
    record = staff.get(f"/calls/{call_id}")
    assert record.status_code == 200
    assert not has_clear(record.text), record.text
    turns = record.json()["turns"]
    assert {mask_id_number(ID_NUMBER), mask_phone(PHONE)} <= {
        t["transcript"].removeprefix("我的号码是") for t in turns
    }


@pytest.mark.parametrize("written", ID_NUMBER_VARIANTS)
def test_id_numbers_in_free_text_are_masked_however_written(
    channel: httpx.Client, staff: httpx.Client, written: str
) -> None:
    conversation = sender()
    filed = channel.post(
        "/handoffs",
        json={
            "channel": "chat",
            "sender_id": conversation,
            "reason": "requested",
            "last_message": f"我的身份证是{written}，帮我查一下",
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert filed.status_code == 201, filed.text
    assert mask_id_number(ID_NUMBER) in filed.text and not has_clear(filed.text)
    queue = staff.get("/handoffs").text
    assert not [v for v in ID_NUMBER_VARIANTS if v in queue]


def book(channel: httpx.Client, conversation: str) -> dict[str, object]:
    when = (datetime.now().astimezone() + timedelta(days=2)).replace(hour=10, minute=0)
    booked = channel.post(
        "/bookings",
        json={
            "service": "zhucan",
            "scheduled_at": when.isoformat(),
            "time_text": "后天上午",
            "address": "幸福小区3号楼201",
            "phone": PHONE,
            "channel": "chat",
            "sender_id": conversation,
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert booked.status_code == 201, booked.text
    return dict(booked.json())


def test_phones_are_masked_for_callers_that_do_not_call_the_resident(
    backend: Backend, channel: httpx.Client, staff: httpx.Client
) -> None:
    conversation = sender()
    number = str(book(channel, conversation)["number"])
    # A front reads its own resident's booking: it never needs the number back.
    own = channel.get("/bookings", params={"sender_id": conversation}).json()
    assert [b["phone"] for b in own] == [mask_phone(PHONE)]
    one = channel.get(f"/bookings/{number}", params={"sender_id": conversation}).json()
    assert one["phone"] == mask_phone(PHONE)
    # Social workers and admins call residents back: in clear.
    assert staff.get(f"/bookings/{number}").json()["phone"] == PHONE

    # The worker the booking is dispatched to calls before the visit: in clear.
    worker = f"w-{uuid.uuid4().hex[:6]}"
    password = "Linli-worker-" + uuid.uuid4().hex
    provider = staff.post(
        "/providers",
        json={"name": f"{worker}家政", "phone": "13600001111", "service_codes": ["zhucan"]},
    )
    assert provider.status_code == 201, provider.text
    account = staff.post(
        "/staff-users",
        json={
            "username": worker,
            "password": password,
            "role": "provider_worker",
            "provider_id": provider.json()["id"],
        },
    )
    assert account.status_code == 201, account.text
    dispatched = staff.post(
        f"/bookings/{number}/dispatch",
        json={"provider_id": provider.json()["id"], "worker": worker},
    )
    assert dispatched.status_code == 200, dispatched.text
    worker_login = Backend(backend.url, backend.api_key, worker, password)
    with staff_client(worker_login) as worker_client:
        assert worker_client.get(f"/bookings/{number}").json()["phone"] == PHONE


def test_case_phones_are_masked_for_fronts(channel: httpx.Client, staff: httpx.Client) -> None:
    conversation = sender()
    filed = channel.post(
        "/cases",
        json={
            "policy": "dibao",
            "applicant_name": "王秀英",
            "phone": "139-0000-1111",
            "channel": "chat",
            "sender_id": conversation,
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert filed.status_code == 201, filed.text
    listed = channel.get("/cases", params={"sender_id": conversation}).json()
    assert [c["phone"] for c in listed] == [mask_phone("13900001111")]
    number = listed[0]["number"]
    assert channel.get(f"/cases/{number}", params={"sender_id": conversation}).json()[
        "phone"
    ] == mask_phone("13900001111")
    assert staff.get(f"/cases/{number}").json()["phone"] == "13900001111"


def test_a_sealed_number_stands_for_the_number(
    backend: Backend, channel: httpx.Client, staff: httpx.Client
) -> None:
    phone = channel.post(
        "/residents/sealed-numbers", json={"kind": "phone", "value": "１３９-０００２-２２２２"}
    )
    assert phone.status_code == 200, phone.text
    sealed_phone = phone.json()
    assert sealed_phone["masked"] == "139****2222" and "13900022222" not in phone.text
    conversation = sender()
    consent = channel.post(
        "/consents",
        json={
            "channel": "chat",
            "sender_id": conversation,
            "purpose": "id_number",
            "granted": True,
            "text_shown": "同意提供身份证号",
        },
    )
    assert consent.status_code in (200, 201), consent.text
    id_number = channel.post(
        "/residents/sealed-numbers", json={"kind": "id_number", "value": ID_NUMBER_VARIANTS[0]}
    )
    assert id_number.status_code == 200, id_number.text
    assert ID_NUMBER not in id_number.text
    case = {
        "policy": "dibao",
        "applicant_name": "李建国",
        "channel": "chat",
        "sender_id": conversation,
    }

    def file(phone_value: str, id_value: str) -> httpx.Response:
        return channel.post(
            "/cases",
            json={**case, "phone": phone_value, "id_number": id_value},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )

    # A phone sealed is not an ID number; a token altered or made up opens nothing.
    swapped = file(id_number.json()["reference"], sealed_phone["reference"])
    assert swapped.status_code == 422, swapped.text
    forged = sealed_phone["reference"][:-6] + "AAAAAA"
    assert file(forged, id_number.json()["reference"]).status_code == 422
    made_up = "sealed:139****2222:" + "gAAAAA" + "x" * 100
    assert file(made_up, id_number.json()["reference"]).status_code == 422
    # No front key, no seal.
    anonymous = httpx.post(
        f"{backend.url}/api/v1/residents/sealed-numbers",
        json={"kind": "phone", "value": PHONE},
    )
    assert anonymous.status_code == 401

    filed = file(sealed_phone["reference"], id_number.json()["reference"])
    assert filed.status_code == 201, filed.text
    stored = staff.get(f"/cases/{filed.json()['number']}").json()
    assert stored["phone"] == "13900022222"
    assert stored["id_number"] == mask_id_number(ID_NUMBER)


def test_a_sealed_number_expires() -> None:
    """Past its lifetime a reference copied out of a tracker is worth nothing."""
    key = Fernet.generate_key().decode()
    vault = vault_for(key)
    reference = vault.seal(kind=PersonalNumberKind.phone, value=PHONE)
    assert vault.unseal(kind=PersonalNumberKind.phone, reference=reference) == PHONE
    token = reference.rsplit(":", 1)[1]
    old = Fernet(key.encode()).encrypt_at_time(
        b"phone:" + PHONE.encode(),
        int((datetime.now() - SEALED_NUMBER_LIFETIME - timedelta(minutes=1)).timestamp()),
    )
    expired = reference.replace(token, old.decode())
    with pytest.raises(ValueError, match="expired"):
        vault.unseal(kind=PersonalNumberKind.phone, reference=expired)
    assert json.dumps(reference).count(PHONE) == 0


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("电话13800138000", "电话138****8000"),
        ("１３８ ００１３ ８０００", "138****8000"),
        ("138-0013-8000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("幺三八零零幺三八零零零", "138****8000"),
        ("(025)84561234", "*******1234"),
        ("身份证11010519491231002X", "身份证1101**********002X"),
        ("１１０１０５ １９４９１２３１ ００２ｘ", "1101**********002X"),
        ("一一零一零五一九四九一二三一零零二叉", "1101**********002X"),
        # A mistyped ID number (wrong check character) is still someone's ID number.
        ("110105-19491231-0021", "1101**********0021"),
    ],
)
def test_every_written_form_is_masked(written: str, masked: str) -> None:
    assert redact_personal_numbers(written) == masked


@pytest.mark.parametrize(
    "kept",
    [
        "幸福小区3号楼201",
        "我82岁了，退休金1200",
        "预约编号是 B000042，申请编号 A000001",
        "2026-12-03T12:00:00+08:00",
        '127.0.0.1:54321 - "GET /api/v1/calls HTTP/1.1" 200',
        "192.168.100.200",
        "一个人住，两个孩子",
        "sealed:138****8000:gAAAAABn-1234567_13800138000xyz",
    ],
)
def test_what_is_no_personal_number_is_kept(kept: str) -> None:
    assert redact_personal_numbers(kept) == kept


def test_log_lines_and_tracebacks_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "payload %s", ({"p": PHONE},), None)
    try:
        raise ValueError(f"bad id {ID_NUMBER}")
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactingLogFilter().filter(record)
    assert record.getMessage() == "payload {'p': '138****8000'}"
    # uvicorn's access formatter unpacks the arguments: they keep their shape.
    access = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", f"/api/v1/bookings?phone={PHONE}", "1.1", 200), None,
    )  # fmt: skip
    RedactingLogFilter().filter(access)
    assert isinstance(access.args, tuple) and access.args[2] == "/api/v1/bookings?phone=138****8000"
    assert access.args[4] == 200
    assert record.exc_text is not None and ID_NUMBER not in record.exc_text
