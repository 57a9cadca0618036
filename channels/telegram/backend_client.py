"""The case backend, as a channel (X-API-Key): need reports and phone-number links."""

from dataclasses import dataclass
from typing import Any

import httpx


class BackendError(Exception):
    """The backend was unreachable or refused the request (the message says which, in English)."""


@dataclass(frozen=True)
class NeedReportDraft:
    sender_id: str
    text: str
    source_detail: str | None = None


class BackendClient:
    def __init__(
        self, http: httpx.AsyncClient, base_url: str, api_key: str, timeout_s: float
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/") + "/api/v1"
        self._headers = {"X-API-Key": api_key}
        self._timeout_s = timeout_s

    async def _post(self, path: str, payload: Any) -> Any:
        try:
            response = await self._http.post(
                f"{self._base_url}{path}",
                json=payload,
                headers=self._headers,
                timeout=self._timeout_s,
            )
        except httpx.HTTPError as error:
            raise BackendError(f"POST {path}: backend unreachable: {error!r}") from error
        if response.status_code >= 400:
            raise BackendError(f"POST {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    async def report_needs(self, drafts: list[NeedReportDraft]) -> list[str]:
        """Livestream viewers who need a visit or a call back; returns the report numbers."""
        payload = [
            {
                "channel": "livestream",
                "sender_id": draft.sender_id,
                "text": draft.text,
                "needs_home_visit": True,
                "source_detail": draft.source_detail,
            }
            for draft in drafts
        ]
        reports = await self._post("/need-reports/batch", payload)
        return [str(report["number"]) for report in reports]

    async def link_phone(self, sender_id: str, phone: str, name: str | None) -> int:
        """Link this Telegram chat to the resident with `phone`; returns the resident id."""
        linked = await self._post(
            "/residents/link-channel",
            {"channel": "telegram", "sender_id": sender_id, "phone": phone, "name": name},
        )
        return int(linked["resident_id"])
