from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, utcnow
from api.residents.models import Resident


class CallPurpose(StrEnum):
    wellbeing = "wellbeing"  # 关爱回访: an elder living alone, daily or weekly
    callback = "callback"  # after a service: how did it go (the existing callbacks)
    outreach = "outreach"  # 政策找人: a household likely eligible for a policy it does not get


class Cadence(StrEnum):
    daily = "daily"
    weekly = "weekly"
    once = "once"


class PlanStatus(StrEnum):
    active = "active"
    paused = "paused"  # by staff; resumed by staff
    stopped = "stopped"  # the resident asked not to be called again


class CallStatus(StrEnum):
    due = "due"  # waiting for its time (and for the calling hours)
    dialling = "dialling"  # claimed by a voice bridge, not reported yet
    answered = "answered"
    unanswered = "unanswered"  # no answer, busy, an answering machine or silence
    cancelled = "cancelled"  # the plan was paused or stopped before it was placed


class CallOutcome(StrEnum):
    """What an answered call found, as the bridge reports it."""

    fine = "fine"
    needs_help = "needs_help"  # something to book or follow up: a need report was filed
    unwell = "unwell"  # distress: a worker follows up
    emergency = "emergency"  # the emergency path ran during the call
    stop = "stop"  # the resident asked not to be called again
    rated = "rated"  # a post-service callback got its rating
    unclear = "unclear"  # answered, but the call ended before an answer


class CallPlan(Base):
    __tablename__ = "call_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    cadence: Mapped[str] = mapped_column(String(8))
    # Local time of day ("09:30") the call is placed, and the weekday (0 = Monday) if weekly.
    local_time: Mapped[str] = mapped_column(String(5))
    weekday: Mapped[int | None]
    # What the call is about: the policy of an outreach call, the callback of a service call.
    policy_code: Mapped[str | None] = mapped_column(String(32))
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id"))
    # Calls only between these local times (no calls before 8:00 or after 20:00 by default).
    calls_from: Mapped[str] = mapped_column(String(5), default="08:00")
    calls_until: Mapped[str] = mapped_column(String(5), default="20:00")
    max_tries: Mapped[int] = mapped_column(default=3)
    retry_minutes: Mapped[int] = mapped_column(default=20)
    # How the resident likes to be addressed on the phone ("王阿姨"); "" for a plain 您好.
    salutation: Mapped[str] = mapped_column(String(16), default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default=PlanStatus.active)
    stop_reason: Mapped[str] = mapped_column(String(200), default="")
    # The resident's consent, as it was recorded (who, and what they were told).
    consent_text: Mapped[str] = mapped_column(Text)
    consent_recorded_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    resident: Mapped[Resident] = relationship()
    calls: Mapped[list["OutboundCall"]] = relationship(
        back_populates="plan", order_by="OutboundCall.id"
    )


class OutboundCall(Base):
    """One try of one occurrence of a plan. A try is created once (unique per plan, occurrence
    and try), claimed by one bridge at a time, and reported once."""

    __tablename__ = "outbound_calls"
    __table_args__ = (UniqueConstraint("plan_id", "occurrence", "try_number"),)
    NUMBER_PREFIX = "OC"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("call_plans.id"), index=True)
    # The local day this call belongs to ("2026-12-03"): tries of one day share it.
    occurrence: Mapped[str] = mapped_column(String(10))
    try_number: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default=CallStatus.due, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    # A call still not placed this long after it was due was reported to the workers.
    late_reported_at: Mapped[datetime | None]
    # The follow-up this call opened (no answer after the last try, or distress).
    escalated_to: Mapped[str | None] = mapped_column(String(16))
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[CallPlan] = relationship(back_populates="calls")

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}{self.id:06d}"
