"""Fuzz the backend's OpenAPI schema with schemathesis: no request may get a server error.

Starts a throwaway backend (SQLite under /tmp, fresh secrets), then runs `st run` twice, as the
admin (every endpoint) and as a channel API key (the resident-scoped paths), within a time
budget: LINLI_FUZZ_SECONDS (default 100) split 2:1. Exits non-zero when schemathesis finds a
failure. Run it with `make fuzz-api`.
"""

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from api.id_numbers import new_id_number_key  # noqa: E402
from testsupport.servers import APP_PYTHON, free_port, running  # noqa: E402

SCHEMATHESIS = PROJECT_ROOT / ".venvs" / "app" / "bin" / "st"


# Logging out and changing the password revoke the fuzzer's own token: fuzzed last, on their own.
SESSION_ENDING = "^/api/v1/(logout|me/password)$"


def schemathesis(url: str, header: str, seconds: int, *selection: str) -> int:
    command = [
        str(SCHEMATHESIS), "run", f"{url}/openapi.json",
        "--header", header,
        "--checks", "not_a_server_error",
        "--phases", "examples,coverage,fuzzing",
        "--max-time", str(seconds),
        # One worker: CPython 3.11.7's ast.parse is not thread-safe (hypothesis parses lambdas
        # while describing strategies; two threads gave "AST constructor recursion depth
        # mismatch" and a failed run with no server error).
        "--workers", "1",
        "--request-timeout", "10",
        "--suppress-health-check", "all",
        "--warnings", "off",
        *selection,
    ]  # fmt: skip
    print(f"==> schemathesis as {header.split(':')[0]} for up to {seconds} s", flush=True)
    return subprocess.run(command, cwd=PROJECT_ROOT, check=False).returncode


def main() -> int:
    budget = int(os.environ.get("LINLI_FUZZ_SECONDS", "100"))
    with tempfile.TemporaryDirectory(prefix="linli-fuzz-") as tmp:
        tmp_dir = Path(tmp)
        password = secrets.token_urlsafe(12)
        api_key = "lk_fuzz_" + secrets.token_urlsafe(16)
        env = {
            **os.environ,
            "LINLI_API_DATABASE_URL": f"sqlite:///{tmp_dir / 'linli.db'}",
            "LINLI_API_SECRET_KEY": secrets.token_urlsafe(32),
            "LINLI_API_FIRST_STAFF_USERNAME": "admin",
            "LINLI_API_FIRST_STAFF_PASSWORD": password,
            "LINLI_API_ACTION_SERVER_API_KEY": api_key,
            "LINLI_API_ID_NUMBER_KEY": new_id_number_key(),
        }
        subprocess.run([str(APP_PYTHON), "-m", "api.prestart"], cwd=PROJECT_ROOT, env=env,
                       check=True)  # fmt: skip
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            str(APP_PYTHON), "-m", "uvicorn", "api.main:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        ]  # fmt: skip
        with running("backend", command, env, f"{url}/health", tmp_dir):
            token = httpx.post(
                f"{url}/api/v1/login/access-token",
                data={"username": "admin", "password": password},
            ).json()["access_token"]
            bearer = f"Authorization: Bearer {token}"
            keep_session = ("--exclude-path-regex", SESSION_ENDING)
            failed = schemathesis(url, bearer, budget * 2 // 3, *keep_session)
            failed |= schemathesis(url, f"X-API-Key: {api_key}", budget // 3, *keep_session)
            failed |= schemathesis(url, bearer, 10, "--include-path-regex", SESSION_ENDING)
            if failed:
                print((tmp_dir / "backend.log").read_text()[-6000:], file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
