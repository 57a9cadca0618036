"""A Redis lock store whose tickets are issued and returned atomically (issue 15).

Rasa serialises the turns of one conversation with a ticket lock: each message draws a
ticket, waits until it is the lowest live ticket, runs its turn, and returns the ticket.
Rasa's own `RedisLockStore` keeps a conversation's tickets as one JSON value and changes it
with a GET, a change in Python and a SET (RasaHQ/rasa#9213): two replicas that draw a ticket
at the same moment both read the same value, both write back their own ticket, and one ticket
is lost, so two turns of one resident run at once and one tracker save overwrites the other.

Here every change is one Lua script, which Redis runs atomically:

- `lock:<id>:next` is a counter (INCR), so two draws never get the same number. It lives a day
  past the last draw, so no number is drawn twice while a ticket with it could be alive, and a
  late return from a holder that outlived its ticket cannot remove a newer ticket;
- `lock:<id>:tickets` is a sorted set of live tickets, ticket number -> expiry time;
- a turn holds the lock while its ticket is the lowest live one. A ticket lives `lock_lifetime`
  seconds from its last sign of life: a waiter renews it each time it asks, and the turn that
  gets the lock renews it then, so waiting never eats into the holder's time. A replica that
  died holds its resident up for one lifetime at most;
- a waiter gives up after `max_wait` seconds with a LockError, which the REST channel answers
  with an apology (bot/rest_channel.py): a resident never waits on a chain of stuck turns.

Waiting runs on the event loop (redis.asyncio), so one resident's wait never stalls another's
turn in the same replica. Configured in the scaled profile's endpoints (scripts/scaled.py):

    lock_store:
      type: bot.lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      password: …
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis
import redis.asyncio
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)

# A turn is NLU, the policies and its custom actions. The action server answers within its own
# time budget (30 s, actions/server.py; a write that fails waits in its outbox instead of being
# retried in the turn); two minutes covers the slowest turn with room to spare, and is how long
# a crashed replica's ticket can hold up its resident. Rasa calls `lock(sender_id)` without a
# lifetime, so this (or the endpoint's `lock_lifetime`) is what applies.
DEFAULT_LOCK_LIFETIME = 120.0
# How long a message waits for the turns before it. The scaled profile's HAProxy waits longer
# than `max_wait + lifetime` for a reply (scripts/scaled.py), so a slow turn is answered by
# Rasa, never cut off by the proxy.
DEFAULT_MAX_WAIT = 120.0
# How often a waiting turn asks whether it is its turn: a resident's second message waits at
# most this long after the first finished (Rasa's own store waits a whole second).
POLL_INTERVAL = 0.01
MAX_POLL_INTERVAL = 0.05
KEY_PREFIX = "linli:lock:"
COUNTER_TTL_MS = 24 * 3600 * 1000

# A key lives at least as long as its longest-lived ticket: a short draw never shortens it.
_KEEP_ALIVE = """
local function keep_alive(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
"""

# KEYS[1] counter, KEYS[2] tickets; ARGV[1] now, ARGV[2] lifetime (s), ARGV[3] counter TTL (ms).
# Returns the ticket.
_ISSUE = (
    _KEEP_ALIVE
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local number = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[2]), number)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
keep_alive(KEYS[2], math.ceil(tonumber(ARGV[2]) * 1000) + 1000)
return number
"""
)

# KEYS[1] tickets; ARGV[1] now, ARGV[2] ticket, ARGV[3] lifetime (s). Renews the ticket; returns
# 1 when it is the lowest live one, 0 when it must wait, -1 when it is gone (expired).
_IS_SERVING = (
    _KEEP_ALIVE
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return -1 end
redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[1]) + tonumber(ARGV[3]), ARGV[2])
keep_alive(KEYS[1], math.ceil(tonumber(ARGV[3]) * 1000) + 1000)
local lowest = nil
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local n = tonumber(member)
  if lowest == nil or n < lowest then lowest = n end
end
if lowest == tonumber(ARGV[2]) then return 1 end
return 0
"""
)

# KEYS[1] tickets; ARGV[1] ticket. The counter stays, so the number is never drawn again.
_RETURN = """
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end
return 1
"""


class AtomicRedisLockStore(LockStore):
    """Rasa's ticket lock on Redis, every change made by one atomic script."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 6379,
        db: int = 0,
        password: str | None = None,
        lock_lifetime: float = DEFAULT_LOCK_LIFETIME,
        max_wait: float = DEFAULT_MAX_WAIT,
        socket_timeout: float = 2.0,
        **kwargs: Any,
    ) -> None:
        settings: dict[str, Any] = {}
        if endpoint_config is not None:
            settings = dict(endpoint_config.kwargs)
            settings.setdefault("host", endpoint_config.url or host)
        self.lock_lifetime = float(settings.get("lock_lifetime", lock_lifetime))
        self.max_wait = float(settings.get("max_wait", max_wait))
        timeout = float(settings.get("socket_timeout", socket_timeout))
        self._connection = {
            "host": str(settings.get("host", host)),
            "port": int(settings.get("port", port)),
            "db": int(settings.get("db", db)),
            "password": settings.get("password", password) or None,
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
        }
        # The synchronous client serves Rasa's synchronous interface (get_lock, save_lock, …);
        # turns use one asyncio client per event loop (a client's connections belong to a loop).
        self.red = redis.Redis(**self._connection)
        self._async_clients: dict[asyncio.AbstractEventLoop, redis.asyncio.Redis] = {}
        super().__init__()

    @staticmethod
    def _keys(conversation_id: str) -> list[str]:
        return [f"{KEY_PREFIX}{conversation_id}:next", f"{KEY_PREFIX}{conversation_id}:tickets"]

    def _async_client(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            for stale in [known for known in self._async_clients if known.is_closed()]:
                del self._async_clients[stale]
            client = self._async_clients[loop] = redis.asyncio.Redis(**self._connection)
        return client

    def issue_ticket(
        self, conversation_id: str, lock_lifetime: float = DEFAULT_LOCK_LIFETIME
    ) -> int:
        try:
            number = self.red.eval(
                _ISSUE, 2, *self._keys(conversation_id), time.time(), lock_lifetime, COUNTER_TTL_MS
            )
        except redis.RedisError as error:
            raise LockError(f"Could not issue a ticket for {conversation_id}: {error}") from error
        return int(number)

    async def _issue_ticket(self, conversation_id: str, lifetime: float) -> int:
        client = self._async_client()
        number = await client.eval(
            _ISSUE, 2, *self._keys(conversation_id), time.time(), lifetime, COUNTER_TTL_MS
        )
        return int(number)

    async def _serving(self, conversation_id: str, ticket: int, lifetime: float) -> int:
        client = self._async_client()
        tickets = self._keys(conversation_id)[1]
        state = await client.eval(_IS_SERVING, 1, tickets, time.time(), ticket, lifetime)
        return int(state)

    async def _return_ticket(self, conversation_id: str, ticket: int) -> None:
        client = self._async_client()
        await client.eval(_RETURN, 1, self._keys(conversation_id)[1], ticket)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = DEFAULT_LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_INTERVAL,
    ) -> AsyncIterator[TicketLock]:
        # The store's lifetime is a floor under whatever a caller passes.
        lifetime = max(float(lock_lifetime), self.lock_lifetime)
        try:
            ticket = await self._issue_ticket(conversation_id, lifetime)
        except redis.RedisError as error:
            raise LockError(f"Could not issue a ticket for {conversation_id}: {error}") from error
        try:
            interval = min(wait_time_in_seconds, POLL_INTERVAL)
            give_up_at = time.monotonic() + self.max_wait
            try:
                while (state := await self._serving(conversation_id, ticket, lifetime)) == 0:
                    if time.monotonic() >= give_up_at:
                        raise LockError(
                            f"{conversation_id} waited {self.max_wait:.0f} s for earlier turns."
                        )
                    await asyncio.sleep(interval)
                    interval = min(interval * 2, MAX_POLL_INTERVAL)
            except redis.RedisError as error:
                raise LockError(f"Lost the lock store while {conversation_id} waited.") from error
            if state < 0:
                raise LockError(f"The ticket of {conversation_id} expired while it waited.")
            yield TicketLock(conversation_id, deque([Ticket(ticket, time.time() + lifetime)]))
        finally:
            try:
                await asyncio.shield(self._return_ticket(conversation_id, ticket))
            except redis.RedisError:
                # The ticket expires on its own within one lifetime.
                log.exception("could not return the lock ticket of %s", conversation_id)

    # Rasa's LockStore interface, for code that reads or resets a lock directly.

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        live = self.red.zrangebyscore(
            self._keys(conversation_id)[1], time.time(), "+inf", withscores=True
        )
        if not live:
            return None
        tickets = sorted(
            (Ticket(int(number), float(expires)) for number, expires in live),
            key=lambda t: t.number,
        )
        return TicketLock(conversation_id, deque(tickets))

    def delete_lock(self, conversation_id: str) -> None:
        # The counter stays: numbers already drawn are never drawn again.
        self.red.delete(self._keys(conversation_id)[1])

    def save_lock(self, lock: TicketLock) -> None:
        counter, tickets = self._keys(lock.conversation_id)
        with self.red.pipeline(transaction=True) as pipe:
            pipe.delete(tickets)
            if lock.tickets:
                pipe.zadd(tickets, {str(t.number): t.expires for t in lock.tickets})
                pipe.set(counter, max(t.number for t in lock.tickets), nx=True)
            pipe.execute()

    def return_ticket(self, conversation_id: str, ticket: int) -> None:
        self.red.eval(_RETURN, 1, self._keys(conversation_id)[1], ticket)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.return_ticket(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self.return_ticket(conversation_id, ticket_number)
