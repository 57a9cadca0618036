from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class ServiceBudget(Base):
    """A resident's annual service-assistance budget (服务类救助), e.g. 1,000 元 a year in
    Dongsheng, Ordos, released in stages. Amounts are in fen (分) to keep sums exact."""

    __tablename__ = "service_budgets"
    __table_args__ = (UniqueConstraint("resident_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    year: Mapped[int]
    annual_fen: Mapped[int]
    # 1, 2 or 3: how many stages (40 %, 40 %, 20 %) staff have released so far.
    stage: Mapped[int] = mapped_column(default=1)
    policy_code: Mapped[str] = mapped_column(String(32), default="fuwulei_jiuzhu")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
