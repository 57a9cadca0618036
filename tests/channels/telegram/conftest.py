"""Telegram front tests: the bot runs for real (PTB polling, in a thread) against a stand-in
Bot API server and the real Rasa stack. Helpers the tests import are in `support.py`."""

from collections.abc import Iterator

import httpx
import pytest

from tests.channels.telegram.standin import TelegramStandIn, telegram_standin
from tests.channels.telegram.support import TOKEN, RunningBot, bot_settings, voice_clips
from testsupport.servers import Stack, staff_client


@pytest.fixture(scope="session")
def standin() -> Iterator[TelegramStandIn]:
    with telegram_standin(TOKEN) as running:
        yield running


@pytest.fixture
def second_standin() -> Iterator[TelegramStandIn]:
    """A Bot API of its own: two bots polling one stand-in would take each other's updates."""
    with telegram_standin(TOKEN) as running:
        yield running


@pytest.fixture(scope="session")
def bot(
    standin: TelegramStandIn, stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningBot]:
    running = RunningBot(
        bot_settings(standin, stack, tmp_path_factory.mktemp("telegram")), voice_clips()
    )
    running.start(standin)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def staff(stack: Stack) -> Iterator[httpx.Client]:
    with staff_client(stack.backend) as client:
        yield client
