from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import IdempotencyKey, IntakePrincipal, SessionDep, StaffPrincipal
from api.feedback import service
from api.feedback.models import Feedback
from api.feedback.schemas import FeedbackCreate, FeedbackOut

router = APIRouter(prefix="/feedback", tags=["feedback"])


@router.post("", response_model=FeedbackOut, status_code=status.HTTP_201_CREATED)
def create_feedback(
    data: FeedbackCreate,
    session: SessionDep,
    _caller: IntakePrincipal,
    idempotency_key: IdempotencyKey,
) -> Feedback:
    return service.create_feedback(session, data, idempotency_key)


@router.get("", response_model=list[FeedbackOut])
def list_feedback(
    session: SessionDep,
    _staff: StaffPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Feedback]:
    return service.list_feedback(session, limit)
