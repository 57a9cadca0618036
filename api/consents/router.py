from typing import Annotated

from fastapi import APIRouter, Query, status

from api.consents import service
from api.consents.models import Consent
from api.consents.schemas import ConsentCreate, ConsentOut
from api.deps import IntakePrincipal, SessionDep
from api.validation import Channel

router = APIRouter(prefix="/consents", tags=["consents"])


@router.post("", response_model=ConsentOut, status_code=status.HTTP_201_CREATED)
def record_consent(data: ConsentCreate, session: SessionDep, caller: IntakePrincipal) -> Consent:
    """Record a resident's yes or no to collecting sensitive data, before it is collected.

    A later answer for the same conversation and purpose replaces the earlier one (withdrawal).
    """
    return service.record_consent(session, data, caller)


@router.get("", response_model=list[ConsentOut])
def list_consents(
    session: SessionDep,
    _caller: IntakePrincipal,
    channel: Channel,
    sender_id: Annotated[str, Query(min_length=1, max_length=128)],
) -> list[Consent]:
    """The consent answers of one conversation, oldest first."""
    return service.list_consents(session, channel, sender_id)
