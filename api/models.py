"""Every ORM model, imported in one place so metadata is complete for Alembic and tests."""

from api.auth.models import ApiKey, StaffUser
from api.bookings.models import Booking
from api.calls.models import Call, CallTurn
from api.cases.models import Case
from api.db import Base
from api.feedback.models import Feedback
from api.handoffs.models import Handoff
from api.residents.models import Resident

__all__ = [
    "ApiKey",
    "Base",
    "Booking",
    "Call",
    "CallTurn",
    "Case",
    "Feedback",
    "Handoff",
    "Resident",
    "StaffUser",
]
