"""The case backend, as the WeChat front (its own X-API-Key): linking a `wx:` chat to a
resident, and the notices it sends (claim, confirm, report a failure)."""

from dataclasses import dataclass
from typing import Any

import httpx

from common.fronts import Front, namespaced


class BackendError(Exception):
    """The backend was unreachable or refused the request (the message says which, in English)."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class Notice:
    id: int
    audience: str  # "staff" or "resident"
    kind: str
    recipient: str | None  # wx:<openid> for residents
    subject: str
    text: str
    link: str
    attempts: int = 1


class BackendClient:
    def __init__(
        self, http: httpx.AsyncClient, *, base_url: str, api_key: str, timeout_s: float
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
            raise BackendError(
                f"POST {path}: {response.status_code} {response.text[:300]}", response.status_code
            )
        return response.json()

    async def link_resident(
        self, *, openid: str, phone: str, id_number: str, consent_text: str
    ) -> int:
        """Link this WeChat chat to the resident on file with this phone and ID number."""
        linked = await self._post(
            "/residents/link-channel",
            {
                "channel": "wechat",
                "sender_id": namespaced(Front.wechat, openid),
                "phone": phone,
                "id_number": id_number,
                "consent_text": consent_text,
            },
        )
        return int(linked["resident_id"])

    async def claim_notices(
        self, *, audiences: list[str], limit: int, lease_s: int
    ) -> list[Notice]:
        rows = await self._post(
            "/notifications/claim", {"audiences": audiences, "limit": limit, "lease_s": lease_s}
        )
        return [
            Notice(
                id=int(row["id"]),
                audience=str(row["audience"]),
                kind=str(row["kind"]),
                recipient=row.get("recipient"),
                subject=str(row["subject"]),
                text=str(row["text"]),
                link=str(row.get("link") or ""),
                attempts=int(row.get("attempts") or 1),
            )
            for row in rows
        ]

    async def notice_delivered(self, notice_id: int) -> None:
        await self._post(f"/notifications/{notice_id}/delivered", {})

    async def notice_failed(self, notice_id: int, *, error: str, retry_in_s: int) -> None:
        await self._post(
            f"/notifications/{notice_id}/failed", {"error": error[:500], "retry_in_s": retry_in_s}
        )
