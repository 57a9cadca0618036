"""The embedded profile keeps conversations in SQLite (var/trackers.db): a resident stopped in
the middle of a booking form by a full stop and start of the stack goes on where they were."""

from pathlib import Path

import pytest

from testsupport.conversation import Conversation
from testsupport.servers import rasa_stack, staff_client

pytestmark = pytest.mark.e2e


def test_a_booking_form_interrupted_by_a_restart_of_the_whole_stack_completes(
    tmp_path: Path,
) -> None:
    with rasa_stack(tmp_path) as stack:
        resident = Conversation(stack.rasa_url, stack.front_headers())
        assert "地址" in resident.say("我想订明天中午的午饭")
        assert "电话" in resident.say("幸福小区3号楼201")
    # Every process stopped; started again on the same files and keys.
    with rasa_stack(tmp_path) as stack:
        resident = Conversation(stack.rasa_url, stack.front_headers(), resident.sender[5:])
        read_back = resident.say("13800138000")
        assert "幸福小区3号楼201" in read_back
        assert "预约" in resident.say("对")
        with staff_client(stack.backend) as staff:
            bookings = staff.get("/bookings", params={"sender_id": resident.sender}).json()
        assert len(bookings) == 1
        # The tracker kept on disk holds no phone number in clear.
        assert b"13800138000" not in (tmp_path / "trackers.db").read_bytes()
