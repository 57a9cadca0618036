"""The access token: fetched once for every replica (two clients on one state file stand for two
replicas), refreshed once when WeChat says it expired, and a refused retry is not retried again."""

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from channels.wechat.state import SqliteState
from channels.wechat.tokens import OfficialAccountClient
from channels.wechat.wechat_api import OfficialAccount, WechatApiError
from testsupport.wechat_standin import APP_ID, APP_SECRET, WechatStandIn, wechat_standin


@pytest.fixture
def api() -> Iterator[WechatStandIn]:
    with wechat_standin() as running:
        yield running


def client(api: WechatStandIn, state_file: Path, secret: str = APP_SECRET) -> OfficialAccountClient:
    return OfficialAccountClient(
        app_id=APP_ID,
        secret=secret,
        state=SqliteState(state_file),
        base_url=api.mp_base_url,
        timeout_s=5,
    )


def test_replicas_share_one_token(api: WechatStandIn, tmp_path: Path) -> None:
    replicas = [client(api, tmp_path / "state.db") for _ in range(2)]
    barrier = threading.Barrier(8)

    def send(index: int) -> None:
        barrier.wait()
        replicas[index % 2].message.send_text("o-reader", f"第{index}条")

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert api.token_fetches["mp"] == 1
    assert len(api.calls_since(0, "message/custom/send")) == 8


def test_an_expired_token_is_refreshed_once_not_in_a_storm(
    api: WechatStandIn, tmp_path: Path
) -> None:
    replicas = [client(api, tmp_path / "state.db") for _ in range(2)]
    replicas[0].message.send_text("o-reader", "先来一条")
    api.expire_tokens()  # e.g. someone fetched a token elsewhere with the same secret
    barrier = threading.Barrier(6)

    def send(index: int) -> None:
        barrier.wait()
        replicas[index % 2].message.send_text("o-reader", f"第{index}条")

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert api.token_fetches["mp"] == 2  # the first, and one refresh
    delivered = [
        call
        for call in api.calls_since(0, "message/custom/send")
        if call.query["access_token"] == "mp-token-2"
    ]
    assert len(delivered) == 6


def test_a_token_refused_after_its_refresh_is_an_error_not_a_loop(
    api: WechatStandIn, tmp_path: Path
) -> None:
    account = OfficialAccount(client(api, tmp_path / "state.db"))
    asyncio.run(account.send_text("o-reader", "好"))
    # Every token is refused from now on (a revoked secret): one refresh, one retry, an error.
    api.expire_tokens()
    original = api._new_token

    def refused_token(kind: str) -> dict[str, object]:
        answer = original(kind)
        api.expire_tokens()
        return answer

    api._new_token = refused_token  # type: ignore[method-assign]
    with pytest.raises(WechatApiError) as raised:
        asyncio.run(account.send_text("o-reader", "好"))
    assert raised.value.errcode == 40001
    assert api.token_fetches["mp"] == 2


def test_media_goes_both_ways(api: WechatStandIn, tmp_path: Path) -> None:
    account = OfficialAccount(client(api, tmp_path / "state.db"))
    media_id = api.add_media(b"#!AMR\n0123")
    assert asyncio.run(account.download_media(media_id)) == b"#!AMR\n0123"
    asyncio.run(account.send_voice("o-reader", b"ID3-not-really-mp3"))
    [upload] = api.calls_since(0, "media/upload")
    assert upload.files["media"] == b"ID3-not-really-mp3"
    [sent] = api.calls_since(0, "message/custom/send")
    assert sent.body["msgtype"] == "voice" and sent.body["voice"]["media_id"].startswith("media-")
    with pytest.raises(WechatApiError):
        asyncio.run(account.download_media("no-such-media"))
