"""Domain errors and their one mapping to HTTP responses.

Services raise these; only `install_error_handlers` knows about status codes. Messages are
English because their readers are operators and integrators; residents see Chinese from the bot.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, StatementError


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(DomainError):
    status_code = 404


class InvalidInputError(DomainError):
    status_code = 422


class ConflictError(DomainError):
    status_code = 409


class AuthenticationError(DomainError):
    status_code = 401


class PermissionDeniedError(DomainError):
    status_code = 403


class TooManyRequestsError(DomainError):
    """Throttled (e.g. too many failed logins): retry after `retry_after_s` seconds."""

    status_code = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


class ServiceBusyError(DomainError):
    """Every slot of a bounded resource (e.g. password hashing) is taken: retry shortly."""

    status_code = 503

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


class NotConfiguredError(DomainError):
    """A feature needs a setting the operator has not provided (e.g. the ID-number key)."""

    status_code = 503


def without_input(error: dict[str, Any]) -> dict[str, Any]:
    """A validation error without the value that failed: the caller sent it, and echoing it
    puts phone and ID numbers (or a lone surrogate that cannot be encoded) into responses and
    the logs of every proxy in between."""
    kept = {key: value for key, value in error.items() if key not in ("input", "ctx")}
    if context := _plain_context(error.get("ctx")):
        kept["ctx"] = context
    return kept


def _plain_context(context: Any) -> dict[str, Any]:
    # Constraints such as max_length stay; an exception object (a validator's ValueError) is
    # already in the message.
    if not isinstance(context, dict):
        return {}
    return {k: v for k, v in context.items() if isinstance(v, str | int | float | bool)}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [without_input(dict(error)) for error in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        headers = None
        if isinstance(exc, AuthenticationError):
            headers = {"WWW-Authenticate": "Bearer"}
        elif isinstance(exc, TooManyRequestsError | ServiceBusyError):
            headers = {"Retry-After": str(exc.retry_after_s)}
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": exc.message},
            headers=headers,
        )

    @app.exception_handler(StatementError)
    async def _statement_error(request: Request, exc: StatementError) -> JSONResponse:
        # A column type refused a value (api/phones.py: no key to encrypt a phone with): the
        # domain error it raised, not a 500.
        if isinstance(exc.orig, DomainError):
            return await _domain_error(request, exc.orig)
        raise exc

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # Services check what they can before writing; what remains is a race between two
        # requests (e.g. the same Idempotency-Key retried concurrently). The transaction was
        # rolled back, so a retry is safe.
        return JSONResponse(
            status_code=409,
            content={"detail": "The write conflicts with a concurrent one; retry the request"},
        )
