from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import IntakePrincipal, SessionDep, StaffPrincipal, VaultDep
from api.residents import service
from api.residents.models import Resident
from api.residents.schemas import (
    ChannelLink,
    ChannelLinkOut,
    ResidentCreate,
    ResidentDetail,
    ResidentOut,
    ResidentUpdate,
    SealedNumber,
    SealRequest,
)
from api.validation import RecordId

router = APIRouter(prefix="/residents", tags=["residents"])


@router.get("", response_model=list[ResidentOut])
def list_residents(
    session: SessionDep,
    _staff: StaffPrincipal,
    household_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    phone: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> list[Resident]:
    return service.list_residents(session, household_id, phone, limit)


@router.post("", response_model=ResidentDetail, status_code=status.HTTP_201_CREATED)
def create_resident(
    data: ResidentCreate, session: SessionDep, staff: StaffPrincipal, vault: VaultDep
) -> ResidentDetail:
    """Register a resident (staff). An ID number needs id_number_consent=true."""
    resident = service.create_resident(session, data, vault, staff)
    return service.resident_detail(session, resident, staff, vault)


@router.post("/link-channel", response_model=ChannelLinkOut)
def link_channel(
    data: ChannelLink, session: SessionDep, _caller: IntakePrincipal, vault: VaultDep
) -> ChannelLinkOut:
    """A chat front links a conversation to the resident who owns the phone number, so status
    questions in that chat find the resident's bookings and applications made elsewhere."""
    resident = service.link_channel(session, data=data, vault=vault)
    return ChannelLinkOut(resident_id=resident.id, channel=data.channel, sender_id=data.sender_id)


@router.post("/sealed-numbers", response_model=SealedNumber)
def seal_number(data: SealRequest, _caller: IntakePrincipal, vault: VaultDep) -> SealedNumber:
    """Exchange a phone or ID number a resident just gave for a reference that case, booking
    and handoff requests accept in its place, so the conversation and the action server's
    outbox never keep the number itself (valid for 48 hours; nothing is stored)."""
    return service.seal_number(request=data, vault=vault)


@router.get("/{resident_id}", response_model=ResidentDetail)
def read_resident(
    resident_id: RecordId,
    session: SessionDep,
    staff: StaffPrincipal,
    vault: VaultDep,
    reveal_id_number: bool = False,
) -> ResidentDetail:
    """A resident's record with the ID number masked; admins may ask for it in clear
    (reveal_id_number=true). Every read is written to the audit log."""
    resident = service.get_resident(session, resident_id)
    return service.resident_detail(session, resident, staff, vault, reveal_id_number)


@router.patch("/{resident_id}", response_model=ResidentDetail)
def update_resident(
    resident_id: RecordId,
    data: ResidentUpdate,
    session: SessionDep,
    staff: StaffPrincipal,
    vault: VaultDep,
) -> ResidentDetail:
    resident = service.update_resident(session, resident_id, data, vault, staff)
    return service.resident_detail(session, resident, staff, vault)
