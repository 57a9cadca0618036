from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.need_reports.models import NeedReportStatus
from api.validation import LongText, SenderId
from common.livestream import MAX_QUESTION_CHARS

MAX_BATCH = 500
# The assistant's answer as quoted in a livestream follow-up report.
MAX_FOLLOW_UP_ANSWER_CHARS = 2000


class NeedChannel(StrEnum):
    chat = "chat"
    telegram = "telegram"
    voice = "voice"
    livestream = "livestream"


class NeedReportCreate(BaseModel):
    channel: NeedChannel
    sender_id: SenderId
    text: Annotated[LongText, StringConstraints(min_length=1)]
    needs_home_visit: bool = False
    # Danger or acute need now: goes to the top of the queue.
    urgent: bool = False
    # e.g. "小红船直播 2024-05-01 第12场" or the courtyard of the sentinel.
    source_detail: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None
    ) = None


class NeedReportUpdate(BaseModel):
    status: NeedReportStatus | None = None
    assigned_to: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = (
        None
    )
    note: LongText | None = None
    resident_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    urgent: bool | None = None


class NeedReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    channel: str
    sender_id: str
    text: str
    needs_home_visit: bool
    urgent: bool
    source_detail: str | None
    status: str
    assigned_to: str | None
    follow_up_note: str
    resident_id: int | None
    created_at: datetime
    updated_at: datetime


NeedReportBatch = Annotated[list[NeedReportCreate], Field(min_length=1, max_length=MAX_BATCH)]


class LivestreamFollowUp(BaseModel):
    """A livestream viewer's question the host wants a social worker to follow up on, with
    the assistant's answer. The web host console and Telegram's host mode both send these, so
    that only the backend words the need report (`service.file_livestream_follow_ups`)."""

    # The conversation the question was asked in (host-<session>-<n> on the web console).
    sender_id: SenderId
    question: Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUESTION_CHARS)]
    # Empty when the assistant gave none.
    answer: Annotated[str, StringConstraints(max_length=MAX_FOLLOW_UP_ANSWER_CHARS)]
    viewer: Annotated[str, StringConstraints(max_length=40)] | None = None
    contact: Annotated[str, StringConstraints(max_length=40)] | None = None
    # The livestream session, e.g. "小红船直播 第12场": the report's source_detail.
    session_title: Annotated[str, StringConstraints(max_length=200)]


LivestreamFollowUpBatch = Annotated[
    list[LivestreamFollowUp], Field(min_length=1, max_length=MAX_BATCH)
]
