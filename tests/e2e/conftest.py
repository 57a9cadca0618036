"""End-to-end: the real backend, action server and Rasa server, talking HTTP on loopback."""

from collections.abc import Iterator

import httpx
import pytest

from testsupport.conversation import Conversation
from testsupport.servers import Stack, staff_client


@pytest.fixture
def conversation(stack: Stack) -> Conversation:
    return Conversation(stack.rasa_url, stack.front_headers())


@pytest.fixture
def staff(stack: Stack) -> Iterator[httpx.Client]:
    with staff_client(stack.backend) as client:
        yield client
