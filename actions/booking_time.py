"""Resolve what a resident says about time ("明天中午", "下周一上午", "三号下午") to a datetime.

JioNLP does the parsing; this module adds what residents mean but a parser cannot know:
dialect words, afternoon hours said without "下午", and day numbers that refer to next month.
"""

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

# Regional and spoken words for times of day and days, mapped to what JioNLP understands.
_DIALECT = [
    ("明儿个", "明天"),
    ("明儿", "明天"),
    ("今儿个", "今天"),
    ("今儿", "今天"),
    ("后儿个", "后天"),
    ("后儿", "后天"),
    ("晌午", "中午"),
    ("头午", "上午"),
    ("前半晌", "上午"),
    ("后半晌", "下午"),
    ("后晌", "下午"),
    ("擦黑", "傍晚"),
    ("礼拜天", "星期日"),
    ("礼拜日", "星期日"),
    ("周天", "周日"),
]
_EXPLICIT_EARLY = re.compile(r"凌晨|早上|早晨|清早|一早|夜里|半夜")
_CLOCK = re.compile(r"[点時时:：]|[0-9]{1,2}:[0-9]{2}")
# "三号楼", "5号院": a number followed by these is part of an address, not a date.
_ADDRESS_AFTER = re.compile(r"^[楼栋幢单元院门室房线路街巷村组]")
# Services are delivered in daytime: a bare "两点" means 14:00.
_FIRST_DAYTIME_HOUR = 7
_DEFAULT_HOUR = 9


class Precision(StrEnum):
    day = "day"  # "后天": the worker calls to agree an hour
    period = "period"  # "下周一上午"
    clock = "clock"  # "明天上午十点"


@dataclass(frozen=True)
class BookingTime:
    when: datetime
    text: str  # the words the resident used
    precision: Precision


def _parse(text: str, now: datetime) -> tuple[str, datetime, datetime, Precision] | None:
    # Imported here: JioNLP loads its dictionaries on import, which must not slow server start.
    import jionlp

    try:
        found: list[dict[str, Any]] = jionlp.ner.extract_time(
            text, time_base=now.replace(tzinfo=None), with_parsing=True
        )
    except Exception:  # JioNLP raises on some strings it half-recognises ("每周二周四")
        return None
    for item in found:
        detail = item.get("detail") or {}
        # time_point and time_span carry [start, end]; time_period (a recurrence, handled in
        # booking_plan.py) carries a dict and time_delta a duration: neither is one time.
        bounds = detail.get("time")
        if detail.get("type") not in ("time_point", "time_span") or not isinstance(bounds, list):
            continue
        start, end = (bounds + ["inf", "inf"])[:2]
        if "inf" in (start, end):
            continue
        if _ADDRESS_AFTER.match(text[item["offset"][1] :]):
            continue
        begin = datetime.strptime(start, "%Y-%m-%d %H:%M:%S").replace(tzinfo=now.tzinfo)
        finish = datetime.strptime(end, "%Y-%m-%d %H:%M:%S").replace(tzinfo=now.tzinfo)
        if _CLOCK.search(item["text"]):
            precision = Precision.clock
        elif finish - begin >= timedelta(hours=23):
            precision = Precision.day
        else:
            precision = Precision.period
        return item["text"], begin, finish, precision
    return None


def resolve_booking_time(utterance: str, now: datetime) -> BookingTime | None:
    """The first time expression in `utterance`, or None when there is none."""
    text = utterance
    for spoken, standard in _DIALECT:
        text = text.replace(spoken, standard)
    parsed = _parse(text, now)
    if parsed is None:
        return None
    said, when, period_end, precision = parsed
    if precision is Precision.clock:
        if when.hour < _FIRST_DAYTIME_HOUR and not _EXPLICIT_EARLY.search(said):
            when += timedelta(hours=12)
    elif precision is Precision.period and when.hour != 12:
        # "上午" is 7:00-11:59 to the parser; book the middle of it, the worker calls first.
        when += (period_end - when) / 2
        when = when.replace(minute=0, second=0, microsecond=0)
    elif precision is Precision.day:
        when = when.replace(hour=_DEFAULT_HOUR, minute=0)
    if when.date() < now.date() and re.fullmatch(r"[\d一二三四五六七八九十两]+[号日].*", said):
        # "三号下午" said on the 23rd means the 3rd of next month.
        month = when.month % 12 + 1
        year = when.year + (1 if month == 1 else 0)
        # The 31st in a shorter month stays as it is and is refused as past.
        with contextlib.suppress(ValueError):
            when = when.replace(year=year, month=month)
    return BookingTime(when=when, text=said, precision=precision)


def describe(when: datetime, precision: Precision) -> str:
    """Chinese for a booking time, e.g. "11月24日（星期二）中午12点"."""
    weekday = "一二三四五六日"[when.weekday()]
    day = f"{when.month}月{when.day}日（星期{weekday}）"
    if precision is Precision.day:
        return f"{day}，具体几点工作人员会打电话和您约"
    return f"{day}{describe_time_of_day(when, precision)}"


def describe_time_of_day(when: datetime, precision: Precision) -> str:
    """Chinese for the time of day: "中午12点", or "上午，具体几点工作人员会打电话和您约"."""
    hour = when.hour
    if hour < 12:
        period, shown = "上午", hour
    elif hour == 12:
        period, shown = "中午", 12
    elif hour < 18:
        period, shown = "下午", hour - 12
    else:
        period, shown = "晚上", hour - 12
    if precision is not Precision.clock:
        return f"{period}，具体几点工作人员会打电话和您约"
    minutes = "" if when.minute == 0 else ("半" if when.minute == 30 else f"{when.minute}分")
    return f"{period}{shown}点{minutes}"
