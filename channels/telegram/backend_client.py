"""The case backend, as the Telegram front (its own X-API-Key): livestream follow-ups and
phone-number links, for its own `tg:` conversations only (the backend refuses anything else)."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import httpx

from common.fronts import Front, namespaced

# The backend's limits on a livestream follow-up (POST /need-reports/livestream).
MAX_QUESTION_CHARS = 300
MAX_ANSWER_CHARS = 2000
MAX_NAME_CHARS = 40
MAX_TITLE_CHARS = 200


class BackendError(Exception):
    """The backend was unreachable or refused the request (the message says which, in English)."""


@dataclass(frozen=True)
class LivestreamFollowUp:
    """A viewer's question that needs a visit or a call back. The backend owns how it becomes a
    need report (its text, and that it needs a home visit)."""

    sender_id: str
    question: str
    answer: str
    viewer: str | None
    contact: str | None
    session_title: str

    def as_json(self) -> dict[str, str | None]:
        def cut(value: str | None, limit: int) -> str | None:
            return value[:limit] if value else None

        return {
            "sender_id": namespaced(Front.telegram, self.sender_id),
            "question": self.question[:MAX_QUESTION_CHARS],
            "answer": self.answer[:MAX_ANSWER_CHARS],
            "viewer": cut(self.viewer, MAX_NAME_CHARS),
            "contact": cut(self.contact, MAX_NAME_CHARS),
            "session_title": self.session_title[:MAX_TITLE_CHARS],
        }


class BackendClient:
    def __init__(
        self, http: httpx.AsyncClient, base_url: str, api_key: str, timeout_s: float
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/") + "/api/v1"
        self._headers = {"X-API-Key": api_key}
        self._timeout_s = timeout_s

    async def _post(self, path: str, payload: Any, idempotency_key: str | None = None) -> Any:
        headers = dict(self._headers)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            response = await self._http.post(
                f"{self._base_url}{path}",
                json=payload,
                headers=headers,
                timeout=self._timeout_s,
            )
        except httpx.HTTPError as error:
            raise BackendError(f"POST {path}: backend unreachable: {error!r}") from error
        if response.status_code >= 400:
            raise BackendError(f"POST {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    async def report_needs(self, follow_ups: list[LivestreamFollowUp]) -> list[str]:
        """Livestream viewers who need a visit or a call back; returns the report numbers."""
        payload = [follow_up.as_json() for follow_up in follow_ups]
        # The same follow-ups sent again (a retry after a lost answer) file nothing twice.
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        reports = await self._post("/need-reports/livestream", payload, f"tg-follow-up-{digest}")
        return [str(report["number"]) for report in reports]

    async def link_phone(self, sender_id: str, phone: str, name: str | None) -> int:
        """Link this Telegram chat to the resident with `phone`; returns the resident id. The
        chat is named as Rasa names its conversation (`tg:<chat id>`)."""
        linked = await self._post(
            "/residents/link-channel",
            {
                "channel": "telegram",
                "sender_id": namespaced(Front.telegram, sender_id),
                "phone": phone,
                "name": name,
            },
        )
        return int(linked["resident_id"])
