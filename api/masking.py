"""Who sees a resident's phone number in clear (issue 14, finding 8).

Admins and social workers call residents back, so they see the number (their reads are
audited); a provider worker sees it on the bookings dispatched to them, the ones they must
call before a visit; every other caller (the fronts' API keys, a worker looking at someone
else's order) gets the masked form, 138****8000.
"""

from api.auth.models import Role
from api.auth.service import Principal
from common.personal_numbers import mask_phone

ROLES_SEEING_PHONES = frozenset({Role.admin, Role.social_worker})


def phone_shown_to(
    principal: Principal, phone: str | None, *, assigned_worker: str | None = None
) -> str | None:
    """`phone` as `principal` may see it: in clear or masked."""
    if phone is None or principal.role in ROLES_SEEING_PHONES:
        return phone
    if principal.role == Role.provider_worker and assigned_worker == principal.name:
        return phone
    return mask_phone(phone)
