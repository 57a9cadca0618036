"""ASGI middleware in front of every route: request bodies are bounded and JSON is checked
before any route (or authentication) reads it, and every response carries security headers.

Pure ASGI rather than BaseHTTPMiddleware: the body is counted as it arrives, and a body over
the limit is refused without reading the rest of it."""

import json
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The consoles: no inline script or style, nothing framed, forms post only to the backend.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc pages load Swagger UI and ReDoc from a CDN with an inline
# bootstrap script; they hold no session (the console cookie is scoped to /console).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
JSON_MEDIA_TYPES = ("application/json",)


class SecurityHeaders:
    """Adds the security headers to every HTTP response (HSTS too when served over HTTPS)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] in DOCS_PATHS else STRICT_CSP
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", csp)
                if https:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    pass


class BoundedBody:
    """Refuses request bodies over `max_bytes` with 413 (by Content-Length before reading,
    or as soon as a chunked body passes the limit), and JSON bodies holding a lone UTF-16
    surrogate (e.g. "\\ud800", which no database or response can encode) with 422.

    The body is read here, bounded, and replayed to the application."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        try:
            body = await self._read_body(receive)
        except BodyTooLarge:
            await self._too_large(scope, receive, send)
            return
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        is_json = media_type in JSON_MEDIA_TYPES or media_type.endswith("+json")
        if body and is_json and has_lone_surrogate(body):
            response = JSONResponse(
                status_code=422,
                content={
                    "detail": [
                        {
                            "type": "string_unicode",
                            "loc": ["body"],
                            "msg": "The JSON holds a lone UTF-16 surrogate escape "
                            "(\\ud800-\\udfff without its pair): not a valid string",
                        }
                    ]
                },
            )
            await response(scope, receive, send)
            return
        await self.app(scope, replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise BodyTooLarge()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            status_code=413,
            content={"detail": f"Request body too large: at most {self.max_bytes} bytes"},
            # The rest of the body is not read: the connection cannot be reused.
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that gives the application the already-read body, then whatever
    the server says next (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def has_lone_surrogate(body: bytes) -> bool:
    """Whether the JSON body decodes to a string with an unpaired surrogate. An invalid body
    answers False: the route's own parsing reports it."""
    if b"\\u" not in body:
        return False
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return any(_unencodable(text) for text in _strings(document))


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _strings(document: object) -> Iterable[str]:
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
