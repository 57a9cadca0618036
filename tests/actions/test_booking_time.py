from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from actions.booking_time import Precision, describe, resolve_booking_time

# Monday 23 November 2026, 09:30 in Beijing.
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("said", "expected", "precision"),
    [
        ("我想订明天中午的午饭", "2026-11-24 12:00", Precision.period),
        ("下周一上午", "2026-11-30 09:00", Precision.period),
        ("后天", "2026-11-25 09:00", Precision.day),
        ("三号下午", "2026-12-03 15:00", Precision.period),  # the 3rd has passed: next month
        ("明儿个晌午", "2026-11-24 12:00", Precision.period),  # northern dialect
        ("两点", "2026-11-23 14:00", Precision.clock),  # services are not booked at 2 a.m.
        ("后天下午两点半", "2026-11-25 14:30", Precision.clock),
        ("礼拜三下午", "2026-11-25 15:00", Precision.period),
        ("明天早上六点", "2026-11-24 06:00", Precision.clock),  # said "早上": keep it early
    ],
)
def test_resolves_what_residents_say(said: str, expected: str, precision: Precision) -> None:
    resolved = resolve_booking_time(said, NOW)
    assert resolved is not None
    assert resolved.when.strftime("%Y-%m-%d %H:%M") == expected
    assert resolved.precision is precision
    assert resolved.when.tzinfo == NOW.tzinfo


@pytest.mark.parametrize("said", ["随便", "幸福小区三号楼", "地址是东风路8号院", "13800138000"])
def test_no_time_in_addresses_and_other_text(said: str) -> None:
    assert resolve_booking_time(said, NOW) is None


def test_describe_reads_naturally() -> None:
    clock = resolve_booking_time("后天下午两点半", NOW)
    assert clock is not None
    assert describe(clock.when, clock.precision) == "11月25日（星期三）下午2点半"
    day = resolve_booking_time("后天", NOW)
    assert day is not None
    assert "工作人员会打电话和您约" in describe(day.when, day.precision)
