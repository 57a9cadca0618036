"""The Linli case backend: FastAPI application factory."""

from fastapi import APIRouter, FastAPI

from api.audit.router import router as audit_router
from api.auth.router import router as auth_router
from api.auth.throttle import LoginThrottle
from api.booking_plans.router import router as booking_plans_router
from api.bookings.router import router as bookings_router
from api.budgets.router import router as budgets_router
from api.call_plans.router import calls as outbound_calls_router
from api.call_plans.router import plans as call_plans_router
from api.callbacks.router import router as callbacks_router
from api.calls.router import router as calls_router
from api.cases.router import router as cases_router
from api.catalogue.router import router as catalogue_router
from api.consents.router import router as consents_router
from api.console import mount_console
from api.db import get_engine, session_factory
from api.dead_letters.router import router as dead_letters_router
from api.eligibility.router import router as eligibility_router
from api.errors import install_error_handlers
from api.feedback.router import router as feedback_router
from api.handoffs.router import router as handoffs_router
from api.households.router import router as households_router
from api.http_guards import BoundedBody, SecurityHeaders
from api.id_numbers import vault_for
from api.metrics import mount_metrics
from api.need_reports.router import router as need_reports_router
from api.notifications.router import router as notifications_router
from api.phones import keep_phones_with
from api.policies.router import router as policies_router
from api.providers.router import router as providers_router
from api.residents.router import router as residents_router
from api.settings import ApiSettings, get_settings
from common.personal_numbers import redact_logs

API_PREFIX = "/api/v1"


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # No log line, traceback included, writes a phone or ID number in clear (issue 14);
    # uvicorn configured its loggers before it called this factory.
    redact_logs("uvicorn", "uvicorn.error", "uvicorn.access")
    app = FastAPI(
        title="Linli case backend",
        description="Cases, bookings and the policy knowledge base behind the Linli assistant.",
        version="0.1.0",
    )
    app.state.settings = settings
    engine = get_engine(settings.database_url)
    # Residents' phones are encrypted at rest with the ID-number key (api/phones.py).
    key = settings.id_number_key.get_secret_value() if settings.id_number_key else None
    keep_phones_with(engine, vault_for(key))
    app.state.sessionmaker = session_factory(engine)
    install_error_handlers(app)
    app.state.login_throttle = LoginThrottle(
        per_user=settings.login_limits_per_user,
        per_address=settings.login_limits_per_address,
        storage_uri=settings.login_throttle_storage,
    )
    # The last added runs first: headers go on every response, the 413 and 422 of the body
    # check included, and the body is bounded before any route or authentication reads it.
    app.add_middleware(BoundedBody, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    # Outermost: every request is counted and timed, a 413 included (issue 15).
    mount_metrics(app)

    api = APIRouter(prefix=API_PREFIX)
    for router in (
        auth_router,
        policies_router,
        catalogue_router,
        residents_router,
        cases_router,
        bookings_router,
        booking_plans_router,
        handoffs_router,
        feedback_router,
        calls_router,
        eligibility_router,
        consents_router,
        households_router,
        need_reports_router,
        providers_router,
        budgets_router,
        callbacks_router,
        audit_router,
        dead_letters_router,
        notifications_router,
        call_plans_router,
        outbound_calls_router,
    ):
        api.include_router(router)
    app.include_router(api)
    # The social workers' and livestream hosts' web consoles (HTML pages under /console).
    mount_console(app)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
