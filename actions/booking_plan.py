"""Recurring bookings as residents say them: "从明天开始每天中午", "每周二周四上午",
"每个工作日中午十二点，连续两周", "这个月每周一次".

A plan is days of the week, a time of day, a first day and a last day; the backend turns it
into one booking per occurrence. The recurrence words are read here (JioNLP's `time_period`
results are too uneven to rely on: "每周二周四" is one weekday to it, or an exception); the time
of day and the first day come from `resolve_booking_time` like a one-off booking's.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from actions.booking_time import Precision, describe_time_of_day, resolve_booking_time

MAX_OCCURRENCES = 62  # two months of daily meals; a longer plan is booked again
DEFAULT_DAYS = {"daily": 14, "weekly": 28}  # when the resident names no end
EVERY_DAY = frozenset(range(7))
WORKDAYS = frozenset(range(5))
_WEEKDAY_WORDS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_NUMBERS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
            "九": 9, "十": 10, "半": 0.5}  # fmt: skip

_DAILY = re.compile(r"每天|天天|每日|每一天|每个?(白天|中午|晚上|早上)")
_WORKDAYS = re.compile(r"工作日|(周|星期|礼拜)一(到|至|~|-)(周|星期|礼拜)?五")
_WEEKEND = re.compile(r"每个?(周末|双休日)")
_WEEKLY_DAYS = re.compile(
    r"每个?(?:周|星期|礼拜)((?:[一二三四五六日天](?!次)[、和跟及,，\s]*(?:周|星期|礼拜)?)+)"
)
_TIMES_A_WEEK = re.compile(r"(?:每|一)(?:个)?(?:周|星期|礼拜)([一两二三四五六七])次")
# "两周", "一个月"; not "周二周四" (a weekday followed by the next one).
_SPAN = re.compile(
    r"(?:连续|一共|总共|共)?(?<![周期拜每])([一两二三四五六七八九十半\d]+)(个)?(天|周|星期|礼拜|月)"
)
_COUNT = re.compile(r"(?:一共|总共|共|订)?([一两二三四五六七八九十\d]+)次")
_UNTIL_MONTH_END = re.compile(r"这个?月|本月")
_UNTIL_WEEK_END = re.compile(r"这个?(周|星期|礼拜)|本周")
_FROM = re.compile(r"从(.{1,12}?)(开始|起)")
_RECURRENCE_WORDS = re.compile(
    r"每天|天天|每日|每一天|工作日|每个?|(周|星期|礼拜)[一二三四五六日天]|[、和跟及]|"
    r"连续|一共|总共|[一两二三四五六七八九十\d]+(个)?(天|周|星期|礼拜|月|次)|这个?月|本月|开始|起"
)


@dataclass(frozen=True)
class BookingPlan:
    weekdays: frozenset[int]  # Monday is 0
    first: datetime  # the first occurrence, with the time of day
    last_day: date
    precision: Precision
    text: str  # the resident's words

    def occurrences(self) -> list[datetime]:
        days: list[datetime] = []
        day = self.first.date()
        while day <= self.last_day and len(days) < MAX_OCCURRENCES:
            if day.weekday() in self.weekdays:
                days.append(datetime.combine(day, self.first.timetz()))
            day += timedelta(days=1)
        return days

    def as_slot(self) -> dict[str, Any]:
        """The `booking_time` slot of a plan: a one-off booking's fields (the first
        occurrence) and the plan's own."""
        return {
            "iso": self.first.isoformat(),
            "text": self.text,
            "precision": self.precision.value,
            "plan": {"weekdays": sorted(self.weekdays), "last_day": self.last_day.isoformat()},
        }

    @classmethod
    def from_slot(cls, slot: Any) -> "BookingPlan | None":
        """The plan a `booking_time` slot holds, or None for a one-off booking."""
        if not isinstance(slot, dict) or not isinstance(slot.get("plan"), dict):
            return None
        return cls(
            weekdays=frozenset(int(day) for day in slot["plan"]["weekdays"]),
            first=datetime.fromisoformat(slot["iso"]),
            last_day=date.fromisoformat(slot["plan"]["last_day"]),
            precision=Precision(slot["precision"]),
            text=str(slot.get("text") or ""),
        )


def _number(word: str) -> float:
    if word.isdigit():
        return float(word)
    if word.startswith("十"):
        return 10 + _NUMBERS.get(word[1:], 0) if len(word) > 1 else 10
    if "十" in word:
        tens, _, ones = word.partition("十")
        return _NUMBERS.get(tens, 1) * 10 + _NUMBERS.get(ones, 0)
    return float(_NUMBERS.get(word, 0))


def _weekdays(text: str) -> tuple[frozenset[int], str] | None:
    """Which days, and whether the plan is "daily" or "weekly" for its default length."""
    if _DAILY.search(text):
        return EVERY_DAY, "daily"
    if _WORKDAYS.search(text):
        return WORKDAYS, "daily"
    if _WEEKEND.search(text):
        return frozenset({5, 6}), "weekly"
    if match := _WEEKLY_DAYS.search(text):
        days = frozenset(_WEEKDAY_WORDS[c] for c in match.group(1) if c in _WEEKDAY_WORDS)
        if days:
            return days, "weekly"
    if _TIMES_A_WEEK.search(text):
        return frozenset(), "weekly"  # the days follow from the first day (below)
    return None


def _spread(first: date, times: int) -> frozenset[int]:
    """`times` days a week, evenly spread from the first day's weekday."""
    step = 7 / times
    return frozenset((first.weekday() + round(n * step)) % 7 for n in range(times))


def _last_day(text: str, first: date, kind: str, days: frozenset[int]) -> date:
    if _UNTIL_MONTH_END.search(text):
        return first.replace(day=calendar.monthrange(first.year, first.month)[1])
    if _UNTIL_WEEK_END.search(text) and not _WEEKLY_DAYS.search(text):
        return first + timedelta(days=6 - first.weekday())
    for match in _SPAN.finditer(text):
        amount, unit = _number(match.group(1)), match.group(3)
        if amount <= 0:
            continue
        length = {"天": 1, "周": 7, "星期": 7, "礼拜": 7, "月": 30}[unit] * amount
        return first + timedelta(days=max(int(length) - 1, 0))
    if (counted := _COUNT.search(text)) and not _TIMES_A_WEEK.search(text):
        wanted, day, found = int(_number(counted.group(1))), first, 0
        while found < wanted and (day - first).days < 366:
            found += day.weekday() in days
            if found < wanted:
                day += timedelta(days=1)
        return day
    return first + timedelta(days=DEFAULT_DAYS[kind] - 1)


def resolve_booking_plan(utterance: str, now: datetime) -> BookingPlan | None:
    """A recurring plan in `utterance`, or None when it names no recurrence."""
    found = _weekdays(utterance)
    if found is None:
        return None
    days, kind = found
    start_words = match.group(1) if (match := _FROM.search(utterance)) else ""
    # The time of day ("中午", "上午十点"): the utterance without its recurrence words.
    time_only = _RECURRENCE_WORDS.sub(" ", _FROM.sub(" ", utterance))
    at = resolve_booking_time(time_only, now)
    begin = resolve_booking_time(start_words, now) if start_words else None
    first_day = begin.when.date() if begin else (now + timedelta(days=1)).date()
    if at is not None:
        when, precision = at.when, at.precision
        if precision is Precision.day:
            when, precision = when.replace(hour=9, minute=0), Precision.period
    else:
        when, precision = now.replace(hour=9, minute=0, second=0, microsecond=0), Precision.period
    if kind == "weekly" and not days:
        times = _TIMES_A_WEEK.search(utterance)
        days = _spread(first_day, int(_number(times.group(1))) if times else 1)
    # The first occurrence: the first planned weekday on or after the first day.
    while first_day.weekday() not in days:
        first_day += timedelta(days=1)
    first = datetime.combine(first_day, when.timetz())
    last_day = _last_day(utterance, first_day, kind, days)
    return BookingPlan(days, first, max(last_day, first_day), precision, utterance.strip()[:100])


def describe_days(weekdays: frozenset[int]) -> str:
    if weekdays == EVERY_DAY:
        return "每天"
    if weekdays == WORKDAYS:
        return "每个工作日（周一到周五）"
    return "每周" + "、".join("一二三四五六日"[day] for day in sorted(weekdays))


def describe_plan(plan: BookingPlan) -> str:
    """Plain words for the read-back, e.g.
    "从12月3日（星期四）起，每个工作日中午12点，到12月16日，共10次"."""
    time_of_day = describe_time_of_day(plan.first, plan.precision).split("，")[0]
    first = plan.first
    weekday = "一二三四五六日"[first.weekday()]
    count = len(plan.occurrences())
    last = plan.occurrences()[-1].date() if count else plan.last_day
    return (
        f"从{first.month}月{first.day}日（星期{weekday}）起，{describe_days(plan.weekdays)}"
        f"{time_of_day}，到{last.month}月{last.day}日，共{count}次"
        + ("" if plan.precision is Precision.clock else "；具体几点工作人员会打电话和您约")
    )
