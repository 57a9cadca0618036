"""Stand-ins for what the WeChat front talks to, on loopback (WeChat's servers cannot be
reached here):

- `WechatStandIn`: the Official Account API (`api_base_url`) and WeCom's API and group robot
  that wechatpy and the front are pointed at. It records every call, serves media, and can
  expire its access tokens or refuse the next WeCom pushes.
- `WechatServer`: WeChat's side of the callback: real signed (plain) or encrypted (safe mode)
  callbacks posted to the front, the passive reply read back (decrypted).

Tests wait on events: every recorded call notifies one condition."""

import contextlib
import email.parser
import email.policy
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

APP_ID = "wx1234567890abcdef"
APP_SECRET = "standin-app-secret"
CALLBACK_TOKEN = "standin-callback-token"
# 43 characters of base64 without the padding, as the admin console generates.
ENCODING_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT_ID = "gh_linli_test"
CORP_ID = "ww0123456789abcdef"
CORP_SECRET = "standin-corp-secret"
AGENT_ID = 1000002
ROBOT_KEY = "standin-robot-key"

INVALID_TOKEN = {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
SYSTEM_BUSY = {"errcode": -1, "errmsg": "system error"}


@dataclass
class Call:
    api: str  # "mp" (the Official Account), "wecom", "robot"
    path: str  # e.g. "message/custom/send"
    query: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


class WechatStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.token_fetches = {"mp": 0, "wecom": 0}
        self.media: dict[str, bytes] = {}
        # WeCom pushes refused before the next one is taken (system busy).
        self.refuse_wecom = 0
        # Customer-service sends refused before the next is taken.
        self.refuse_custom = 0
        self._valid_tokens: set[str] = set()
        self._ids = itertools.count(1)
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def mp_base_url(self) -> str:
        return f"{self.url}/cgi-bin/"

    @property
    def wecom_base_url(self) -> str:
        return f"{self.url}/wecom/cgi-bin/"

    @property
    def robot_url(self) -> str:
        return f"{self.url}/robot/send?key={ROBOT_KEY}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what tests do

    def add_media(self, data: bytes) -> str:
        media_id = f"media-{next(self._ids)}"
        self.media[media_id] = data
        return media_id

    def expire_tokens(self) -> None:
        """Every access token handed out so far stops working (as after a refresh elsewhere)."""
        with self._changed:
            self._valid_tokens.clear()

    def calls_since(self, start: int, path: str | None = None) -> list[Call]:
        with self._changed:
            return [c for c in self.calls[start:] if path is None or c.path == path]

    def wait_for(
        self, predicate: Callable[[list[Call]], bool], timeout: float = 60, what: str = ""
    ) -> list[Call]:
        """Until `predicate(calls)` holds: checked again on every call to the stand-in."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.calls):
                left = deadline - time.monotonic()
                if left <= 0:
                    paths = [f"{c.api}:{c.path}" for c in self.calls[-10:]]
                    raise AssertionError(f"{what or 'condition'} not met in {timeout} s: {paths}")
                self._changed.wait(left)
            return list(self.calls)

    def custom_texts(self, openid: str, start: int = 0) -> list[str]:
        return [
            str(call.body.get("text", {}).get("content", ""))
            for call in self.calls_since(start, "message/custom/send")
            if call.body.get("touser") == openid and call.body.get("msgtype") == "text"
        ]

    # --- the APIs

    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _new_token(self, api: str) -> dict[str, Any]:
        with self._changed:
            self.token_fetches[api] += 1
            token = f"{api}-token-{self.token_fetches[api]}"
            self._valid_tokens.add(token)
            self._changed.notify_all()
        return {"access_token": token, "expires_in": 7200, "errcode": 0, "errmsg": "ok"}

    def _token_ok(self, query: dict[str, str]) -> bool:
        with self._changed:
            return query.get("access_token", "") in self._valid_tokens

    def answer_get(self, path: str, query: dict[str, str]) -> tuple[int, bytes, str]:
        if path == "/cgi-bin/token":
            if query.get("appid") != APP_ID or query.get("secret") != APP_SECRET:
                return _json({"errcode": 40125, "errmsg": "invalid appsecret"})
            return _json(self._new_token("mp"))
        if path == "/wecom/cgi-bin/gettoken":
            if query.get("corpid") != CORP_ID or query.get("corpsecret") != CORP_SECRET:
                return _json({"errcode": 40001, "errmsg": "invalid secret"})
            return _json(self._new_token("wecom"))
        if path == "/cgi-bin/media/get":
            self._record(Call("mp", "media/get", query))
            if not self._token_ok(query):
                return _json(INVALID_TOKEN)
            data = self.media.get(query.get("media_id", ""))
            if data is None:
                return _json({"errcode": 40007, "errmsg": "invalid media_id"})
            return 200, data, "audio/amr"
        return 404, b"not found", "text/plain"

    def answer_post(
        self, path: str, query: dict[str, str], body: dict[str, Any], files: dict[str, bytes]
    ) -> tuple[int, bytes, str]:
        if path == "/robot/send":
            self._record(Call("robot", "send", query, body))
            if query.get("key") != ROBOT_KEY:
                return _json({"errcode": 93000, "errmsg": "invalid webhook url"})
            return _json({"errcode": 0, "errmsg": "ok"})
        api = "wecom" if path.startswith("/wecom/") else "mp"
        endpoint = path.removeprefix("/wecom").removeprefix("/cgi-bin/")
        call = Call(api, endpoint, query, body, files)
        if not self._token_ok(query):
            self._record(call)
            return _json(INVALID_TOKEN)
        with self._changed:
            refuse = False
            if api == "wecom" and self.refuse_wecom > 0:
                self.refuse_wecom -= 1
                refuse = True
            if endpoint == "message/custom/send" and self.refuse_custom > 0:
                self.refuse_custom -= 1
                refuse = True
        self._record(call)
        if refuse:
            return _json(SYSTEM_BUSY)
        if endpoint == "media/upload":
            media_id = self.add_media(files.get("media", b""))
            return _json({"type": query.get("type"), "media_id": media_id, "created_at": 0})
        return _json({"errcode": 0, "errmsg": "ok", "msgid": next(self._ids)})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, answer: tuple[int, bytes, str]) -> None:
                status, body, content_type = answer
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def _split(self) -> tuple[str, dict[str, str]]:
                parsed = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
                return parsed.path, query

            def do_GET(self) -> None:
                path, query = self._split()
                self._reply(standin.answer_get(path, query))

            def do_POST(self) -> None:
                path, query = self._split()
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body, files = _parse_body(self.headers.get("Content-Type", ""), raw)
                self._reply(standin.answer_post(path, query, body, files))

        return Handler


def _json(payload: dict[str, Any]) -> tuple[int, bytes, str]:
    return 200, json.dumps(payload, ensure_ascii=False).encode(), "application/json"


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    if not body:
        return {}, {}
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        files: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            files[str(name)] = payload if isinstance(payload, bytes) else b""
        return {}, files
    try:
        parsed = json.loads(body)
    except ValueError:
        return {"raw": body.decode(errors="replace")}, {}
    return (parsed if isinstance(parsed, dict) else {"raw": parsed}), {}


@contextmanager
def wechat_standin() -> Iterator[WechatStandIn]:
    standin = WechatStandIn()
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()


# --- WeChat's side of the callback


def signature(*values: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*values)
    return str(signer.signature)


@dataclass
class Posted:
    status: int
    # The passive reply's text (decrypted in safe mode), "" when the answer was "success".
    reply: str
    raw: str
    seconds: float


class WechatServer:
    """Posts callbacks to the front as WeChat does, in plain or safe mode."""

    def __init__(self, callback_url: str, *, safe_mode: bool, token: str = CALLBACK_TOKEN) -> None:
        self.callback_url = callback_url
        self.safe_mode = safe_mode
        self.token = token
        self.crypto = WeChatCrypto(token, ENCODING_AES_KEY, APP_ID)
        self._ids = itertools.count(int(time.time() * 1000))
        self._http = httpx.Client(timeout=30)

    def close(self) -> None:
        self._http.close()

    def new_msg_id(self) -> int:
        return next(self._ids)

    @staticmethod
    def text_xml(openid: str, content: str, msg_id: int, created: int | None = None) -> str:
        return _xml(openid, created, "text", f"<Content><![CDATA[{content}]]></Content>", msg_id)

    @staticmethod
    def voice_xml(openid: str, media_id: str, msg_id: int, recognition: str = "") -> str:
        fields = f"<MediaId><![CDATA[{media_id}]]></MediaId><Format><![CDATA[amr]]></Format>"
        if recognition:
            fields += f"<Recognition><![CDATA[{recognition}]]></Recognition>"
        return _xml(openid, None, "voice", fields, msg_id)

    @staticmethod
    def event_xml(openid: str, event: str, key: str = "", created: int | None = None) -> str:
        fields = f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey>"
        return _xml(openid, created, "event", fields, None)

    @staticmethod
    def image_xml(openid: str, msg_id: int) -> str:
        fields = "<PicUrl><![CDATA[http://example.invalid/a.jpg]]></PicUrl><MediaId>m</MediaId>"
        return _xml(openid, None, "image", fields, msg_id)

    def post(self, xml: str, *, forge: bool = False, timestamp: int | None = None) -> Posted:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        nonce = str(next(self._ids))
        query: dict[str, str] = {
            "timestamp": stamp,
            "nonce": nonce,
            "signature": signature(self.token, stamp, nonce),
            "openid": _openid_of(xml),
        }
        body = xml
        if self.safe_mode:
            encrypted = self.crypto.encrypt_message(xml, nonce, stamp)
            body = encrypted
            query["encrypt_type"] = "aes"
            query["msg_signature"] = _between(encrypted, "<MsgSignature><![CDATA[", "]]>")
        if forge:
            query["signature"] = signature("not-the-token", stamp, nonce)
            if "msg_signature" in query:
                query["msg_signature"] = signature("not-the-token", stamp, nonce, "x")
        started = time.monotonic()
        response = self._http.post(
            self.callback_url,
            params=query,
            content=body.encode(),
            headers={"Content-Type": "text/xml"},
        )
        seconds = time.monotonic() - started
        raw = response.text
        return Posted(response.status_code, self._reply_text(raw, stamp, nonce), raw, seconds)

    def verify(self, echostr: str, *, forge: bool = False) -> httpx.Response:
        stamp, nonce = str(int(time.time())), str(next(self._ids))
        token = "not-the-token" if forge else self.token
        return self._http.get(
            self.callback_url,
            params={
                "signature": signature(token, stamp, nonce),
                "timestamp": stamp,
                "nonce": nonce,
                "echostr": echostr,
            },
        )

    def _reply_text(self, raw: str, stamp: str, nonce: str) -> str:
        if not raw.startswith("<xml"):
            return ""
        xml = raw
        if self.safe_mode and "<Encrypt>" in raw:
            xml = self.crypto.decrypt_message(
                raw, _between(raw, "<MsgSignature><![CDATA[", "]]>"), stamp, nonce
            )
        return _between(xml, "<Content><![CDATA[", "]]></Content>")


def _xml(openid: str, created: int | None, kind: str, fields: str, msg_id: int | None) -> str:
    stamp = created if created is not None else int(time.time())
    msg = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>"
        f"{fields}{msg}</xml>"
    )


def _between(text: str, start: str, end: str) -> str:
    if start not in text:
        return ""
    rest = text.split(start, 1)[1]
    return rest.split(end, 1)[0]


def _openid_of(xml: str) -> str:
    return _between(xml, "<FromUserName><![CDATA[", "]]>")
