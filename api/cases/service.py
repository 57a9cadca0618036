from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cases.models import Case
from api.cases.schemas import CaseCreate
from api.db import find_by_idempotency_key
from api.errors import NotFoundError
from api.policies.service import require_policy
from api.residents.service import find_or_create_by_phone
from api.validation import parse_number


def create_case(session: Session, data: CaseCreate, idempotency_key: str | None) -> Case:
    existing: Case | None = find_by_idempotency_key(session, Case, idempotency_key)
    if existing is not None:
        return existing
    require_policy(data.policy)
    resident = find_or_create_by_phone(session, data.phone, data.applicant_name, data.address)
    case = Case(
        resident=resident,
        policy_code=data.policy,
        applicant_name=data.applicant_name,
        description=data.description,
        channel=data.channel,
        sender_id=data.sender_id,
        idempotency_key=idempotency_key,
    )
    session.add(case)
    session.commit()
    return case


def get_case(session: Session, number: str) -> Case:
    case_id = parse_number(number, Case.NUMBER_PREFIX)
    case = session.get(Case, case_id) if case_id is not None else None
    if case is None:
        raise NotFoundError(f"Case {number} not found")
    return case


def list_cases(
    session: Session, sender_id: str | None = None, status: str | None = None, limit: int = 100
) -> list[Case]:
    query = select(Case).order_by(Case.id.desc()).limit(limit)
    if sender_id:
        query = query.where(Case.sender_id == sender_id)
    if status:
        query = query.where(Case.status == status)
    return list(session.scalars(query))
