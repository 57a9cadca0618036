"""One real stack (backend, action server, Rasa) and one headless Chromium for all the console
tests; the sample data goes in once through the API."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.console.support import Sample, chromium, log_in, seed
from testsupport.servers import Stack, staff_client


@pytest.fixture(scope="session")
def sample(stack: Stack) -> Sample:
    with staff_client(stack.backend) as staff:
        return seed(staff)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as running_browser:
        yield running_browser


@pytest.fixture
def page(browser: Browser, stack: Stack, sample: Sample) -> Iterator[Page]:
    """A logged-in worker's tab, 1280 px wide. Whatever the page did must not have been
    blocked by the Content-Security-Policy (Chromium reports each violation on the console)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    violations: list[str] = []
    tab.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    tab.set_default_timeout(15_000)
    log_in(tab, stack.backend)
    yield tab
    context.close()
    assert not violations, violations
