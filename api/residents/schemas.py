from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ResidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str | None
    phone: str | None
    address: str | None
    created_at: datetime
