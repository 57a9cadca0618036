"""wechatpy clients whose access token is fetched once for every replica (WeChat allows 2 000
fetches a day and a new token invalidates the old one after five minutes).

The token lives in the shared state with the time it expires; a replica refreshes it only under
the shared lock, after checking that nobody else has. WeChat's "invalid credential" makes
wechatpy refresh and retry: here the refresh happens only if the stored token is still the one
WeChat refused (otherwise another thread or replica already replaced it), and a request is
retried once, never in a loop."""

import json
import logging
import threading
import time
from typing import Any

import requests
from wechatpy.client import WeChatClient
from wechatpy.constants import WeChatErrorCode
from wechatpy.enterprise import WeChatClient as WeComClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from channels.wechat.state import SharedState

log = logging.getLogger(__name__)

# A token this close to expiry is refreshed before use.
REFRESH_BEFORE_EXPIRY_S = 300
TOKEN_ERRORS = frozenset(
    {
        WeChatErrorCode.INVALID_CREDENTIAL.value,
        WeChatErrorCode.INVALID_ACCESS_TOKEN.value,
        WeChatErrorCode.EXPIRED_ACCESS_TOKEN.value,
    }
)


class SharedStorage(SessionStorage):  # type: ignore[misc]
    """wechatpy's session storage over the shared state (values as JSON)."""

    def __init__(self, state: SharedState, prefix: str) -> None:
        self._state = state
        self._prefix = prefix

    def get(self, key: str, default: Any = None) -> Any:
        value = self._state.get(self._prefix + key)
        return json.loads(value) if value is not None else default

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        if value is not None:
            self._state.set(self._prefix + key, json.dumps(value), ttl)

    def delete(self, key: str) -> None:
        self._state.delete(self._prefix + key)


class SharedToken:
    """The token logic both clients share (mixed in before the wechatpy client)."""

    session: SessionStorage
    access_token_key: str
    _state: SharedState
    _retrying: threading.local

    def _init_shared(self, state: SharedState) -> None:
        self._state = state
        self._retrying = threading.local()

    def _token_request(self) -> tuple[str, dict[str, str]]:
        raise NotImplementedError

    @property
    def _record_key(self) -> str:
        return self.access_token_key + "_record"

    def _record(self) -> dict[str, Any] | None:
        record = self.session.get(self._record_key)
        return record if isinstance(record, dict) and record.get("token") else None

    @property
    def access_token(self) -> str:
        record = self._record()
        if record and record["expires_at"] - time.time() > REFRESH_BEFORE_EXPIRY_S:
            return str(record["token"])
        self.fetch_access_token()
        record = self._record()
        if record is None:
            raise WeChatClientException(None, "no access token after a fetch")
        return str(record["token"])

    def fetch_access_token(self) -> dict[str, Any]:
        with self._state.lock(self.access_token_key):
            record = self._record()
            now = time.time()
            refused = getattr(self._retrying, "refused_token", None)
            if record and (
                record["token"] != refused
                if refused
                else record["expires_at"] - now > REFRESH_BEFORE_EXPIRY_S
            ):
                return record  # another thread or replica has refreshed it
            url, params = self._token_request()
            log.info("fetching a WeChat access token")
            response = requests.get(url, params=params, timeout=10)
            response.raise_for_status()
            result = response.json()
            if result.get("errcode"):
                raise WeChatClientException(result["errcode"], result.get("errmsg"))
            expires_in = int(result.get("expires_in", 7200))
            record = {
                "token": result["access_token"],
                "fetched_at": now,
                "expires_at": now + expires_in,
            }
            self.session.set(self._record_key, record, expires_in)
            # wechatpy's own retry reads the token under its own key.
            self.session.set(self.access_token_key, record["token"], expires_in)
            return record

    def _handle_result(  # wechatpy's hook: one retry with a fresh token, then the error
        self,
        res: Any,
        method: Any = None,
        url: Any = None,
        result_processor: Any = None,
        **kwargs: Any,
    ) -> Any:
        result = res if isinstance(res, dict) else _json_or_none(res)
        errcode = int(result.get("errcode", 0) or 0) if isinstance(result, dict) else 0
        if errcode in TOKEN_ERRORS:
            if getattr(self._retrying, "active", False):
                raise WeChatClientException(errcode, result.get("errmsg") if result else None)
            self._retrying.active = True
            self._retrying.refused_token = (kwargs.get("params") or {}).get("access_token")
            try:
                log.info("WeChat refused the access token (%s): one refresh, one retry", errcode)
                return super()._handle_result(  # type: ignore[misc]
                    res, method, url, result_processor, **kwargs
                )
            finally:
                self._retrying.active = False
                self._retrying.refused_token = None
        return super()._handle_result(res, method, url, result_processor, **kwargs)  # type: ignore[misc]


def _json_or_none(response: Any) -> dict[str, Any] | None:
    try:
        value = response.json()
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class OfficialAccountClient(SharedToken, WeChatClient):  # type: ignore[misc]
    def __init__(
        self, *, app_id: str, secret: str, state: SharedState, base_url: str, timeout_s: float
    ) -> None:
        super().__init__(app_id, secret, session=SharedStorage(state, "token:"), timeout=timeout_s)
        self._init_shared(state)
        self.API_BASE_URL = base_url.rstrip("/") + "/"

    def _token_request(self) -> tuple[str, dict[str, str]]:
        return self.API_BASE_URL + "token", {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self.secret,
        }


class WorkWechatClient(SharedToken, WeComClient):  # type: ignore[misc]
    def __init__(
        self, *, corp_id: str, secret: str, state: SharedState, base_url: str, timeout_s: float
    ) -> None:
        super().__init__(corp_id, secret, session=SharedStorage(state, "token:"), timeout=timeout_s)
        self._init_shared(state)
        self.API_BASE_URL = base_url.rstrip("/") + "/"

    def _token_request(self) -> tuple[str, dict[str, str]]:
        return self.API_BASE_URL + "gettoken", {"corpid": self.corp_id, "corpsecret": self.secret}
