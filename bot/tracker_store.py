"""A tracker store that keeps no ID number or phone number in clear (issue 14, finding 3).

Rasa keeps every event of a conversation: the user message as typed (text and parse data),
the slot events with each value, the bot's replies. Before a tracker reaches the store that
really keeps it, every string in its events is passed through
`common.personal_numbers.redact_personal_numbers`: ID numbers and phones, however written
(full-width or spoken digits, spaces, hyphens), become their masked form. What the store
serves (`GET /conversations/<id>/tracker`, the next turn) is therefore redacted too.

The turn that receives a number still sees it: Rasa saves the tracker only after the turn's
actions ran, and the actions exchange the number for a sealed reference (see actions/aid.py),
which is what the slot keeps from then on.

Configured in bot/endpoints.yml; the store that keeps the trackers is configured under
`inner` exactly as Rasa's own `tracker_store` section (in memory when empty, `type: redis`
with its url and options, `type: sql` …):

    tracker_store:
      type: bot.tracker_store.RedactingTrackerStore
      inner:
        type: redis
        url: localhost
"""

import itertools
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa  # type: ignore[import-untyped]  # 1.4 in the Rasa virtualenv
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.orm import sessionmaker  # type: ignore[import-untyped]
from sqlalchemy.pool import QueuePool  # type: ignore[import-untyped]

from common.personal_numbers import redact_logs, redact_personal_numbers

# Keys whose values identify the event itself and never hold what a resident said.
_KEPT_AS_THEY_ARE = frozenset({"event", "message_id", "timestamp"})
# Rasa's name for the default store, which its factory only knows as "no type".
_IN_MEMORY = ("in_memory", "inmemory", "memory")
# Conversations whose latest intent this process remembers (the REST channel's X-Linli-Intent).
LATEST_INTENTS_KEPT = 10_000


def redacted_value(value: Any) -> Any:
    """`value` (an event's field: text, parse data, slot value, bot message data) with every
    personal number in its strings masked, whatever the nesting."""
    if isinstance(value, str):
        return redact_personal_numbers(value)
    if isinstance(value, dict):
        return {
            key: item if key in _KEPT_AS_THEY_ARE else redacted_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redacted_value(item) for item in value]
    if isinstance(value, tuple):
        # Kept a tuple (a parsed message's token spans are), so that an event without a
        # number compares equal to its redacted form and the tracker is not rebuilt.
        return tuple(redacted_value(item) for item in value)
    return value


def redacted_tracker(
    tracker: DialogueStateTracker, domain: Domain, clean: int = 0
) -> DialogueStateTracker:
    """`tracker` with every personal number in its events masked: the tracker itself when
    none holds one, else a copy rebuilt from the redacted events. Its first `clean` events
    are known to be masked already (they were read from the store)."""
    originals = [event.as_dict() for event in itertools.islice(tracker.events, clean, None)]
    events = [redacted_value(event) for event in originals]
    # Most saves carry no number (a tracker read back from the store is already redacted),
    # and replaying every event into a new tracker costs three times the redaction itself.
    if events == originals:
        return tracker
    kept = [event.as_dict() for event in itertools.islice(tracker.events, clean)]
    redacted = DialogueStateTracker.from_dict(
        tracker.sender_id, kept + events, domain.slots, tracker._max_event_history
    )
    # Set by the processor, not carried by the events.
    redacted.model_id = tracker.model_id
    redacted.assistant_id = tracker.assistant_id
    return redacted


class EventsHeld:
    """How many of a tracker's events the store holds, for each tracker object this process
    read from the store or saved to it, for as long as that object lives.

    Rasa reads a conversation's tracker, appends the turn's events and saves that same object,
    all under the conversation's lock (which also orders replicas): what the object held when
    read is exactly what the store held. Another object for the same conversation (a copy, or
    one built before a replica's turn) is not known, and its caller counts again."""

    def __init__(self) -> None:
        self._by_sender: dict[str, tuple[weakref.ref[DialogueStateTracker], int]] = {}

    def note(self, tracker: DialogueStateTracker) -> None:
        """The store now holds all of `tracker`'s events."""
        sender_id = tracker.sender_id

        def forget(gone: weakref.ref[DialogueStateTracker]) -> None:
            if self._by_sender.get(sender_id, (None, 0))[0] is gone:
                self._by_sender.pop(sender_id, None)

        self._by_sender[sender_id] = (weakref.ref(tracker, forget), len(tracker.events))

    def of(self, tracker: DialogueStateTracker) -> int | None:
        """How many of `tracker`'s first events the store holds; None when not known."""
        held = self._by_sender.get(tracker.sender_id)
        if held is None or held[0]() is not tracker:
            return None
        return held[1]


class AppendingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, which appends a turn's events without counting the
    conversation's rows first.

    Rasa finds which events are new by counting the events of the conversation's latest
    session in the table (a query per save, 4 % of the Rasa process under load, py-spy). The
    tracker it saves is the one it read a moment before, and that one's length is the count.
    Configured as the `inner` store's type (bot/endpoints.yml) with the options of `type: sql`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held = EventsHeld()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            self._held.note(tracker)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        self._held.note(tracker)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        held = self._held.of(tracker)
        if held is None:
            events: Iterator[Any] = super()._additional_events(session, tracker)
            return events
        return itertools.islice(tracker.events, held, None)


def write_ahead_sqlite(store: TrackerStore) -> None:
    """Trackers kept in SQLite are written through its write-ahead log, on connections kept
    open.

    Rasa opens the file with SQLite's default rollback journal, whose commit syncs the journal
    and the database file (7.5 % of the Rasa process's time under load, py-spy), and on a new
    connection for every read and save (SQLAlchemy 1.4's default for a file), which in WAL mode
    would checkpoint the log each time the connection closes. Here a small pool keeps the
    connections, and with `synchronous=NORMAL` a commit is one append to the log: a committed
    turn survives any crash of the process (only a power cut can lose the last turns; a
    resident's cases and bookings never depend on this file: the action server's outbox keeps
    them)."""
    if not isinstance(store, SQLTrackerStore) or store.engine.dialect.name != "sqlite":
        return

    def on_connect(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    url = store.engine.url
    store.engine.dispose()
    # Rasa runs its store's queries on the event loop's thread, one at a time; the pool may
    # still hand a connection to another thread (a shutdown hook), hence check_same_thread.
    store.engine = sa.create_engine(
        url, poolclass=QueuePool, connect_args={"check_same_thread": False}
    )
    sa.event.listen(store.engine, "connect", on_connect)
    store.sessionmaker = sessionmaker(bind=store.engine)


def _inner_endpoint(inner: dict[str, Any] | None) -> EndpointConfig | None:
    if not inner:
        return None
    settings = dict(inner)
    if str(settings.get("type", "")).lower() in _IN_MEMORY:
        settings.pop("type")
    return EndpointConfig.from_dict(settings) if settings else None


class RedactingTrackerStore(TrackerStore):
    """Redacts every tracker it saves, then hands it to the store configured as `inner`."""

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        inner: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        # The event broker goes to the inner store: it streams the events it stores, so a
        # broker only ever sees redacted ones.
        self._inner = create_tracker_store(_inner_endpoint(inner), domain, event_broker)
        write_ahead_sqlite(self._inner)
        super().__init__(domain, event_broker=None, **kwargs)
        self._latest_intents: OrderedDict[str, str] = OrderedDict()
        # Events read back from the store are masked already; only a turn's new ones need it.
        self._masked = EventsHeld()
        # Rasa's own log lines (every message at debug level) are masked too: this store is
        # the project's one piece of code Rasa builds once logging is set up.
        redact_logs("sanic.root", "sanic.error", "sanic.access")

    @property
    def domain(self) -> Domain:
        return self._inner.domain

    @domain.setter
    def domain(self, domain: Domain | None) -> None:
        self._inner.domain = domain or Domain.empty()

    async def save(self, tracker: DialogueStateTracker) -> None:
        redacted = redacted_tracker(tracker, self.domain, clean=self._masked.of(tracker) or 0)
        try:
            await self._inner.save(redacted)
        except BaseException:
            # What this process remembers must not run ahead of what the store holds.
            self._latest_intents.pop(tracker.sender_id, None)
            raise
        if redacted is tracker:
            self._masked.note(tracker)
        self._remember_latest_intent(tracker)

    def _remember_latest_intent(self, tracker: DialogueStateTracker) -> None:
        name = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
        if not isinstance(name, str):
            return
        self._latest_intents[tracker.sender_id] = name
        self._latest_intents.move_to_end(tracker.sender_id)
        while len(self._latest_intents) > LATEST_INTENTS_KEPT:
            self._latest_intents.popitem(last=False)

    def latest_intent(self, sender_id: str) -> str | None:
        """The intent of the latest message this process saved for `sender_id`: what the REST
        channel reports after a turn, without reading the whole tracker back from the store."""
        return self._latest_intents.get(sender_id)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        tracker: DialogueStateTracker | None = await self._inner.retrieve(sender_id)
        if tracker is not None:
            self._masked.note(tracker)
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        return await self._inner.retrieve_full_tracker(conversation_id)

    async def keys(self) -> Iterable[str]:
        keys: Iterable[str] = await self._inner.keys()
        return keys

    async def exists(self, conversation_id: str) -> bool:
        return bool(await self._inner.exists(conversation_id))
