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
async def test_waiting_longer_than_a_lifetime_does_not_expire_the_waiters_ticket(
    redis: RedisServer,
) -> None:
    # A ticket's lifetime counts from its last sign of life, not from the draw: a message that
    # waited behind a slow turn still gets its own whole lifetime.
    holder, waiter = store(redis, lock_lifetime=5), store(redis, lock_lifetime=0.3)
    entered = asyncio.Event()

    async def hold() -> None:
        async with holder.lock("rest:slow"):
            entered.set()
            await asyncio.sleep(1.0)

    holding = asyncio.create_task(hold())
    await entered.wait()
    async with asyncio.timeout(5):
        async with waiter.lock("rest:slow", lock_lifetime=0.3):
            assert holding.done()


@pytest.mark.asyncio
async def test_a_waiter_gives_up_after_max_wait_with_a_lock_error(redis: RedisServer) -> None:
    holder, waiter = store(redis), store(redis, max_wait=0.3)
    async with holder.lock("rest:stuck"):
        with pytest.raises(LockError, match="waited"):
            async with asyncio.timeout(3):
                async with waiter.lock("rest:stuck"):
                    pass


@pytest.mark.asyncio
async def test_a_late_return_from_an_expired_holder_frees_no_newer_ticket(
    redis: RedisServer,
) -> None:
    replica = store(redis, lock_lifetime=5)
    # A holder that outlived its ticket, while the conversation moved on without it.
    late = replica.issue_ticket("tg:late", 0.2)
    await asyncio.sleep(0.3)
    async with replica.lock("tg:late"):
        pass
    async with replica.lock("tg:late") as current:
        replica.return_ticket("tg:late", late)
        still = replica.get_lock("tg:late")
        assert still is not None
        assert [t.number for t in still.tickets] == [current.tickets[0].number]


@pytest.mark.asyncio
async def test_a_short_draw_never_shortens_the_life_of_a_held_lock(redis: RedisServer) -> None:
    replica = store(redis, lock_lifetime=30)
    async with replica.lock("call:mixed"):
        replica.issue_ticket("call:mixed", 0.1)
        assert replica.red.pttl("linli:lock:call:mixed:tickets") > 20_000
    replica.delete_lock("call:mixed")


@pytest.mark.asyncio
async def test_a_redis_gone_during_a_turn_is_a_lock_error(tmp_path: Path) -> None:
    with redis_server(tmp_path) as server:
        replica = store(server)
        async with replica.lock("tg:first"):
            pass
    with pytest.raises(LockError):
        async with asyncio.timeout(10):
            async with replica.lock("tg:down"):
                pass


def test_an_unreachable_redis_is_a_lock_error_not_a_hang(tmp_path: Path) -> None:
    with redis_server(tmp_path) as server:
        replica = store(server)
    with pytest.raises(LockError):
        replica.issue_ticket("tg:down", 60)
