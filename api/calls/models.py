from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, utcnow
from api.phones import EncryptedPhone


class CallOutcome(StrEnum):
    completed = "completed"  # the caller was served and said goodbye or hung up after
    transferred = "transferred"  # handed to a human line
    callback = "callback"  # no human line free: a callback was queued
    silence = "silence"  # the caller said nothing after the reprompts
    hangup = "hangup"  # the caller hung up mid-conversation
    error = "error"  # the call broke on our side
    no_answer = "no_answer"  # a call Linli placed: nobody spoke, or an answering machine


class Call(Base):
    """One hotline call: a Rasa conversation whose sender id is the call id."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    transport: Mapped[str] = mapped_column(String(32))
    # Encrypted at rest (issue 14); nothing looks a call up by its number.
    caller_number: Mapped[str | None] = mapped_column("caller_number_encrypted", EncryptedPhone())
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))

    turns: Mapped[list["CallTurn"]] = relationship(
        back_populates="call", order_by="CallTurn.turn", cascade="all, delete-orphan"
    )


class CallTurn(Base):
    __tablename__ = "call_turns"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    turn: Mapped[int]
    transcript: Mapped[str] = mapped_column(Text, default="")
    intent: Mapped[str | None] = mapped_column(String(64))
    bot_text: Mapped[str] = mapped_column(Text, default="")
    latency_ms: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    call: Mapped[Call] = relationship(back_populates="turns")
