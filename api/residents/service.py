from sqlalchemy import select
from sqlalchemy.orm import Session

from api.residents.models import Resident


def find_or_create_by_phone(
    session: Session, phone: str, name: str | None = None, address: str | None = None
) -> Resident:
    """The resident with this phone number, created on first contact; new details fill gaps."""
    resident = session.scalar(select(Resident).where(Resident.phone == phone))
    if resident is None:
        resident = Resident(phone=phone)
        session.add(resident)
    if name and not resident.name:
        resident.name = name
    if address and not resident.address:
        resident.address = address
    return resident
