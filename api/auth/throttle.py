"""Throttling failed staff logins, per account and per client address (the `limits` library).

Only failures count: a right password after a few typos works and clears the account's
counters, while a guesser is stopped after a handful of tries and waits longer the longer it
goes on (the limits have growing windows: a minute, an hour, a day)."""

import hashlib
import math
import time
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session

from api.auth.models import StaffUser
from api.auth.service import authenticate_staff
from api.errors import AuthenticationError, TooManyRequestsError


class LoginThrottle:
    def __init__(self, *, per_user: str, per_address: str, storage_uri: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._per_user = parse_many(per_user)
        self._per_address = parse_many(per_address)

    def _counters(self, username: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
        # The username is the attacker's choice: a digest keeps every key the same small size.
        account = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
        return [(item, "login-user", account) for item in self._per_user] + [
            (item, "login-address", address) for item in self._per_address
        ]

    def check(self, *, username: str, address: str) -> None:
        """Raise TooManyRequestsError while the account or the address has failed too often;
        call before checking the password, so a throttled guess is never even tried."""
        waits = [
            self._limiter.get_window_stats(item, kind, key).reset_time - time.time()
            for item, kind, key in self._counters(username, address)
            if not self._limiter.test(item, kind, key)
        ]
        if waits:
            retry_after_s = math.ceil(max(waits))
            raise TooManyRequestsError(
                f"Too many failed logins: retry in {retry_after_s} seconds", retry_after_s
            )

    def record_failure(self, *, username: str, address: str) -> None:
        for item, kind, key in self._counters(username, address):
            self._limiter.hit(item, kind, key)

    def record_success(self, *, username: str, address: str) -> None:
        # The account's own counters only: the address may be shared by a guesser.
        for item, kind, key in self._counters(username, address):
            if kind == "login-user":
                self._limiter.clear(item, kind, key)


def client_address(request: Request) -> str:
    # Behind a reverse proxy uvicorn's --proxy-headers puts the forwarded address here.
    return request.client.host if request.client else "unknown"


def get_login_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]


def throttled_login(
    session: Session, throttle: LoginThrottle, *, username: str, password: str, address: str
) -> StaffUser:
    """The account whose password this is, unless the account or the address is throttled
    (TooManyRequestsError) or the password is wrong (AuthenticationError, counted)."""
    throttle.check(username=username, address=address)
    try:
        user = authenticate_staff(session, username, password)
    except AuthenticationError:
        throttle.record_failure(username=username, address=address)
        raise
    throttle.record_success(username=username, address=address)
    return user
