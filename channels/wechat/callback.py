"""The callback URL WeChat posts to (公众号 → 设置与开发 → 基本配置 → 服务器配置).

GET: WeChat checks the URL (signature over token, timestamp and nonce; echo `echostr`).
POST: a resident's message or an event, in plain mode (`signature`) or safe mode
(`encrypt_type=aes`, `msg_signature`, AES body). Every signature is checked by wechatpy and a
bad one refused; the passive reply is encrypted the way the message came."""

import logging
import time
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.background import BackgroundTask
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from channels.wechat.conversation import Conversations, Incoming
from channels.wechat.metrics import CALLBACKS
from channels.wechat.settings import WechatSettings

log = logging.getLogger(__name__)

# What WeChat takes as "answered, nothing to say now".
SUCCESS = "success"
# Callbacks signed further from now than this are refused as replays (WeChat retries within
# seconds, with the same timestamp).
MAX_CLOCK_SKEW_S = 300
TEXT = "text/plain; charset=utf-8"
XML = "application/xml; charset=utf-8"


def _refused(reason: str) -> Response:
    CALLBACKS.labels("refused").inc()
    return Response(f"{reason}\n", status_code=403, media_type=TEXT)


class Callback:
    def __init__(self, settings: WechatSettings, conversations: Conversations) -> None:
        self.settings = settings
        self.conversations = conversations
        self._token = settings.token.get_secret_value() if settings.token else ""
        self._crypto = (
            WeChatCrypto(
                self._token,
                settings.encoding_aes_key.get_secret_value(),  # type: ignore[union-attr]
                settings.app_id,
            )
            if settings.safe_mode
            else None
        )

    def _signed(self, request: Request) -> bool:
        query = request.query_params
        try:
            check_signature(
                self._token,
                query.get("signature", ""),
                query.get("timestamp", ""),
                query.get("nonce", ""),
            )
        except InvalidSignatureException:
            return False
        return True

    @staticmethod
    def _fresh(timestamp: str) -> bool:
        return timestamp.isdigit() and abs(time.time() - int(timestamp)) <= MAX_CLOCK_SKEW_S

    async def verify(self, request: Request) -> Response:
        """WeChat checks the callback URL once, when it is saved in the admin console."""
        if not self._signed(request):
            return _refused("bad signature")
        return Response(request.query_params.get("echostr", ""), media_type=TEXT)

    async def receive(self, request: Request) -> Response:
        query = request.query_params
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        if not self._fresh(timestamp):
            return _refused("stale or missing timestamp")
        body = await _capped_body(request, self.settings.max_callback_bytes)
        if body is None:
            return Response("body too large\n", status_code=413, media_type=TEXT)
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        if encrypted:
            if self._crypto is None:
                return Response("safe mode is not configured\n", status_code=400, media_type=TEXT)
            try:
                xml = self._crypto.decrypt_message(
                    body, query.get("msg_signature", ""), timestamp, nonce
                )
            except (InvalidSignatureException, InvalidAppIdException):
                return _refused("bad signature")
            except Exception:
                return Response("undecryptable body\n", status_code=400, media_type=TEXT)
        else:
            if not self._signed(request):
                return _refused("bad signature")
            xml = body.decode("utf-8", errors="replace")
        try:
            message = parse_message(xml)
            incoming = _incoming(message)
        except Exception:
            log.warning("a signed callback whose XML could not be read")
            return Response("unreadable message\n", status_code=400, media_type=TEXT)
        reply, sent = await self.conversations.answer(incoming)
        background = BackgroundTask(sent.set) if sent is not None else None
        if reply is None:
            if sent is not None:
                sent.set()
            return Response(SUCCESS, media_type=TEXT)
        rendered = TextReply(message=message, content=reply).render()
        if encrypted and self._crypto is not None:
            rendered = self._crypto.encrypt_message(rendered, nonce, timestamp)
        return Response(rendered, media_type=XML, background=background)


async def _capped_body(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _incoming(message: Any) -> Incoming:
    openid = str(message.source)
    if not openid:
        raise ValueError("no FromUserName")
    kind = str(message.type)
    if kind == "event":
        event = str(getattr(message, "event", ""))
        return Incoming(
            openid=openid,
            key=f"{openid}:{message.time}:{event}",
            kind="event",
            event=event,
            event_key=str(getattr(message, "key", "") or ""),
        )
    key = str(message.id) if message.id else f"{openid}:{message.time}"
    if kind == "text":
        return Incoming(openid=openid, key=key, kind="text", text=str(message.content or ""))
    if kind == "voice":
        return Incoming(
            openid=openid,
            key=key,
            kind="voice",
            media_id=str(message.media_id or ""),
            recognition=str(getattr(message, "recognition", "") or ""),
        )
    return Incoming(openid=openid, key=key, kind=kind)


def mount(app: FastAPI, callback: Callback, path: str) -> None:
    app.add_api_route(path, callback.verify, methods=["GET"], include_in_schema=False)
    app.add_api_route(path, callback.receive, methods=["POST"], include_in_schema=False)
