"""`python -m channels.wechat` as `make run` starts it: idle without credentials (saying which are
missing), serving the callback with them (saying where), and `menu` pushing the menu file."""

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from testsupport.servers import APP_PYTHON, PROJECT_ROOT, free_port
from testsupport.wechat_standin import (
    APP_ID,
    APP_SECRET,
    CALLBACK_TOKEN,
    WechatServer,
    WechatStandIn,
    wechat_standin,
)


@pytest.fixture
def api() -> Iterator[WechatStandIn]:
    with wechat_standin() as running:
        yield running


def front_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    # Only what the test gives (var/linli.env, as `make run` writes it, holds no credentials).
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_WECHAT_")}
    env["LINLI_WECHAT_STATE_URL"] = f"sqlite:///{tmp_path / 'state.db'}"
    env |= {f"LINLI_WECHAT_{name.upper()}": value for name, value in settings.items()}
    return env


@contextmanager
def front(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [str(APP_PYTHON), "-m", "channels.wechat", *args],
        cwd=PROJECT_ROOT,
        env={**env, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


def test_without_credentials_it_idles_and_says_what_is_missing(tmp_path: Path) -> None:
    with front(front_env(tmp_path)) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "wechat disabled" in first and "LINLI_WECHAT_APP_ID" in first
        assert process.poll() is None  # still up: honcho keeps the other processes running
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0


def test_with_credentials_it_serves_the_callback_and_says_where(
    tmp_path: Path, api: WechatStandIn
) -> None:
    port = free_port()
    env = front_env(
        tmp_path,
        app_id=APP_ID,
        app_secret=APP_SECRET,
        token=CALLBACK_TOKEN,
        api_base_url=api.mp_base_url,
        listen_port=str(port),
        # Nothing listens there: Rasa is down.
        rasa_url=f"http://127.0.0.1:{free_port()}",
    )
    env["LINLI_METRICS_TOKEN"] = "scrape-secret"
    with front(env) as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"callback on http://127.0.0.1:{port}/wechat (plain mode)" in line, line
        # Listening once uvicorn says so.
        for log_line in process.stdout:
            if "Uvicorn running" in log_line or "Application startup complete" in log_line:
                break
        server = WechatServer(f"http://127.0.0.1:{port}/wechat", safe_mode=False)
        try:
            assert server.verify("ok-1").text == "ok-1"
            # Rasa down: the resident is still answered, truthfully.
            posted = server.post(server.text_xml("o-op-1", "低保怎么申请", server.new_msg_id()))
            assert "没能处理" in posted.reply and "再发一次" in posted.reply, posted.raw
        finally:
            server.close()
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{url}/health").json()["official_account"] is True
        assert httpx.get(f"{url}/metrics").status_code == 401
        scraped = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer scrape-secret"})
        assert 'linli_wechat_callbacks_total{answered_by="passive"} 1.0' in scraped.text


def test_the_menu_is_pushed_from_its_file(tmp_path: Path, api: WechatStandIn) -> None:
    env = front_env(
        tmp_path, app_id=APP_ID, app_secret=APP_SECRET, token=CALLBACK_TOKEN,
        api_base_url=api.mp_base_url,
    )  # fmt: skip
    with front(env, "menu") as process:
        assert process.wait(60) == 0, process.stdout.read() if process.stdout else ""
    [created] = api.calls_since(0, "menu/create")
    names = [button["name"] for button in created.body["button"]]
    assert names == ["查政策", "预约服务", "办理进度", "转人工"]
