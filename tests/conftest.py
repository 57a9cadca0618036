"""Fixtures every test package may use. Each `make test-*` target is its own pytest process,
so a session fixture here starts once per target, and only when a test asks for it."""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testsupport.servers import MODEL, Backend, Stack, rasa_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The real backend, action server and Rasa server (models/linli.tar.gz) on free ports."""
    # While developing: reuse a stack that is already up (a JSON file of Stack's fields).
    if reuse := os.environ.get("LINLI_TEST_STACK_JSON"):
        fields = json.loads(Path(reuse).read_text())
        yield Stack(
            fields["rasa_url"],
            Backend(**fields["backend"]),
            rasa_token=fields.get("rasa_token", ""),
            front_keys=fields.get("front_keys", {}),
            actions_url=fields.get("actions_url", ""),
            actions_token=fields.get("actions_token", ""),
        )
        return
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it)")
    with rasa_stack(tmp_path_factory.mktemp("stack")) as running_stack:
        yield running_stack
