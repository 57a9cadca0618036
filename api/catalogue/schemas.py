from pydantic import BaseModel


class ServiceOut(BaseModel):
    code: str
    name: str
    description: str
    price_yuan: float | None
    elder_price_yuan: float | None
