"""The atomic Redis lock store (bot/lock_store.py) against a real redis-server.

Several store instances stand for several Rasa replicas: each has its own connection, as
replicas do."""

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.core.lock_store import LockError

from bot.lock_store import AtomicRedisLockStore
from testsupport.redis_server import RedisServer, redis_available, redis_server

pytestmark = pytest.mark.skipif(not redis_available(), reason="redis-server is not installed")


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


def store(server: RedisServer, **settings: float) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(
        host=server.host, port=server.port, password=server.password, **settings
    )


def test_tickets_drawn_at_once_by_many_replicas_are_all_distinct_and_all_kept(
    redis: RedisServer,
) -> None:
    # Rasa's RedisLockStore reads the ticket list, appends and writes it back: draws at the
    # same moment get the same number or overwrite each other's ticket.
    replicas = [store(redis) for _ in range(8)]
    drawn: list[int] = []
    start = threading.Barrier(len(replicas))

    def draw(replica: AtomicRedisLockStore) -> None:
        start.wait()
        for _ in range(50):
            drawn.append(replica.issue_ticket("tg:race", 60))

    threads = [threading.Thread(target=draw, args=(replica,)) for replica in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(drawn) == 400
    assert len(set(drawn)) == 400
    lock = replicas[0].get_lock("tg:race")
    assert lock is not None and len(lock.tickets) == 400
    replicas[0].delete_lock("tg:race")


@pytest.mark.asyncio
async def test_turns_of_one_conversation_never_overlap_and_run_in_ticket_order(
    redis: RedisServer,
) -> None:
    replicas = [store(redis), store(redis)]
    inside = 0
    overlaps = 0
    order: list[int] = []

    async def turn(number: int) -> None:
        nonlocal inside, overlaps
        async with replicas[number % 2].lock("rest:order") as lock:
            inside += 1
            overlaps += inside > 1
            order.append(lock.tickets[0].number)
            await asyncio.sleep(0.005)
            inside -= 1

    await asyncio.gather(*(turn(number) for number in range(40)))
    assert overlaps == 0
    assert order == sorted(order) and len(order) == 40
    # The last ticket returned removed the lock.
    assert replicas[0].get_lock("rest:order") is None


@pytest.mark.asyncio
async def test_other_conversations_do_not_wait_for_a_held_lock(redis: RedisServer) -> None:
    replica = store(redis)
    async with replica.lock("tg:held"):
        async with asyncio.timeout(1):
            async with replica.lock("tg:free"):
                pass


@pytest.mark.asyncio
async def test_a_ticket_whose_holder_died_expires_and_the_next_turn_goes_on(
    redis: RedisServer,
) -> None:
    replica = store(redis, lock_lifetime=2)
    # A replica that drew a ticket and died before returning it.
    replica.issue_ticket("call:dead-holder", 0.3)
    async with asyncio.timeout(3):
        async with replica.lock("call:dead-holder"):
            pass
    assert replica.get_lock("call:dead-holder") is None


@pytest.mark.asyncio
async def test_a_waiter_whose_ticket_expired_gets_a_lock_error(redis: RedisServer) -> None:
    holder, waiter = store(redis, lock_lifetime=5), store(redis, lock_lifetime=0.2)
    async with holder.lock("rest:slow", lock_lifetime=5):
        with pytest.raises(LockError):
            async with asyncio.timeout(3):
                async with waiter.lock("rest:slow", lock_lifetime=0.2):
                    pass


def test_an_unreachable_redis_is_a_lock_error_not_a_hang(tmp_path: Path) -> None:
    with redis_server(tmp_path) as server:
        replica = store(server)
    with pytest.raises(LockError):
        replica.issue_ticket("tg:down", 60)
