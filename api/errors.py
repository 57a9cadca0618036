"""Domain errors and their one mapping to HTTP responses.

Services raise these; only `install_error_handlers` knows about status codes. Messages are
English because their readers are operators and integrators; residents see Chinese from the bot.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError


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


class NotConfiguredError(DomainError):
    """A feature needs a setting the operator has not provided (e.g. the ID-number key)."""

    status_code = 503


# Request fields whose value must never be echoed back, even when invalid: a mistyped ID number
# is still mostly someone's ID number.
REDACTED_FIELDS = frozenset({"id_number"})


def redact_validation_error(error: dict[str, Any]) -> dict[str, Any]:
    if REDACTED_FIELDS.intersection(str(part) for part in error.get("loc", ())):
        return {key: value for key, value in error.items() if key != "input"}
    value = error.get("input")
    if isinstance(value, dict) and REDACTED_FIELDS.intersection(value):
        error = {
            **error,
            "input": {k: "[redacted]" if k in REDACTED_FIELDS else v for k, v in value.items()},
        }
    return error


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [redact_validation_error(dict(error)) for error in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationError) else None
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": exc.message},
            headers=headers,
        )

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # Services check what they can before writing; what remains is a race between two
        # requests (e.g. the same Idempotency-Key retried concurrently). The transaction was
        # rolled back, so a retry is safe.
        return JSONResponse(
            status_code=409,
            content={"detail": "The write conflicts with a concurrent one; retry the request"},
        )
