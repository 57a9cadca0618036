"""The WeChat and WeCom APIs the front calls, through wechatpy. wechatpy is synchronous
(requests): every call runs in a worker thread, off the event loop."""

import asyncio
import io
import logging
from typing import Any

import httpx
from wechatpy.exceptions import WeChatClientException

from channels.wechat.tokens import OfficialAccountClient, WorkWechatClient

log = logging.getLogger(__name__)

# WeChat's error for a customer-service message outside the 48 hours after the resident's
# last message (or to someone who unfollowed).
OUT_OF_WINDOW = 45015
# A voice message is at most 60 s of AMR (about 100 KB); anything far larger is not one.
MAX_MEDIA_BYTES = 2 * 1024 * 1024


class WechatApiError(Exception):
    """WeChat or WeCom refused a call or could not be reached."""

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


async def _call(function: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await asyncio.to_thread(function, *args, **kwargs)
    except WeChatClientException as error:
        raise WechatApiError(f"{error.errcode}: {error.errmsg}", error.errcode) from error
    except OSError as error:  # requests' connection errors are OSErrors
        raise WechatApiError(f"unreachable: {error!r}") from error


class OfficialAccount:
    """The 公众号's outgoing calls: customer-service messages, media, templates, the menu."""

    def __init__(self, client: OfficialAccountClient) -> None:
        self._client = client

    async def send_text(self, openid: str, text: str) -> None:
        await _call(self._client.message.send_text, openid, text)

    async def send_voice(self, openid: str, mp3: bytes) -> None:
        uploaded = await _call(
            self._client.media.upload, "voice", ("reply.mp3", io.BytesIO(mp3), "audio/mpeg")
        )
        await _call(self._client.message.send_voice, openid, uploaded["media_id"])

    async def download_media(self, media_id: str) -> bytes:
        response = await _call(self._client.media.download, media_id)
        if isinstance(response, dict):  # an error answer is JSON
            raise WechatApiError(f"media {media_id}: {response}")
        if len(response.content) > MAX_MEDIA_BYTES:
            raise WechatApiError(f"media {media_id}: {len(response.content)} bytes, over the cap")
        return bytes(response.content)

    async def send_template(self, openid: str, template_id: str, data: dict[str, Any]) -> None:
        await _call(self._client.message.send_template, openid, template_id, data)

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await _call(self._client.menu.create, menu)


class WorkWechat:
    """Alerts to social workers: a WeCom application message and/or a group robot."""

    def __init__(
        self,
        *,
        client: WorkWechatClient | None,
        agent_id: int | None,
        to_users: str,
        webhook_url: str | None,
        http: httpx.AsyncClient,
    ) -> None:
        self._client = client
        self._agent_id = agent_id
        self._to_users = to_users
        self._webhook_url = webhook_url
        self._http = http

    @property
    def paths(self) -> list[str]:
        """The configured ways to reach the workers: "app" (an application message), "robot"."""
        return [
            *(["app"] if self._client is not None and self._agent_id is not None else []),
            *(["robot"] if self._webhook_url else []),
        ]

    async def send(self, path: str, text: str) -> None:
        if path == "app" and self._client is not None:
            await _call(self._client.message.send_text, self._agent_id, self._to_users, text)
            return
        if path == "robot" and self._webhook_url:
            try:
                response = await self._http.post(
                    self._webhook_url,
                    json={"msgtype": "text", "text": {"content": text}},
                    timeout=10,
                )
                answer = response.json()
            except (httpx.HTTPError, ValueError) as error:
                raise WechatApiError(f"group robot unreachable: {error!r}") from error
            if response.status_code >= 400 or answer.get("errcode"):
                raise WechatApiError(f"group robot refused: {response.status_code} {answer}")
            return
        raise ValueError(f"no WeCom path {path!r} is configured")
