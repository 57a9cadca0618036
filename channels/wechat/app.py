"""One ASGI app: the 公众号 callback (when its credentials are set) and the notifier that sends
the backend's notices to WeChat and WeCom (when either is set). `main()` serves it, idles
without credentials, or pushes the custom menu (`python -m channels.wechat menu`)."""

import asyncio
import contextlib
import json
import logging
import signal
import sys
import threading
from collections.abc import AsyncIterator, Sequence

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from pydantic import ValidationError

from channels.wechat import callback
from channels.wechat.conversation import Conversations
from channels.wechat.notifier import Notifier
from channels.wechat.services import WECHAT_TIMEOUT_S, Services
from channels.wechat.settings import WechatSettings
from channels.wechat.state import open_state
from channels.wechat.tokens import WorkWechatClient
from channels.wechat.wechat_api import WechatApiError, WorkWechat
from common.metrics import exposition, may_scrape
from voice.clips import VoiceClips

log = logging.getLogger("channels.wechat")

BAD_SETTINGS = 2
MENU_FAILED = 1


def build_app(settings: WechatSettings, voice: VoiceClips | None = None) -> FastAPI:
    state = open_state(settings.state_url)
    http = httpx.AsyncClient()
    services = Services(settings, state, http, voice or VoiceClips(settings.stt_engine))
    conversations = Conversations(services)
    wecom = WorkWechat(
        client=(
            WorkWechatClient(
                corp_id=settings.wecom_corp_id,
                secret=settings.wecom_secret.get_secret_value(),  # type: ignore[union-attr]
                state=state,
                base_url=settings.wecom_api_base_url,
                timeout_s=WECHAT_TIMEOUT_S,
            )
            if settings.wecom_app
            else None
        ),
        agent_id=settings.wecom_agent_id,
        to_users=settings.wecom_to_users,
        webhook_url=(
            settings.wecom_webhook_url.get_secret_value() if settings.wecom_webhook_url else None
        ),
        http=http,
    )
    notifier = Notifier(
        settings=settings, backend=services.backend, account=services.account, wecom=wecom
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sending = asyncio.create_task(notifier.run())
        try:
            yield
        finally:
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
            await conversations.drain()
            await http.aclose()

    app = FastAPI(
        title="Linli WeChat front",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.conversations = conversations
    app.state.notifier = notifier

    @app.get("/health")
    async def health() -> dict[str, object]:
        return {
            "status": "ok",
            "official_account": settings.official_account,
            "safe_mode": settings.safe_mode,
            "staff_alerts": settings.staff_alerts,
        }

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        if not may_scrape(request.headers.get("authorization")):
            return Response("metrics token required\n", status_code=401, media_type="text/plain")
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    if settings.official_account:
        callback.mount(app, callback.Callback(settings, conversations), settings.callback_path)
    return app


async def push_menu(settings: WechatSettings) -> None:
    menu = json.loads(settings.menu_file.read_text(encoding="utf-8"))
    async with httpx.AsyncClient() as http:
        services = Services(
            settings, open_state(settings.state_url), http, VoiceClips(settings.stt_engine)
        )
        await services.account.create_menu(menu)


def _idle(message: str) -> None:
    """Say why, then stay up (honcho would stop every process with this one) until told to
    stop. The handlers are in place before saying it: a stop right after is a clean exit."""
    stopped = threading.Event()
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: stopped.set())
    print(message, flush=True)
    stopped.wait()


def main(argv: Sequence[str] = ()) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = WechatSettings()
    except ValidationError as error:
        print(f"wechat: invalid LINLI_WECHAT_* settings:\n{error}", file=sys.stderr)
        return BAD_SETTINGS
    if list(argv[:1]) == ["menu"]:
        if not settings.official_account:
            print(
                "wechat: the menu needs LINLI_WECHAT_APP_ID, _APP_SECRET and _TOKEN",
                file=sys.stderr,
            )
            return BAD_SETTINGS
        try:
            asyncio.run(push_menu(settings))
        except (WechatApiError, OSError, ValueError) as error:
            print(f"wechat: WeChat did not take the menu: {error}", file=sys.stderr)
            return MENU_FAILED
        print(f"wechat: menu from {settings.menu_file} pushed")
        return 0
    if argv:
        print("usage: python -m channels.wechat [menu]", file=sys.stderr)
        return BAD_SETTINGS
    if not settings.official_account and not settings.staff_alerts:
        _idle(
            "wechat disabled: set LINLI_WECHAT_APP_ID, LINLI_WECHAT_APP_SECRET and "
            "LINLI_WECHAT_TOKEN (公众号) and/or LINLI_WECHAT_WECOM_* (企业微信) in var/linli.env"
        )
        return 0
    where = f"http://{settings.listen_host}:{settings.listen_port}"
    if settings.official_account:
        mode = "safe mode (AES)" if settings.safe_mode else "plain mode"
        print(f"wechat: 公众号 callback on {where}{settings.callback_path} ({mode})", flush=True)
    if settings.staff_alerts:
        print("wechat: alerts to 企业微信 on", flush=True)
    uvicorn.run(
        build_app(settings),
        host=settings.listen_host,
        port=settings.listen_port,
        log_level="info",
        access_log=False,  # the query holds the resident's OpenID
    )
    return 0
