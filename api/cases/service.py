"""Aid applications and their state machine."""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api import stats
from api.audit.service import AuditAction, record
from api.auth.models import Role
from api.auth.service import Principal
from api.cases.models import Case, CaseEvent, CaseStatus
from api.cases.schemas import AgeBucket, CaseCreate, CaseDetail, CaseTransition
from api.consents.schemas import ConsentPurpose
from api.consents.service import has_consent
from api.db import find_by_idempotency_key, get_or_not_found, utcnow
from api.errors import ConflictError, InvalidInputError, PermissionDeniedError
from api.id_numbers import IdNumberVault
from api.notifications.models import NotificationKind
from api.notifications.service import notify_resident
from api.policies.service import load_knowledge_base, require_policy
from api.residents.service import find_or_create_by_phone, linked_residents, set_id_number
from api.stats import WeeklyCount
from api.validation import parse_number

_CASEWORK = frozenset({Role.social_worker, Role.admin})
# The street office (街道) decides and pays; in this backend that is the admin role.
_DECISION = frozenset({Role.admin})

# Every allowed step and who may take it. Anything not listed is refused.
TRANSITIONS: dict[tuple[CaseStatus, CaseStatus], frozenset[Role]] = {
    (CaseStatus.submitted, CaseStatus.accepted): _CASEWORK,
    (CaseStatus.submitted, CaseStatus.rejected): _CASEWORK,
    (CaseStatus.accepted, CaseStatus.under_review): _CASEWORK,
    (CaseStatus.accepted, CaseStatus.rejected): _CASEWORK,
    (CaseStatus.under_review, CaseStatus.approved): _DECISION,
    (CaseStatus.under_review, CaseStatus.rejected): _DECISION,
    (CaseStatus.approved, CaseStatus.paid): _DECISION,
}


def next_statuses(*, status: str, role: Role) -> list[CaseStatus]:
    """The statuses `role` may move a case in `status` to, in TRANSITIONS order."""
    current = CaseStatus(status)
    return [to for (frm, to), roles in TRANSITIONS.items() if frm == current and role in roles]


def create_case(
    session: Session,
    data: CaseCreate,
    idempotency_key: str | None,
    principal: Principal,
    vault: IdNumberVault,
) -> Case:
    existing: Case | None = find_by_idempotency_key(session, Case, idempotency_key)
    if existing is not None:
        return existing
    require_policy(data.policy)
    if data.id_number is not None and not (
        data.sender_id
        and has_consent(session, data.channel, data.sender_id, ConsentPurpose.id_number)
    ):
        raise ConflictError(
            "id_number refused: no granted consent for purpose 'id_number' is recorded for "
            "this channel and sender_id; POST /api/v1/consents first"
        )
    resident = find_or_create_by_phone(session, data.phone, data.applicant_name, data.address)
    if data.id_number is not None:
        session.flush()
        set_id_number(session, resident, data.id_number, vault, principal)
    case = Case(
        resident=resident,
        policy_code=data.policy,
        applicant_name=data.applicant_name,
        description=data.description,
        channel=data.channel,
        sender_id=data.sender_id,
        idempotency_key=idempotency_key,
    )
    case.events.append(
        CaseEvent(
            from_status=None,
            to_status=CaseStatus.submitted,
            actor=f"{principal.kind}:{principal.name}",
            role=principal.role,
            comment=f"filed via {data.channel}",
        )
    )
    session.add(case)
    session.commit()
    return case


def get_case(session: Session, number: str) -> Case:
    case_id = parse_number(number, Case.NUMBER_PREFIX)
    return get_or_not_found(session, Case, case_id, f"Case {number}")


def list_cases(
    session: Session, sender_id: str | None = None, status: str | None = None, limit: int = 100
) -> list[Case]:
    query = select(Case).order_by(Case.id.desc()).limit(limit)
    if sender_id:
        query = query.where(
            or_(Case.sender_id == sender_id, Case.resident_id.in_(linked_residents(sender_id)))
        )
    if status:
        query = query.where(Case.status == status)
    return list(session.scalars(query))


def transition(session: Session, number: str, data: CaseTransition, principal: Principal) -> Case:
    case = get_case(session, number)
    current = CaseStatus(case.status)
    allowed = TRANSITIONS.get((current, data.status))
    if allowed is None:
        steps = [to.value for (frm, to) in TRANSITIONS if frm == current]
        raise ConflictError(
            f"Case {number} is {current}; it cannot move to {data.status}. "
            f"Allowed next: {', '.join(steps) or 'none (final)'}"
        )
    if principal.role not in allowed:
        raise PermissionDeniedError(
            f"Role '{principal.role}' may not move a case from {current} to {data.status}"
        )
    if data.status == CaseStatus.rejected:
        if not data.reason:
            raise InvalidInputError("A rejection needs a reason")
        case.rejection_reason = data.reason
    case.status = data.status
    if data.status in (CaseStatus.approved, CaseStatus.rejected):
        tell_decision(session, case=case)
    comment = (
        data.comment if data.status != CaseStatus.rejected else f"{data.reason} {data.comment}"
    )
    case.events.append(
        CaseEvent(
            from_status=current,
            to_status=data.status,
            actor=f"{principal.kind}:{principal.name}",
            role=principal.role,
            comment=comment.strip(),
        )
    )
    session.commit()
    return case


def tell_decision(session: Session, *, case: Case) -> None:
    """The applicant hears on WeChat (if they are on it) that the application was decided."""
    policy = load_knowledge_base()[0].get(case.policy_code)
    name = policy.name if policy else case.policy_code
    if case.status == CaseStatus.approved:
        text = f"您的{name}申请（{case.number}）已审核通过，后续发放请留意社区通知。"
    else:
        text = (
            f"您的{name}申请（{case.number}）未获批准，原因：{case.rejection_reason}。"
            "有疑问可以说“转人工”。"
        )
    notify_resident(
        session,
        kind=NotificationKind.application_decided,
        resident_id=case.resident_id,
        sender_id=case.sender_id,
        subject=case.number,
        text=text,
        event=case.status,
    )


def case_detail(
    session: Session,
    case: Case,
    principal: Principal,
    vault: IdNumberVault,
    reveal_id_number: bool = False,
) -> CaseDetail:
    detail = CaseDetail.model_validate(case)
    if reveal_id_number:
        if principal.role != Role.admin:
            raise PermissionDeniedError("Only admins may see ID numbers unmasked")
        encrypted = case.resident.id_number_encrypted
        if encrypted:
            detail.id_number = vault.decrypt(encrypted)
            record(session, principal, AuditAction.reveal, f"case:{case.number}", ["id_number"])
            session.commit()
    return detail


# A case still needs someone until it is rejected or paid.
FINAL_STATUSES = (CaseStatus.rejected, CaseStatus.paid)
# Age buckets of open cases in days (inclusive bounds; None: no upper bound).
AGE_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 2), (3, 7), (8, 30), (31, None))


def weekly_volume(session: Session, weeks: int) -> list[WeeklyCount]:
    """Aid applications per channel in each of the last `weeks` weeks."""
    return stats.weekly_volume(session, Case.created_at, Case.channel, weeks)


def open_cases_by_age(session: Session) -> list[AgeBucket]:
    """Open cases by days since they were filed: the old ones are the ones to chase."""
    now = utcnow()
    ages = [
        (now - created).days
        for created in session.scalars(
            select(Case.created_at).where(Case.status.not_in(FINAL_STATUSES))
        )
    ]
    return [
        AgeBucket(
            min_days=low,
            max_days=high,
            count=sum(1 for age in ages if age >= low and (high is None or age <= high)),
        )
        for low, high in AGE_BUCKETS
    ]
