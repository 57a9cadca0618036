"""bot/tracker_store.py as Rasa builds it from bot/endpoints.yml: every event is redacted
before the inner store keeps it, and what it serves back is the redacted tracker."""

import asyncio
import gc
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import (
    AppendingSQLTrackerStore,
    EventsHeld,
    RedactingTrackerStore,
    redacted_tracker,
)
from testsupport.servers import PROJECT_ROOT

SEALED = "sealed:138****8000:gAAAAABn-1234567_abcdef"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "bot" / "domain"))


def test_endpoints_configure_the_redacting_store_around_sqlite_in_var(
    monkeypatch: pytest.MonkeyPatch, domain: Domain, tmp_path: Path
) -> None:
    monkeypatch.setenv("LINLI_ACTIONS_SERVER_TOKEN", "tok")
    endpoints = read_endpoints_from_path(str(PROJECT_ROOT / "bot" / "endpoints.yml"))
    # The Rasa server runs in the project folder, where `make run` made var/.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir()
    store = TrackerStore.create(endpoints.tracker_store, domain)
    assert isinstance(store, RedactingTrackerStore)
    assert isinstance(store._inner, AppendingSQLTrackerStore)
    assert store.domain is domain
    assert (tmp_path / "var" / "trackers.db").exists()


def test_a_conversation_outlives_the_store_that_kept_it(domain: Domain, tmp_path: Path) -> None:
    inner = {"type": "sql", "dialect": "sqlite", "db": str(tmp_path / "trackers.db")}
    tracker = DialogueStateTracker.from_events(
        "rest:resident",
        [
            ActionExecuted("action_listen"),
            UserUttered("我想订明天中午的午饭"),
            SlotSet("address", "幸福小区3号楼201"),
        ],
        domain.slots,
    )
    asyncio.run(RedactingTrackerStore(domain=domain, inner=inner).save(tracker))
    # A new process: a new store on the same file.
    served = asyncio.run(
        RedactingTrackerStore(domain=domain, inner=inner).retrieve("rest:resident")
    )
    assert served is not None and served.get_slot("address") == "幸福小区3号楼201"


def test_sqlite_trackers_are_written_through_the_write_ahead_log(
    domain: Domain, tmp_path: Path
) -> None:
    store = RedactingTrackerStore(
        domain=domain, inner={"type": "sql", "dialect": "sqlite", "db": str(tmp_path / "t.db")}
    )
    tracker = DialogueStateTracker.from_events(
        "rest:resident", [ActionExecuted("action_listen"), UserUttered("你好")], domain.slots
    )
    asyncio.run(store.save(tracker))
    assert isinstance(store._inner, SQLTrackerStore)
    with store._inner.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # 1 is NORMAL: one append to the log a commit, durable across a crash of the process.
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1


def test_numbers_are_masked_in_every_event(domain: Domain) -> None:
    store = RedactingTrackerStore(domain=domain, inner={"type": "in_memory"})
    said = "我的电话是 １３８-００１３-８０００，身份证一一零一零五一九四九一二三一零零二叉"
    tracker = DialogueStateTracker.from_events(
        "resident",
        [
            ActionExecuted("action_listen"),
            UserUttered(
                said,
                parse_data={
                    "text": said,
                    "intent": {"name": "inform", "confidence": 0.9},
                    "entities": [{"entity": "phone", "value": "13800138000", "start": 5}],
                },
            ),
            SlotSet("phone", "13800138000"),
            SlotSet("id_number", "11010519491231002X"),
            SlotSet("phone", SEALED),
            BotUttered("电话138 0013 8000，对吗？", {"buttons": [{"payload": "/affirm"}]}),
        ],
        domain.slots,
    )
    asyncio.run(store.save(tracker))
    served = asyncio.run(store.retrieve("resident"))
    assert served is not None
    stored = json.dumps([event.as_dict() for event in served.events], ensure_ascii=False)
    for clear in ("13800138000", "１３８-００１３-８０００", "138 0013 8000", "11010519491231002X"):
        assert clear not in stored
    assert "一一零一零五一九四九一二三一零零二叉" not in stored
    assert "138****8000" in stored and "1101**********002X" in stored
    # The sealed reference the action set is kept whole: the next turn files with it.
    assert served.get_slot("phone") == SEALED
    assert served.latest_message is not None and "138****8000" in served.latest_message.text


def appending_sqlite(path: Path) -> dict[str, str]:
    return {
        "type": "bot.tracker_store.AppendingSQLTrackerStore",
        "dialect": "sqlite",
        "db": str(path),
    }


def test_a_number_said_in_a_later_turn_is_masked_and_a_clean_tracker_is_not_rebuilt(
    domain: Domain, tmp_path: Path
) -> None:
    inner = appending_sqlite(tmp_path / "trackers.db")
    store = RedactingTrackerStore(domain=domain, inner=inner)
    parsed = {"text": "我想订助餐", "text_tokens": [(0, 2), (2, 3), (3, 5)]}  # as Rasa parses
    first_turn = [ActionExecuted("action_listen"), UserUttered("我想订助餐", parse_data=parsed)]
    tracker = DialogueStateTracker.from_events("rest:resident", first_turn, domain.slots)
    assert redacted_tracker(tracker, domain) is tracker
    asyncio.run(store.save(tracker))

    served = asyncio.run(store.retrieve("rest:resident"))
    assert served is not None
    served.update(UserUttered("电话13800138000"))
    served.update(SlotSet("address", "幸福小区3号楼201"))
    asyncio.run(store.save(served))

    again = asyncio.run(RedactingTrackerStore(domain=domain, inner=inner).retrieve("rest:resident"))
    assert again is not None
    texts = [event.text for event in again.events if isinstance(event, UserUttered)]
    assert texts == ["我想订助餐", "电话138****8000"]
    assert again.get_slot("address") == "幸福小区3号楼201"


def test_turns_are_appended_once_each_without_counting_the_stored_events(
    domain: Domain, tmp_path: Path
) -> None:
    inner = appending_sqlite(tmp_path / "trackers.db")
    store = RedactingTrackerStore(domain=domain, inner=inner)
    start = [ActionExecuted("action_listen"), UserUttered("第0句"), BotUttered("好的")]
    asyncio.run(store.save(DialogueStateTracker.from_events("rest:r", start, domain.slots)))
    statements: list[str] = []
    sa.event.listen(
        store._inner.engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_args: statements.append(statement.lower()),
    )
    for turn in (1, 2, 3):
        served = asyncio.run(store.retrieve("rest:r"))
        assert served is not None
        served.update(UserUttered(f"第{turn}句"))
        served.update(BotUttered(f"回答{turn}"))
        asyncio.run(store.save(served))
    assert statements and not [statement for statement in statements if "count(" in statement]

    # A tracker this store did not read (a copy) is counted the way Rasa counts.
    served = asyncio.run(store.retrieve("rest:r"))
    assert served is not None
    copy = DialogueStateTracker.from_events("rest:r", list(served.events), domain.slots)
    copy.update(UserUttered("第4句"))
    asyncio.run(store.save(copy))

    again = asyncio.run(RedactingTrackerStore(domain=domain, inner=inner).retrieve("rest:r"))
    assert again is not None
    said = [event.text for event in again.events if isinstance(event, UserUttered)]
    assert said == ["第0句", "第1句", "第2句", "第3句", "第4句"]
    assert len(again.events) == len(start) + 3 * 2 + 1


def test_what_the_store_holds_is_forgotten_with_the_tracker(domain: Domain) -> None:
    held = EventsHeld()
    tracker = DialogueStateTracker.from_events("rest:r", [UserUttered("你好")], domain.slots)
    held.note(tracker)
    assert held.of(tracker) == 1
    other = DialogueStateTracker.from_events("rest:r", [UserUttered("你好")], domain.slots)
    assert held.of(other) is None
    del tracker
    gc.collect()
    assert held.of(other) is None and not held._by_sender
