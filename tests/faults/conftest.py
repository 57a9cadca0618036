"""Fault tests run against the scaled profile itself (scripts/scaled.py under supervisord):
PostgreSQL, Redis, HAProxy, two Rasa servers, two action servers and the backend, on free
loopback ports, stopped and started part by part as an operator or a crash would."""

from collections.abc import Iterator

import pytest

from testsupport.scaled import ScaledStack, scaled_available, scaled_stack


@pytest.fixture(scope="package")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledStack]:
    if not scaled_available():
        pytest.skip("PostgreSQL, Redis or HAProxy is not installed (scripts/setup-system.sh)")
    with scaled_stack(tmp_path_factory.mktemp("scaled")) as stack:
        yield stack
