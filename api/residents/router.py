from fastapi import APIRouter
from sqlalchemy import select

from api.deps import SessionDep, StaffPrincipal
from api.errors import NotFoundError
from api.residents.models import Resident
from api.residents.schemas import ResidentOut

router = APIRouter(prefix="/residents", tags=["residents"])


@router.get("", response_model=list[ResidentOut])
def list_residents(session: SessionDep, _staff: StaffPrincipal) -> list[Resident]:
    return list(session.scalars(select(Resident).order_by(Resident.id.desc()).limit(500)))


@router.get("/{resident_id}", response_model=ResidentOut)
def read_resident(resident_id: int, session: SessionDep, _staff: StaffPrincipal) -> Resident:
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise NotFoundError(f"Resident {resident_id} not found")
    return resident
