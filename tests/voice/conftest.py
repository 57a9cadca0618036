"""Voice tests: real Mandarin audio from ../shared/audio through the real engines. Fixtures
only; what test modules import is in `tests.voice.support`."""

from collections.abc import Iterator

import httpx
import pytest

from tests.voice.support import HOTLINE
from testsupport.servers import Stack, staff_client


@pytest.fixture(scope="session", autouse=True)
def _shared_audio() -> None:
    if not HOTLINE.is_dir():
        pytest.fail(f"{HOTLINE} is missing: the tests need ../shared/audio beside the repo")


@pytest.fixture(scope="session")
def staff(stack: Stack) -> Iterator[httpx.Client]:
    with staff_client(stack.backend) as client:
        yield client
