"""Every status the backend can store has its Chinese word, for residents and workers alike."""

from enum import StrEnum

import pytest

from api.bookings.models import BookingStatus
from api.call_plans.models import CallOutcome, CallPurpose, CallStatus
from api.callbacks.models import CallbackStatus
from api.cases.models import CaseStatus
from api.console import labels as console_labels
from api.handoffs.schemas import HandoffReason
from api.need_reports.models import NeedReportStatus
from common import labels


@pytest.mark.parametrize(
    ("enum", "table"),
    [
        (BookingStatus, labels.BOOKING_STATUS),
        (CaseStatus, labels.CASE_STATUS),
        (NeedReportStatus, labels.NEED_REPORT_STATUS),
        (CallbackStatus, console_labels.CALLBACK_STATUS),
        (HandoffReason, console_labels.HANDOFF_REASON),
        (CallPurpose, console_labels.OUTBOUND_PURPOSE),
        (CallStatus, console_labels.OUTBOUND_STATUS),
        (CallOutcome, console_labels.OUTBOUND_OUTCOME),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_every_status_has_a_chinese_label(enum: type[StrEnum], table: dict[str, str]) -> None:
    missing = [member.value for member in enum if member.value not in table]
    assert missing == []
    unknown = set(table) - {member.value for member in enum}
    assert unknown == set()  # no label for a status the backend no longer has


def test_residents_hear_the_words_workers_see() -> None:
    assert console_labels.BOOKING_STATUS is labels.BOOKING_STATUS
    assert console_labels.CASE_STATUS is labels.CASE_STATUS
    assert console_labels.NEED_STATUS is labels.NEED_REPORT_STATUS
    assert labels.booking_status(BookingStatus.checked_in) == "服务中"
    assert console_labels.label(console_labels.BOOKING_STATUS, BookingStatus.checked_in) == "服务中"
