"""A Redis lock store whose tickets are issued and returned atomically (issue 15).

Rasa serialises the turns of one conversation with a ticket lock: each message draws a
ticket, waits until it is the lowest live ticket, runs its turn, and returns the ticket.
Rasa's own `RedisLockStore` keeps a conversation's tickets as one JSON value and changes it
with a GET, a change in Python and a SET (RasaHQ/rasa#9213): two replicas that draw a ticket
at the same moment both read the same value, both write back their own ticket, and one ticket
is lost, so two turns of one resident run at once and one tracker save overwrites the other.

Here every change is one Lua script, which Redis runs atomically:

- `lock:<id>:next` is a counter (INCR), so two draws never get the same number;
- `lock:<id>:tickets` is a sorted set of live tickets, ticket number -> expiry time;
- a turn holds the lock while its ticket is the lowest live one; a ticket expires after
  `lock_lifetime` seconds, which must cover the slowest turn (see `DEFAULT_LOCK_LIFETIME`);
- the last ticket returned deletes both keys, and both keys expire on their own when every
  holder died, so no conversation stays locked for longer than one lifetime.

Configured in the scaled profile's endpoints (`docs/`, `scripts/scaled/`):

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
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)

# A turn is NLU, the policies and its custom actions. The action server answers within its own
# backend timeout (10 s a call; writes that fail wait in its outbox instead of being retried in
# the turn), and Rasa gives up on the action server after its request timeout; two minutes
# covers the slowest turn with room to spare, and is how long a crashed replica's ticket can
# hold up its resident.
DEFAULT_LOCK_LIFETIME = 120.0
# How often a waiting turn asks whether it is its turn: a resident's second message waits at
# most this long after the first finished (Rasa's own store waits a whole second).
POLL_INTERVAL = 0.01
MAX_POLL_INTERVAL = 0.05
KEY_PREFIX = "linli:lock:"

# KEYS[1] counter, KEYS[2] tickets; ARGV[1] now, ARGV[2] lifetime (s). Returns the ticket.
_ISSUE = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local number = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[2]), number)
local ttl = math.ceil(tonumber(ARGV[2]) * 1000) + 1000
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return number
"""

# KEYS[2] tickets; ARGV[1] now, ARGV[2] ticket. Returns 1 when the ticket is the lowest live
# one, 0 when it must wait, -1 when it is gone (expired).
_IS_SERVING = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[2], ARGV[2]) then return -1 end
local lowest = nil
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local n = tonumber(member)
  if lowest == nil or n < lowest then lowest = n end
end
if lowest == tonumber(ARGV[2]) then return 1 end
return 0
"""

# KEYS[1] counter, KEYS[2] tickets; ARGV[1] ticket. Returns the ticket; the last one out
# deletes the lock.
_RETURN = """
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
end
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
        socket_timeout: float = 2.0,
        **kwargs: Any,
    ) -> None:
        settings: dict[str, Any] = {}
        if endpoint_config is not None:
            settings = dict(endpoint_config.kwargs)
            settings.setdefault("host", endpoint_config.url or host)
        self.lock_lifetime = float(settings.get("lock_lifetime", lock_lifetime))
        self.red = redis.Redis(
            host=str(settings.get("host", host)),
            port=int(settings.get("port", port)),
            db=int(settings.get("db", db)),
            password=settings.get("password", password) or None,
            socket_timeout=float(settings.get("socket_timeout", socket_timeout)),
            socket_connect_timeout=float(settings.get("socket_timeout", socket_timeout)),
        )
        self._issue = self.red.register_script(_ISSUE)
        self._is_serving = self.red.register_script(_IS_SERVING)
        self._return = self.red.register_script(_RETURN)
        super().__init__()

    @staticmethod
    def _keys(conversation_id: str) -> list[str]:
        return [f"{KEY_PREFIX}{conversation_id}:next", f"{KEY_PREFIX}{conversation_id}:tickets"]

    def issue_ticket(
        self, conversation_id: str, lock_lifetime: float = DEFAULT_LOCK_LIFETIME
    ) -> int:
        try:
            return int(
                self._issue(keys=self._keys(conversation_id), args=[time.time(), lock_lifetime])
            )
        except redis.RedisError as error:
            raise LockError(f"Could not issue a ticket for {conversation_id}: {error}") from error

    def return_ticket(self, conversation_id: str, ticket: int) -> None:
        self._return(keys=self._keys(conversation_id), args=[ticket])

    def serving(self, conversation_id: str, ticket: int) -> int:
        """1 when `ticket` holds the lock, 0 while an earlier ticket does, -1 when it expired."""
        return int(self._is_serving(keys=self._keys(conversation_id), args=[time.time(), ticket]))

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = DEFAULT_LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_INTERVAL,
    ) -> AsyncIterator[TicketLock]:
        # The store's lifetime is a floor: Rasa passes its own (60 s unless TICKET_LOCK_LIFETIME).
        lifetime = max(float(lock_lifetime), self.lock_lifetime)
        ticket = self.issue_ticket(conversation_id, lifetime)
        try:
            interval = min(wait_time_in_seconds, POLL_INTERVAL)
            while (state := self.serving(conversation_id, ticket)) == 0:
                await asyncio.sleep(interval)
                interval = min(interval * 2, MAX_POLL_INTERVAL)
            if state < 0:
                raise LockError(f"The ticket of {conversation_id} expired while it waited.")
            yield TicketLock(conversation_id, deque([Ticket(ticket, time.time() + lifetime)]))
        finally:
            try:
                self.return_ticket(conversation_id, ticket)
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
        self.red.delete(*self._keys(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        counter, tickets = self._keys(lock.conversation_id)
        with self.red.pipeline(transaction=True) as pipe:
            pipe.delete(tickets)
            if lock.tickets:
                pipe.zadd(tickets, {str(t.number): t.expires for t in lock.tickets})
                pipe.set(counter, max(t.number for t in lock.tickets), nx=True)
            pipe.execute()

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.return_ticket(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self.return_ticket(conversation_id, ticket_number)
