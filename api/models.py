"""Every ORM model, imported in one place so metadata is complete for Alembic and tests."""

from api.audit.models import AuditEntry
from api.auth.models import ApiKey, StaffUser
from api.booking_plans.models import BookingPlan
from api.bookings.models import Booking
from api.budgets.models import ServiceBudget
from api.call_plans.models import CallPlan, OutboundCall
from api.callbacks.models import Callback
from api.calls.models import Call, CallTurn
from api.cases.models import Case, CaseEvent
from api.consents.models import Consent
from api.db import Base
from api.dead_letters.models import DeadLetter
from api.feedback.models import Feedback
from api.handoffs.models import Handoff
from api.idempotency.models import IdempotencyBinding
from api.need_reports.models import NeedReport
from api.notifications.models import Notification
from api.providers.models import Provider
from api.residents.models import Household, Resident

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Base",
    "Booking",
    "BookingPlan",
    "Call",
    "CallTurn",
    "CallPlan",
    "Callback",
    "Case",
    "CaseEvent",
    "Consent",
    "DeadLetter",
    "Feedback",
    "Handoff",
    "Household",
    "IdempotencyBinding",
    "NeedReport",
    "OutboundCall",
    "Notification",
    "Provider",
    "Resident",
    "ServiceBudget",
    "StaffUser",
]
