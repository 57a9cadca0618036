"""Idempotency keys bound to their request (issue 14, finding 5).

A client retries a write with the same `Idempotency-Key` and gets the first record back. The
key alone is not enough: a replay by another principal, or with another body, must not be
answered with the first (another resident's) record. So the first use binds the key to a
fingerprint of principal, method, route and body; a later use with another fingerprint is a
422. The binding is added to the request's session and committed with the record it guards:
a write that fails binds nothing.
"""

import hashlib
import hmac
import json
from typing import Any

from sqlalchemy.orm import Session

from api.auth.service import Principal
from api.errors import InvalidInputError
from api.idempotency.models import IdempotencyBinding


def request_fingerprint(*, principal: Principal, method: str, path: str, body: bytes) -> str:
    """SHA-256 over who sent what where; the body as canonical JSON when it is JSON, so a
    retry that serialises the same values differently is the same request."""
    try:
        canonical: Any = json.loads(body) if body else None
        body_text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        body_text = body.decode("utf-8", "replace")
    material = json.dumps(
        [principal.kind, principal.name, method.upper(), path, body_text], ensure_ascii=False
    )
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def bind_idempotency_key(session: Session, *, key: str, fingerprint: str) -> None:
    """Bind `key` to `fingerprint` (with the request's commit), or refuse a replay of `key`
    that is not the request that first used it."""
    binding = session.get(IdempotencyBinding, key)
    if binding is None:
        session.add(IdempotencyBinding(key=key, fingerprint=fingerprint))
        return
    if not hmac.compare_digest(binding.fingerprint, fingerprint):
        raise InvalidInputError(
            "This Idempotency-Key was already used for another request (another body or "
            "another caller); use a new key for a new request"
        )


def batch_item_keys(key: str | None, count: int) -> list[str | None]:
    """The idempotency key of each record of a batch written under `key` (the records' key
    column is unique, so each gets its own, derived from the batch's)."""
    if not key:
        return [None] * count
    stem = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:48]
    return [f"batch-{stem}-{number}" for number in range(count)]
