from typing import Annotated

from fastapi import APIRouter, Query, status

from api.callbacks import service
from api.callbacks.models import Callback, CallbackStatus
from api.callbacks.schemas import CallbackCreate, CallbackOut, CallbackRecord
from api.deps import SessionDep, StaffPrincipal
from api.validation import RecordId

router = APIRouter(prefix="/callbacks", tags=["callbacks"])


@router.post("", response_model=CallbackOut, status_code=status.HTTP_201_CREATED)
def schedule_callback(
    data: CallbackCreate, session: SessionDep, _staff: StaffPrincipal
) -> Callback:
    """Schedule a follow-up call (回访). Finished services schedule their own."""
    return service.create_callback(session, data)


@router.get("", response_model=list[CallbackOut])
def list_callbacks(
    session: SessionDep,
    _staff: StaffPrincipal,
    callback_status: Annotated[CallbackStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Callback]:
    """Callbacks by due time, the earliest first."""
    return service.list_callbacks(session, callback_status, limit)


@router.post("/{callback_id}/record", response_model=CallbackOut)
def record_callback(
    callback_id: RecordId, data: CallbackRecord, session: SessionDep, staff: StaffPrincipal
) -> Callback:
    return service.record_callback(session, callback_id, data, staff)
