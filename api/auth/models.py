from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class Role(StrEnum):
    admin = "admin"
    social_worker = "social_worker"
    provider_worker = "provider_worker"
    # Machines: the action server and the channel fronts (Telegram, voice, livestream).
    channel = "channel"


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set for provider workers: the service provider they work for.
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Every token carries the version it was issued under; logout and a password change bump
    # it, which revokes every token issued before.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    password_changed_at: Mapped[datetime | None] = mapped_column()


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32), default=Role.channel)
    # Which front holds the key (api/auth/fronts.py): what it may call and for whom.
    front: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
