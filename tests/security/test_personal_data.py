"""Issue 14, finding 8 (personal data handling), against the real backend and action server.

Before the fix: reads of cases (income and health notes), call records and household
timelines left no audit entry although the README says every read does; health and income
were asked in the eligibility check without a consent of their own and stayed in the
conversation for later sessions; var/*.db files were world-readable; and there was no way to
change the key that encrypts ID numbers without losing every stored one.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from api.id_numbers import check_character, vault_for
from api.residents.models import Resident
from testsupport.servers import (
    APP_PYTHON,
    PROJECT_ROOT,
    RASA_PYTHON,
    Backend,
    backend_server,
    free_port,
    running,
    staff_client,
)

PROMPTS = yaml.safe_load((PROJECT_ROOT / "actions" / "prompts.yml").read_text(encoding="utf-8"))


def id_number(first_17: str = "32090219450101002") -> str:
    return first_17 + check_character(first_17)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    with backend_server(tmp_path_factory.mktemp("personal-data")) as server:
        yield server


@pytest.fixture
def staff(backend: Backend) -> Iterator[httpx.Client]:
    with staff_client(backend) as client:
        yield client


def reads_of(staff: httpx.Client, subject: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = staff.get("/audit", params={"subject": subject}).json()
    return [entry for entry in entries if entry["action"] == "read"]


def test_reads_of_cases_calls_and_household_timelines_are_audited(
    backend: Backend, staff: httpx.Client
) -> None:
    case = staff.post(
        "/cases",
        json={
            "policy": "dibao",
            "applicant_name": "王芳",
            "phone": "13800138000",
            "description": "退休金一千二，有糖尿病",
            "channel": "staff",
        },
    ).json()
    resident = f"resident:{case['resident_id']}"
    assert reads_of(staff, resident) == []

    assert staff.get(f"/cases/{case['number']}").status_code == 200
    assert staff.get("/cases").status_code == 200
    household = staff.post("/households", json={"name": "王家", "address": "幸福小区"}).json()
    joined = staff.patch(
        f"/residents/{case['resident_id']}", json={"household_id": household["id"]}
    )
    assert joined.status_code == 200
    before_timeline = len(reads_of(staff, resident))
    assert staff.get(f"/households/{household['id']}/timeline").status_code == 200

    entries = reads_of(staff, resident)
    details = [entry["detail"] for entry in entries]
    assert f"GET /cases/{case['number']}" in details
    assert "GET /cases" in details
    assert f"GET /households/{household['id']}/timeline" in details
    assert len(entries) > before_timeline
    assert all(entry["actor"] == f"staff:{backend.admin_username}" for entry in entries)
    # Field names, never values.
    case_read = next(e for e in entries if e["detail"] == f"GET /cases/{case['number']}")
    assert "description" in case_read["fields"].split(",")
    assert "糖尿病" not in json.dumps(entries, ensure_ascii=False)

    call_id = "audit-call-" + secrets.token_hex(4)
    with httpx.Client(base_url=f"{backend.url}/api/v1", timeout=10) as channel:
        started = channel.post(
            "/calls",
            json={"call_id": call_id, "transport": "simulator"},
            headers={"X-API-Key": backend.api_key},
        )
    assert started.status_code == 201, started.text
    assert staff.get(f"/calls/{started.json()['call_id']}").status_code == 200
    assert staff.get("/calls").status_code == 200
    call_reads = reads_of(staff, f"call:{started.json()['call_id']}")
    assert {entry["detail"] for entry in call_reads} >= {
        f"GET /calls/{started.json()['call_id']}",
        "GET /calls",
    }


def test_the_console_case_page_is_an_audited_read(backend: Backend, staff: httpx.Client) -> None:
    case = staff.post(
        "/cases",
        json={
            "policy": "linshi_jiuzhu",
            "applicant_name": "李强",
            "phone": "13900139000",
            "description": "住院花了三万",
            "channel": "staff",
        },
    ).json()
    with httpx.Client(base_url=backend.url, timeout=10, follow_redirects=False) as browser:
        page = browser.get("/console/login").text
        fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
        logged_in = browser.post(
            "/console/login",
            data={
                **fields,
                "username": backend.admin_username,
                "password": backend.admin_password,
            },
            headers={"Origin": backend.url},
        )
        assert logged_in.status_code == 303, logged_in.text
        assert browser.get(f"/console/cases/{case['number']}").status_code == 200
    details = [entry["detail"] for entry in reads_of(staff, f"resident:{case['resident_id']}")]
    assert f"console /cases/{case['number']}" in details


# --- consent before health and income facts (the real action server, as Rasa calls it) ---


def load_domain() -> dict[str, Any]:
    """The parts of bot/domain/ a form validation reads: slots and forms."""
    domain: dict[str, Any] = {"slots": {}, "forms": {}}
    for part in sorted((PROJECT_ROOT / "bot" / "domain").glob("*.yml")):
        loaded = yaml.safe_load(part.read_text(encoding="utf-8")) or {}
        domain["slots"].update(loaded.get("slots") or {})
        domain["forms"].update(loaded.get("forms") or {})
    return domain


def action_call(
    action: str,
    sender: str,
    *,
    text: str = "",
    intent: str | None = None,
    slots: dict[str, Any] | None = None,
    bot_said: str | None = None,
) -> dict[str, Any]:
    """What Rasa posts to the action server for `action` in the eligibility form."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "intent_ranking": [],
        "entities": [],
        "metadata": {},
    }
    events: list[dict[str, Any]] = [{"event": "action", "name": "action_listen"}]
    if bot_said is not None:
        events.append({"event": "bot", "text": bot_said})
    events.append({"event": "user", "text": text, "parse_data": latest, "input_channel": "rest"})
    all_slots = {"requested_slot": None, **(slots or {})}
    events += [{"event": "slot", "name": name, "value": value} for name, value in all_slots.items()]
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.0",
        "domain": load_domain(),
        "tracker": {
            "sender_id": sender,
            "slots": all_slots,
            "latest_message": latest,
            "events": events,
            "latest_event_time": 0,
            "followup_action": None,
            "paused": False,
            "active_loop": {"name": "eligibility_form"},
            "latest_action_name": "action_listen",
            "latest_input_channel": "rest",
        },
    }


@pytest.fixture(scope="module")
def action_server(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    tmp = tmp_path_factory.mktemp("personal-data-actions")
    port, token = free_port(), secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "LINLI_ACTIONS_BACKEND_URL": backend.url,
        "LINLI_ACTIONS_BACKEND_API_KEY": backend.api_key,
        "LINLI_ACTIONS_OUTBOX_PATH": str(tmp / "outbox.db"),
        "LINLI_ACTIONS_OUTBOX_KEY": Fernet.generate_key().decode(),
        "LINLI_ACTIONS_PORT": str(port),
        "LINLI_ACTIONS_SERVER_TOKEN": token,
    }
    command = [str(RASA_PYTHON), "-m", "actions.server"]
    with running("actions", command, env, f"http://127.0.0.1:{port}/health", tmp, 90):
        yield f"http://127.0.0.1:{port}/webhook", token


def run_action(server: tuple[str, str], call: dict[str, Any]) -> dict[str, Any]:
    url, token = server
    answer = httpx.post(url, params={"token": token}, json=call, timeout=30)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def said(result: dict[str, Any]) -> str:
    return "\n".join(str(response.get("text") or "") for response in result["responses"])


def slots_set(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e.get("event") == "slot"}


def test_health_and_income_are_asked_only_after_their_own_consent(
    action_server: tuple[str, str], staff: httpx.Client
) -> None:
    sender = "consent-" + secrets.token_hex(4)
    answered = {"age": 70, "living_alone": True}
    asking = {**answered, "requested_slot": "disability"}
    health_question = PROMPTS["ask_health_consent"]["text"]

    # The form's turn to ask about disability: the consent question comes first.
    asked = run_action(action_server, action_call("action_ask_disability", sender, slots=asking))
    assert said(asked) == health_question

    # Health said before consent is not kept, even in the resident's own words.
    early = action_call(
        "validate_eligibility_form", sender, text="我二级残疾", intent="inform", slots=answered
    )
    assert "disability" not in slots_set(run_action(action_server, early))

    # "同意" is recorded in the backend, with the exact text shown, before anything is asked.
    agree = action_call(
        "validate_eligibility_form", sender, text="同意", intent="affirm",
        slots=asking, bot_said=health_question,
    )  # fmt: skip
    assert "disability" not in slots_set(run_action(action_server, agree))
    consents = staff.get("/consents", params={"channel": "chat", "sender_id": sender}).json()
    assert [(c["purpose"], c["granted"]) for c in consents] == [("health", True)]
    asked = run_action(action_server, action_call("action_ask_disability", sender, slots=asking))
    assert said(asked) == PROMPTS["ask_disability"]["text"]
    told = action_call(
        "validate_eligibility_form", sender, text="我二级残疾", intent="inform", slots=asking
    )
    assert slots_set(run_action(action_server, told))["disability"] == "severe"

    # Income has a consent of its own; declined, it is skipped, not asked.
    health_told = {**answered, "disability": "severe", "serious_illness": False}
    income_question = PROMPTS["ask_income_consent"]["text"]
    asking_income = {**health_told, "requested_slot": "income"}
    asked = run_action(action_server, action_call("action_ask_income", sender, slots=asking_income))
    assert said(asked) == income_question
    decline = action_call(
        "validate_eligibility_form", sender, text="不同意", intent="deny",
        slots=asking_income, bot_said=income_question,
    )  # fmt: skip
    assert slots_set(run_action(action_server, decline))["income"] == "not_told"
    consents = staff.get("/consents", params={"channel": "chat", "sender_id": sender}).json()
    assert ("income", False) in [(c["purpose"], c["granted"]) for c in consents]

    # Used for one screening, then forgotten: nothing to carry into a later session.
    screened = run_action(
        action_server,
        action_call(
            "action_screen_eligibility", sender, slots={**health_told, "income": "not_told"}
        ),
    )
    forgotten = slots_set(screened)
    assert forgotten == {"disability": None, "serious_illness": None, "income": None}

    # A form stopped half-way forgets them too, and a new session does not bring them back.
    stopped = run_action(action_server, action_call("action_stop_form", sender, slots=health_told))
    assert {"disability": None, "serious_illness": None}.items() <= slots_set(stopped).items()
    started = run_action(
        action_server, action_call("action_session_start", sender, slots=health_told)
    )
    assert slots_set(started) == {"age": 70, "living_alone": True}


# --- files under var/ ---


def test_the_backend_database_is_private_even_when_it_was_not(tmp_path: Path) -> None:
    database = tmp_path / "linli.db"
    database.touch(mode=0o644)
    database.chmod(0o644)  # an install from before the fix
    with backend_server(tmp_path) as server, staff_client(server) as staff:
        staff.post(
            "/cases",
            json={"policy": "dibao", "applicant_name": "赵六", "phone": "13700137000",
                  "channel": "staff"},
        )  # fmt: skip
        for written in tmp_path.glob("linli.db*"):
            assert written.stat().st_mode & 0o077 == 0, written


def test_the_env_file_is_private_from_the_start(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(PROJECT_ROOT / "scripts" / "make-env.py", tmp_path / "scripts" / "make-env.py")
    subprocess.run(
        [str(APP_PYTHON), str(tmp_path / "scripts" / "make-env.py")],
        check=True,
        capture_output=True,
    )
    env_file = tmp_path / "var" / "linli.env"
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert "LINLI_ACTIONS_OUTBOX_KEY=" in env_file.read_text()


# --- rotating the key that encrypts ID numbers ---


def test_the_id_number_key_rotates_without_losing_a_number(tmp_path: Path) -> None:
    old_key = Fernet.generate_key().decode()
    new_key = Fernet.generate_key().decode()
    number = id_number()
    with (
        backend_server(tmp_path, extra_env={"LINLI_API_ID_NUMBER_KEY": old_key}) as server,
        staff_client(server) as staff,
    ):
        created = staff.post(
            "/residents",
            json={"name": "钱七", "id_number": number, "id_number_consent": True},
        )
        assert created.status_code == 201, created.text
    database_url = f"sqlite:///{tmp_path / 'linli.db'}"

    def stored() -> Resident:
        with Session(create_engine(database_url)) as session:
            resident = session.scalar(
                select(Resident).where(Resident.id_number_encrypted.is_not(None))
            )
            assert resident is not None
            session.expunge(resident)
            return resident

    before = stored()
    with pytest.raises(Exception):  # noqa: B017 - the new key alone cannot read it yet
        vault_for(new_key).decrypt(before.id_number_encrypted or "")

    env = {
        **os.environ,
        "LINLI_API_DATABASE_URL": database_url,
        "LINLI_API_SECRET_KEY": secrets.token_urlsafe(32),
        "LINLI_API_ID_NUMBER_KEY": f"{new_key},{old_key}",
    }
    rotated = subprocess.run(
        [str(APP_PYTHON), "-m", "api.rotate_keys"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert rotated.returncode == 0, rotated.stderr
    assert number not in rotated.stdout + rotated.stderr

    after = stored()
    new_only = vault_for(new_key)
    assert new_only.decrypt(after.id_number_encrypted or "") == number
    # The lookup digest follows the newest key, so the same person is still found.
    assert after.id_number_digest == new_only.digest(number)
    assert after.id_number_digest != before.id_number_digest
