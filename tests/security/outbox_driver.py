"""The action server's backend client, driven from a test in another process (the Rasa
virtualenv, where `actions` runs): `python -m tests.security.outbox_driver write|flush`.

Settings come from the environment (LINLI_ACTIONS_*), like the action server's. Each command
prints one JSON line with what happened; `flush` first prints "ready" and waits for a line
on stdin, so a test can start two flushers at the same moment.
"""

import asyncio
import json
import sys
from typing import Any

from actions.backend import BackendClient, BackendRejectedError, BackendUnavailableError


async def write(method: str, payload: dict[str, Any]) -> dict[str, Any]:
    async with BackendClient() as backend:
        try:
            await getattr(backend, method)(payload)
        except BackendUnavailableError as exc:
            return {"result": "queued" if exc.queued else "not_queued"}
        except BackendRejectedError as exc:
            return {"result": "rejected", "status_code": exc.status_code}
    return {"result": "delivered"}


async def flush() -> dict[str, Any]:
    print("ready", flush=True)
    sys.stdin.readline()
    async with BackendClient() as backend:
        return {"done": await backend.flush_outbox()}


def main() -> None:
    command = sys.argv[1]
    if command == "write":
        outcome = asyncio.run(write(sys.argv[2], json.loads(sys.argv[3])))
    elif command == "flush":
        outcome = asyncio.run(flush())
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main()
