from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.service import Principal
from api.consents.models import Consent
from api.consents.schemas import ConsentCreate, ConsentPurpose


def record_consent(session: Session, data: ConsentCreate, principal: Principal) -> Consent:
    consent = Consent(**data.model_dump(), recorded_by=f"{principal.kind}:{principal.name}")
    session.add(consent)
    session.commit()
    return consent


def has_consent(session: Session, channel: str, sender_id: str, purpose: ConsentPurpose) -> bool:
    """Whether the latest answer of this conversation for `purpose` was yes."""
    latest = session.scalar(
        select(Consent)
        .where(
            Consent.channel == channel,
            Consent.sender_id == sender_id,
            Consent.purpose == purpose,
        )
        .order_by(Consent.id.desc())
        .limit(1)
    )
    return latest is not None and latest.granted


def list_consents(session: Session, channel: str, sender_id: str) -> list[Consent]:
    query = (
        select(Consent)
        .where(Consent.channel == channel, Consent.sender_id == sender_id)
        .order_by(Consent.id)
    )
    return list(session.scalars(query))
