"""WeChat front tests: the front runs for real (uvicorn, in a thread) against stand-ins of the
WeChat and WeCom APIs and the real Rasa stack; callbacks are posted signed and encrypted as
WeChat posts them. Helpers the tests import are in `support.py`."""

from collections.abc import Iterator

import httpx
import pytest

from testsupport.servers import Stack, staff_client
from testsupport.wechat_channel import RunningChannel, channel_settings, wecom_settings
from testsupport.wechat_standin import WechatServer, WechatStandIn, wechat_standin

TEMPLATE_WORKER_ASSIGNED = "tmpl-worker-assigned"


@pytest.fixture(scope="session")
def standin() -> Iterator[WechatStandIn]:
    with wechat_standin() as running:
        yield running


@pytest.fixture(scope="session")
def channel(
    standin: WechatStandIn, stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningChannel]:
    """Safe mode (AES), WeChat's 5-second window, WeCom alerts by app message and group robot."""
    settings = channel_settings(
        standin,
        stack,
        tmp_path_factory.mktemp("wechat"),
        template_worker_assigned=TEMPLATE_WORKER_ASSIGNED,
        **wecom_settings(standin),
    )
    running = RunningChannel(settings)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def hurried_channel(
    standin: WechatStandIn, stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningChannel]:
    """Plain mode, with a window too short for any answer: every reply misses it."""
    settings = channel_settings(
        standin,
        stack,
        tmp_path_factory.mktemp("wechat-hurried"),
        encoding_aes_key=None,
        passive_window_s=0.01,
        # Configured like the other replica of the same account: its notifier claims resident
        # notices too, and sends them the same way.
        template_worker_assigned=TEMPLATE_WORKER_ASSIGNED,
    )
    running = RunningChannel(settings)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def wechat(channel: RunningChannel) -> Iterator[WechatServer]:
    server = WechatServer(channel.callback_url, safe_mode=True)
    yield server
    server.close()


@pytest.fixture
def plain_wechat(hurried_channel: RunningChannel) -> Iterator[WechatServer]:
    server = WechatServer(hurried_channel.callback_url, safe_mode=False)
    yield server
    server.close()


@pytest.fixture(scope="session")
def staff(stack: Stack) -> Iterator[httpx.Client]:
    with staff_client(stack.backend) as client:
        yield client
