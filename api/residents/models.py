from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, utcnow
from api.phones import PhoneAtRest, PhoneDigest


class DisabilityLevel(StrEnum):
    """Coarse levels as residents describe them.

    On a 残疾证, grades 1–2 are severe, grade 3 moderate and grade 4 mild.
    """

    none = "none"
    mild = "mild"
    moderate = "moderate"
    severe = "severe"


class AssistanceStatus(StrEnum):
    """What assistance the resident already receives, from the district's own rosters."""

    none = "none"
    low_income = "low_income"  # 低收入 / 低边
    dibao = "dibao"  # 低保
    tekun = "tekun"  # 特困供养


class Household(Base):
    """One household, one file (一户一档): the members and everything done for them."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list["Resident"]] = relationship(
        back_populates="household", order_by="Resident.id"
    )


class Resident(PhoneAtRest, Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(50))
    # `phone` (PhoneAtRest): encrypted with LINLI_API_ID_NUMBER_KEY, one resident per number.
    phone_digest: Mapped[str | None] = mapped_column(PhoneDigest(), unique=True)
    telegram_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The linked WeChat conversation (`wx:<openid>`), set by the WeChat front (issue 17).
    wechat_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    address: Mapped[str | None] = mapped_column(String(200))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    birth_date: Mapped[date | None]
    disability_level: Mapped[str | None] = mapped_column(String(16))
    living_alone: Mapped[bool | None]
    assistance_status: Mapped[str | None] = mapped_column(String(16))
    # Encrypted with LINLI_API_ID_NUMBER_KEY; the digest finds a person again without decrypting.
    id_number_encrypted: Mapped[str | None] = mapped_column(Text)
    id_number_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    household: Mapped[Household | None] = relationship(back_populates="members")

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
