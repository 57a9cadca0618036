"""Finding 3: an ID number or phone a resident types stays nowhere in clear. After a full aid
application and a booking over the real stack, neither the tracker Rasa serves, nor the
action server's, backend's or Rasa's log, nor the backend database's free text, nor the
outbox file holds the numbers in any of the forms they could be written in. The backend
database keeps the residents' phones too, encrypted (api/phones.py), never in clear."""

import json
import re
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.personal_numbers import mask_id_number, mask_phone
from testsupport.servers import Stack, staff_client

pytestmark = pytest.mark.e2e

ID_NUMBER = "11010519491231002X"
# As the resident types it: full-width digits, spaces between the groups, a lower-case x.
ID_NUMBER_TYPED = "１１０１０５ １９４９１２３１ ００２ｘ"
APPLICANT_PHONE = "13900001111"
APPLICANT_PHONE_TYPED = "139-0000-1111"
BOOKING_PHONE = "13800138000"
BOOKING_PHONE_TYPED = "幺三八 零零幺三 八零零零"


def clear_forms(number: str, typed: str) -> set[str]:
    """Every way the number could show in a log, a JSON document or a database file."""
    plain = number.upper()
    forms = {plain, plain.lower(), typed, json.dumps(typed)[1:-1]}
    if len(plain) == 11:
        forms |= {f"{plain[:3]} {plain[3:7]} {plain[7:]}", f"{plain[:3]}-{plain[3:7]}-{plain[7:]}"}
    forms.add(" ".join(plain))  # digit by digit, as a voice read-back spells it
    forms.add(json.dumps(plain.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}))[1:-1])
    return forms


ALL_NUMBERS = {
    "ID number": clear_forms(ID_NUMBER, ID_NUMBER_TYPED),
    "applicant phone": clear_forms(APPLICANT_PHONE, APPLICANT_PHONE_TYPED),
    "booking phone": clear_forms(BOOKING_PHONE, BOOKING_PHONE_TYPED),
}


def leaks(text: str, numbers: dict[str, set[str]] = ALL_NUMBERS) -> list[str]:
    # A number in clear is found whatever separates its digits in the text.
    squeezed = re.sub(r"[\s\-]", "", text)
    return [
        f"{name}: {form!r}"
        for name, forms in numbers.items()
        for form in forms
        if form in text or re.sub(r"[\s\-]", "", form) in squeezed
    ]


def front_headers(stack: Stack) -> dict[str, str]:
    """The REST channel key of a plain REST front, once the stack has one (finding 4)."""
    make = getattr(stack, "front_headers", None)
    return dict(make()) if callable(make) else {}


def rasa_api_params(stack: Stack) -> dict[str, str]:
    """Rasa's HTTP API token, once the stack has one (finding 2)."""
    token = getattr(stack, "rasa_token", None)
    return {"token": token} if token else {}


def stack_directory(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where testsupport wrote the stack's logs, database and outbox."""
    for name in ("tmp_dir", "log_dir", "directory"):
        if isinstance(found := getattr(stack, name, None), Path):
            return found
    # stack0 and its link stackcurrent are one directory.
    logs = tmp_path_factory.getbasetemp().glob("stack*/actions.log")
    candidates = {log.parent.resolve() for log in logs}
    if len(candidates) != 1:
        pytest.skip("the stack's directory is unknown (LINLI_TEST_STACK_JSON reuses a stack)")
    return candidates.pop()


class Resident:
    def __init__(self, stack: Stack) -> None:
        self.url = f"{stack.rasa_url}/webhooks/rest/webhook"
        self.headers = front_headers(stack)
        # In the REST front's namespace, as Rasa keeps it once fronts have keys (finding 4).
        self.sender = f"rest:redact-{uuid.uuid4().hex[:8]}"

    def say(self, text: str) -> str:
        response = httpx.post(
            self.url,
            json={"sender": self.sender, "message": text},
            headers=self.headers,
            timeout=60,
        )
        response.raise_for_status()
        return "\n".join(str(message.get("text", "")) for message in response.json())


def number_in(reply: str, prefix: str) -> str:
    match = re.search(rf"{prefix}\d{{6}}", reply)
    assert match, reply
    return match.group()


@pytest.fixture(scope="module")
def conversations(stack: Stack) -> dict[str, Any]:
    """A full aid application with an ID number, and a booking with a spoken phone number."""
    applicant = Resident(stack)
    assert "名字" in applicant.say("我要申请低保")
    assert "电话" in applicant.say("王秀英")
    assert "同意" in applicant.say(f"我的电话是{APPLICANT_PHONE_TYPED}")
    assert "身份证号" in applicant.say("同意")
    submitted = applicant.say(ID_NUMBER_TYPED)
    case_number = number_in(submitted, "A")

    booker = Resident(stack)
    assert "地址" in booker.say("我想订明天中午的午饭")
    assert "电话" in booker.say("幸福小区3号楼201")
    read_back = booker.say(BOOKING_PHONE_TYPED)
    # The number just said is read back digit by digit (a misheard digit is caught) …
    assert "138 0013 8000" in read_back, read_back
    confirmed = booker.say("对")
    booking_number = number_in(confirmed, "B")
    # … and once the form is done, another read of the booking shows it only masked.
    return {
        "applicant": applicant,
        "booker": booker,
        "case": case_number,
        "booking": booking_number,
    }


def test_the_backend_got_the_numbers(stack: Stack, conversations: dict[str, Any]) -> None:
    """The redaction does not cost the records their numbers."""
    with staff_client(stack.backend) as staff:
        case = staff.get(f"/cases/{conversations['case']}").json()
        booking = staff.get(f"/bookings/{conversations['booking']}").json()
    assert case["phone"] == APPLICANT_PHONE
    assert case["id_number"] == mask_id_number(ID_NUMBER)  # stored encrypted, shown masked
    assert booking["phone"] == BOOKING_PHONE


def test_trackers_hold_no_number_in_clear(stack: Stack, conversations: dict[str, Any]) -> None:
    for resident in (conversations["applicant"], conversations["booker"]):
        response = httpx.get(
            f"{stack.rasa_url}/conversations/{resident.sender}/tracker",
            params=rasa_api_params(stack),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        tracker = response.text
        assert leaks(tracker) == [], resident.sender
        # What the resident said is still there, masked.
        assert mask_phone(APPLICANT_PHONE) in tracker or mask_phone(BOOKING_PHONE) in tracker
    served = httpx.get(
        f"{stack.rasa_url}/conversations/{conversations['applicant'].sender}/tracker",
        params=rasa_api_params(stack),
        timeout=30,
    ).json()
    assert mask_id_number(ID_NUMBER) in json.dumps(served, ensure_ascii=False)
    slots = {
        event["name"]: event["value"] for event in served["events"] if event["event"] == "slot"
    }
    assert "id_number" in slots and "phone" in slots  # the slots were set, never in clear


def test_logs_hold_no_number_in_clear(
    stack: Stack, conversations: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = stack_directory(stack, tmp_path_factory)
    for log_name in ("actions.log", "backend.log", "rasa.log"):
        log = (directory / log_name).read_text(errors="replace")
        assert leaks(log) == [], log_name
        # The masking filter keeps every line formattable (uvicorn unpacks its arguments).
        assert "--- Logging error ---" not in log, log_name


def test_outbox_holds_no_number_in_clear(
    stack: Stack, conversations: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = stack_directory(stack, tmp_path_factory)
    # The raw file and its journal: a row written and deleted leaves its bytes in free pages.
    files = sorted(directory.glob("outbox.db*"))
    for path in files:
        raw = path.read_bytes().decode("utf-8", errors="replace")
        assert leaks(raw) == [], path.name


def test_backend_database_holds_the_numbers_only_encrypted(
    stack: Stack, conversations: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = stack_directory(stack, tmp_path_factory)
    # The file and its write-ahead log, where rows not yet checkpointed are.
    for path in sorted(directory.glob("linli.db*")):
        raw = path.read_bytes().decode("utf-8", errors="replace")
        assert leaks(raw) == [], path.name
    # Column by column, as the database reads them back: phones included (encrypted).
    with sqlite3.connect(directory / "linli.db") as database:
        tables = [row[0] for row in database.execute("SELECT name FROM sqlite_master")]
        for table in tables:
            try:
                rows = database.execute(f'SELECT * FROM "{table}"')
            except sqlite3.DatabaseError:
                continue  # an index, not a table
            columns = [column[0] for column in rows.description]
            for row in rows:
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, str):
                        assert leaks(value) == [], (table, column)
