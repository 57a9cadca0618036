from collections.abc import Collection
from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from api.audit.service import AuditAction, record
from api.auth.models import Role
from api.auth.service import Principal
from api.consents.models import Consent
from api.db import get_or_not_found
from api.errors import ConflictError, InvalidInputError, PermissionDeniedError
from api.id_numbers import IdNumberVault, PersonalNumberKind, mask_id_number, validate_id_number
from api.residents.models import Household, Resident
from api.residents.schemas import (
    ChannelLink,
    ResidentDetail,
    ResidentFields,
    SealedNumber,
    SealRequest,
)
from common.personal_numbers import masked_form, normalise_phone_field

# Fields whose every read and change is audited: health, income and identity.
SENSITIVE_FIELDS = ("disability_level", "assistance_status", "id_number")
STAFF_CONSENT_TEXT = "社工现场采集身份证号，居民已书面同意。"


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


def seal_number(*, request: SealRequest, vault: IdNumberVault) -> SealedNumber:
    """Check the number and seal it; nothing is stored (the reference carries it)."""
    if request.kind is PersonalNumberKind.id_number:
        try:
            value = validate_id_number(request.value)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
    else:
        phone = normalise_phone_field(request.value)
        if phone is None:
            raise InvalidInputError("value is not a mainland mobile or landline number")
        value = phone
    reference = vault.seal(kind=request.kind, value=value)
    return SealedNumber(reference=reference, masked=masked_form(reference))


def linked_residents(sender_id: str) -> Select[tuple[int]]:
    """Residents a chat was linked to (POST /residents/link-channel): its status questions
    find their records too."""
    return select(Resident.id).where(
        or_(Resident.telegram_id == sender_id, Resident.wechat_id == sender_id)
    )


def get_resident(session: Session, resident_id: int) -> Resident:
    return get_or_not_found(session, Resident, resident_id, f"Resident {resident_id}")


def residents_by_id(session: Session, *, ids: Collection[int]) -> dict[int, Resident]:
    """The residents with these ids, by id; ids of no resident are left out."""
    if not ids:
        return {}
    return {r.id: r for r in session.scalars(select(Resident).where(Resident.id.in_(ids)))}


def set_id_number(
    session: Session,
    resident: Resident,
    id_number: str,
    vault: IdNumberVault,
    principal: Principal,
) -> None:
    """Store an ID number encrypted; the same number on another resident is a conflict."""
    digest = vault.digest(id_number)
    if resident.id_number_digest == digest:
        return
    owner = session.scalar(select(Resident).where(Resident.id_number_digest == digest))
    if owner is not None and owner is not resident:
        raise ConflictError("This ID number is already on another resident's record")
    if resident.id_number_digest is not None:
        raise ConflictError(
            "The resident already has a different ID number on file; staff must correct it"
        )
    resident.id_number_encrypted = vault.encrypt(id_number)
    resident.id_number_digest = digest
    resident.id_number_masked = mask_id_number(id_number)
    session.flush()
    record(session, principal, AuditAction.write, f"resident:{resident.id}", ["id_number"])


def _apply(
    session: Session,
    resident: Resident,
    data: ResidentFields,
    vault: IdNumberVault,
    principal: Principal,
) -> None:
    values = data.model_dump(exclude_unset=True, exclude={"id_number", "id_number_consent"})
    household_id = values.get("household_id")
    if household_id is not None and session.get(Household, household_id) is None:
        raise InvalidInputError(f"Household {values['household_id']} not found")
    for unique_field in ("phone", "telegram_id"):
        value = values.get(unique_field)
        if value is not None:
            other = session.scalar(select(Resident).where(getattr(Resident, unique_field) == value))
            if other is not None and other is not resident:
                raise ConflictError(f"Another resident already has this {unique_field}")
    for field, value in values.items():
        setattr(resident, field, value)
    session.flush()
    changed = [field for field in SENSITIVE_FIELDS if field in values]
    if changed:
        record(session, principal, AuditAction.write, f"resident:{resident.id}", changed)
    if data.id_number is not None:
        if not data.id_number_consent:
            raise ConflictError(
                "Record the resident's consent first: send id_number_consent=true when the "
                "resident agreed in writing to give their ID number"
            )
        session.add(
            Consent(
                channel="staff",
                sender_id=f"resident:{resident.id}",
                purpose="id_number",
                granted=True,
                text_shown=STAFF_CONSENT_TEXT,
                recorded_by=f"{principal.kind}:{principal.name}",
            )
        )
        set_id_number(session, resident, data.id_number, vault, principal)


def create_resident(
    session: Session, data: ResidentFields, vault: IdNumberVault, principal: Principal
) -> Resident:
    resident = Resident()
    session.add(resident)
    _apply(session, resident, data, vault, principal)
    session.commit()
    return resident


def update_resident(
    session: Session,
    resident_id: int,
    data: ResidentFields,
    vault: IdNumberVault,
    principal: Principal,
) -> Resident:
    resident = get_resident(session, resident_id)
    _apply(session, resident, data, vault, principal)
    session.commit()
    return resident


def resident_detail(
    session: Session,
    resident: Resident,
    principal: Principal,
    vault: IdNumberVault,
    reveal_id_number: bool = False,
) -> ResidentDetail:
    """The resident's record; reading it is audited because it carries sensitive fields."""
    if reveal_id_number and principal.role != Role.admin:
        raise PermissionDeniedError("Only admins may see ID numbers unmasked")
    id_number = resident.id_number_masked
    if reveal_id_number and resident.id_number_encrypted:
        id_number = vault.decrypt(resident.id_number_encrypted)
        record(session, principal, AuditAction.reveal, f"resident:{resident.id}", ["id_number"])
    else:
        record(session, principal, AuditAction.read, f"resident:{resident.id}", SENSITIVE_FIELDS)
    session.commit()
    return ResidentDetail(
        id=resident.id,
        name=resident.name,
        phone=resident.phone,
        address=resident.address,
        created_at=resident.created_at,
        telegram_id=resident.telegram_id,
        wechat_id=resident.wechat_id,
        household_id=resident.household_id,
        birth_date=resident.birth_date,
        age=resident.age_on(date.today()),
        disability_level=resident.disability_level,
        living_alone=resident.living_alone,
        assistance_status=resident.assistance_status,
        id_number=id_number,
    )


def list_residents(
    session: Session, household_id: int | None, phone: str | None, limit: int
) -> list[Resident]:
    query = select(Resident).order_by(Resident.id.desc()).limit(limit)
    if household_id is not None:
        query = query.where(Resident.household_id == household_id)
    if phone:
        query = query.where(Resident.phone == phone)
    return list(session.scalars(query))


def link_channel(session: Session, *, data: ChannelLink, vault: IdNumberVault) -> Resident:
    """Link a chat to the resident with this phone. A chat speaks for one resident: a link it
    had to someone else moves here. Telegram creates the resident on first contact; WeChat
    links only a resident on file whose ID number matches too (anyone can type a phone)."""
    column = Resident.telegram_id if data.channel == "telegram" else Resident.wechat_id
    if data.channel == "wechat":
        resident = session.scalar(select(Resident).where(Resident.phone == data.phone))
        if (
            resident is None
            or data.id_number is None
            or resident.id_number_digest is None
            or resident.id_number_digest != vault.digest(data.id_number)
        ):
            # One answer for every mismatch: the caller learns nothing about who is on file.
            raise PermissionDeniedError(
                "The phone and ID number do not match a resident on file together"
            )
        session.add(
            Consent(
                channel="wechat",
                sender_id=data.sender_id,
                purpose="channel_link",
                granted=True,
                text_shown=data.consent_text,
                recorded_by="front:wechat",
            )
        )
    else:
        resident = find_or_create_by_phone(session, data.phone, data.name)
    previous = session.scalar(select(Resident).where(column == data.sender_id))
    if previous is not None and previous is not resident:
        setattr(previous, column.key, None)
        session.flush()  # the column is unique: free the id before giving it to `resident`
    setattr(resident, column.key, data.sender_id)
    session.commit()
    return resident
