"""Parts of the scaled profile die in the middle of conversations: the resident always gets an
answer (an apology that says nothing was done, never silence), nothing accepted is lost or
filed twice, and service comes back by itself within 30 s of the part coming back."""

import time
from collections.abc import Callable

import httpx

from testsupport.conversation import Conversation
from testsupport.scaled import ScaledStack
from testsupport.servers import staff_client

RECOVERY_S = 30
APOLOGY = "系统刚才出了点问题"


def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.5)


def answers_normally(stack: ScaledStack) -> bool:
    reply = Conversation(stack.rasa_url, stack.front_headers()).say("你好")
    return bool(reply.strip()) and APOLOGY not in reply


def replica_up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_killed_rasa_replica_is_stood_in_for_and_the_form_goes_on(scaled: ScaledStack) -> None:
    resident = Conversation(scaled.rasa_url, scaled.front_headers())
    assert "地址" in resident.say("我想订明天中午的午饭")
    killed = scaled.ctl("pid", "rasa-1").strip()
    scaled.ctl("signal", "KILL", "rasa-1")
    # A killed process keeps its listening socket while the kernel frees its memory (a
    # gigabyte here), and a request that connects then is reset: the load balancer never sends
    # a request that reached a replica to another (no turn is taken twice), so the resident's
    # next message is the one after supervisord saw the process gone.
    until(lambda: scaled.ctl("pid", "rasa-1").strip() != killed, 30, "rasa-1 gone")
    # The load balancer sends every turn to the replica that is left, which reads the
    # conversation from the shared tracker store.
    assert "电话" in resident.say("幸福小区3号楼201")
    assert "幸福小区3号楼201" in resident.say("13800138000")
    assert "预约好了" in resident.say("对")
    with staff_client(scaled.backend) as staff:
        bookings = staff.get("/bookings", params={"sender_id": resident.sender}).json()
    assert len(bookings) == 1
    # supervisord starts the killed replica again.
    until(lambda: replica_up(scaled.replica_urls[0]), 240, "rasa-1 back")


def test_a_killed_action_server_is_stood_in_for(scaled: ScaledStack) -> None:
    scaled.ctl("signal", "KILL", "actions-1")
    for _ in range(4):
        reply = Conversation(scaled.rasa_url, scaled.front_headers()).say("高龄津贴一个月多少钱")
        assert reply.strip()
    until(lambda: "RUNNING" in scaled.ctl("status", "actions-1"), 60, "actions-1 back")


def test_with_redis_down_residents_get_an_apology_and_service_resumes(scaled: ScaledStack) -> None:
    scaled.ctl("stop", "redis")
    try:
        reply = Conversation(scaled.rasa_url, scaled.front_headers()).say("你好")
        assert APOLOGY in reply
    finally:
        scaled.ctl("start", "redis")
    until(lambda: answers_normally(scaled), RECOVERY_S, "answers after Redis came back")


def test_with_postgres_down_residents_get_an_apology_and_service_resumes(
    scaled: ScaledStack,
) -> None:
    scaled.ctl("stop", "postgres")
    try:
        reply = Conversation(scaled.rasa_url, scaled.front_headers()).say("低保怎么申请")
        assert reply.strip() and "预约好了" not in reply
    finally:
        scaled.ctl("start", "postgres")
    until(lambda: answers_normally(scaled), RECOVERY_S, "answers after PostgreSQL came back")


def test_a_booking_made_while_the_backend_is_down_lands_once_when_it_returns(
    scaled: ScaledStack,
) -> None:
    resident = Conversation(scaled.rasa_url, scaled.front_headers())
    resident.say("帮我约个后天上午十点的上门理发")
    resident.say("和平里小区5号楼102")
    assert "和平里小区5号楼102" in resident.say("13911112222")
    scaled.ctl("stop", "backend")
    try:
        reply = resident.say("对")
        # Not "booked": it is kept and will be sent.
        assert "预约好了" not in reply and "记下" in reply
    finally:
        scaled.ctl("start", "backend")

    def landed() -> bool:
        try:
            with staff_client(scaled.backend) as staff:
                found = staff.get("/bookings", params={"sender_id": resident.sender}).json()
        except (httpx.HTTPError, KeyError):
            return False
        return len(found) >= 1

    until(landed, 60, "the booking from the outbox")
    # The outbox row and any retry of the turn carry one Idempotency-Key: one booking.
    with staff_client(scaled.backend) as staff:
        assert len(staff.get("/bookings", params={"sender_id": resident.sender}).json()) == 1
