"""What each front's backend API key may do (issue 14, finding 4).

One key per front, seeded by `api/prestart.py` from var/linli.env. The key says which front is
calling, and the front decides the rest, never the request:

- `actions`: the action server speaks for every Rasa conversation. Rasa's REST channel already
  put each sender in its front's namespace (`tg:`, `call:`, …) and set the channel from the
  front's own key (`bot/rest_channel.py`), so its sender ids and channels are the fronts' own.
- `voice`: the phone bridge records calls, files handoffs for its own `call:` conversations
  on the `voice` channel and reports its outbox's dead letters; it reads nothing. (A call
  record's `call_id` is the telephony peer's reference, not a conversation, and is not
  checked.)
- `telegram`: livestream follow-ups and phone links, for `tg:` senders only.
- `wechat`: phone links for `wx:` senders, and the notices (staff alerts to 企业微信, resident
  notices by template message) it alone sends: claiming and confirming them.
  Linking a chat to a resident (`POST /residents/link-channel`) is for these two fronts only:
  Telegram's contact button proves a chat belongs to the owner of a phone; on WeChat the
  resident gives the phone and the ID number on file, and the backend checks both.

A key without a known front (none is seeded) may do nothing.
"""

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from api.auth.service import Principal
from api.errors import PermissionDeniedError

API = "/api/v1"


def route_of(path: str | None) -> str:
    """A route's path template inside the API (`/calls/{call_id}/turns`), whether or not the
    router gave it with the API's prefix."""
    return (path or "").removeprefix(API)


class KeyFront(StrEnum):
    actions = "actions"
    voice = "voice"
    telegram = "telegram"
    wechat = "wechat"


@dataclass(frozen=True)
class FrontPolicy:
    # Sender ids the front may act for (by prefix); None: any.
    sender_prefixes: tuple[str, ...] | None
    # The only channel its records may name; None: as Rasa set it.
    channel: str | None
    # The (method, route) pairs it may call; None: whatever its role allows.
    routes: frozenset[tuple[str, str]] | None


POLICIES: dict[str, FrontPolicy] = {
    KeyFront.actions: FrontPolicy(sender_prefixes=None, channel=None, routes=None),
    KeyFront.voice: FrontPolicy(
        sender_prefixes=("call:",),
        channel="voice",
        routes=frozenset(
            {
                ("POST", "/calls"),
                ("POST", "/calls/{call_id}/turns"),
                ("POST", "/calls/{call_id}/end"),
                ("POST", "/handoffs"),
                # What its outbox could never deliver, for the worker console.
                ("POST", "/dead-letters"),
                # Outbound calls (issue 18): taking the calls to place, reporting each.
                ("POST", "/outbound-calls/claim"),
                ("POST", "/outbound-calls/{call_id}/result"),
            }
        ),
    ),
    KeyFront.telegram: FrontPolicy(
        sender_prefixes=("tg:",),
        channel="telegram",
        routes=frozenset(
            {
                ("POST", "/need-reports/livestream"),
                ("POST", "/residents/link-channel"),
            }
        ),
    ),
    KeyFront.wechat: FrontPolicy(
        sender_prefixes=("wx:",),
        channel="wechat",
        routes=frozenset(
            {
                ("POST", "/residents/link-channel"),
                ("POST", "/notifications/claim"),
                ("POST", "/notifications/{notification_id}/delivered"),
                ("POST", "/notifications/{notification_id}/failed"),
            }
        ),
    ),
}

# Routes only these fronts may call, whoever else asks (staff included).
EXCLUSIVE_ROUTES: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/residents/link-channel"): frozenset({KeyFront.telegram, KeyFront.wechat}),
    ("POST", "/notifications/claim"): frozenset({KeyFront.wechat}),
    ("POST", "/notifications/{notification_id}/delivered"): frozenset({KeyFront.wechat}),
    ("POST", "/notifications/{notification_id}/failed"): frozenset({KeyFront.wechat}),
    ("POST", "/outbound-calls/claim"): frozenset({KeyFront.voice}),
    ("POST", "/outbound-calls/{call_id}/result"): frozenset({KeyFront.voice}),
}

# Fields of a request that name the conversation it is for.
SENDER_FIELDS = ("sender_id",)


def _claimed(body: Any, field: str) -> list[Any]:
    """The values of `field` in a JSON object or in each object of a JSON list."""
    items = body if isinstance(body, list) else [body]
    return [item[field] for item in items if isinstance(item, dict) and field in item]


def check_front_policy(
    principal: Principal,
    *,
    method: str,
    route: str | None,
    senders: list[Any],
    body: Any,
) -> None:
    """PermissionDeniedError unless `principal` may call `route` for these senders (from the
    query and path) and this JSON body."""
    route = route_of(route)
    allowed_fronts = EXCLUSIVE_ROUTES.get((method, route))
    if allowed_fronts is not None and principal.front not in allowed_fronts:
        raise PermissionDeniedError(
            f"Only the {', '.join(sorted(allowed_fronts))} front's key may call {method} {route}"
        )
    if principal.kind != "api_key":
        return
    policy = POLICIES.get(principal.front or "")
    if policy is None:
        raise PermissionDeniedError("This API key belongs to no front and may do nothing")
    if policy.routes is not None and (method, route) not in policy.routes:
        raise PermissionDeniedError(f"The {principal.front} key may not call {method} {route}")
    if policy.sender_prefixes is not None:
        claimed = senders + [v for field in SENDER_FIELDS for v in _claimed(body, field)]
        for sender in claimed:
            if not isinstance(sender, str) or not sender.strip().startswith(policy.sender_prefixes):
                raise PermissionDeniedError(
                    f"The {principal.front} key acts only for senders starting with "
                    f"{' or '.join(policy.sender_prefixes)}"
                )
    if policy.channel is not None:
        for channel in _claimed(body, "channel"):
            if channel != policy.channel:
                raise PermissionDeniedError(
                    f"The {principal.front} key files on the {policy.channel} channel only"
                )


def json_body(raw: bytes) -> Any:
    """The request's JSON body, or None (FastAPI has already refused a malformed one)."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
