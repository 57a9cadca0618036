"""Write var/linli.env with fresh secrets, once. Every process of `make run` reads it.

The file holds the embedded default staff account and the action server's API key; the README
tells operators to read them from here.
"""

import secrets
import sys
from pathlib import Path

ENV_FILE = Path(__file__).resolve().parent.parent / "var" / "linli.env"


def main() -> None:
    if ENV_FILE.exists():
        return
    action_key = "lk_" + secrets.token_urlsafe(32)
    lines = [
        "# Generated once by `make run`; delete it to rotate every secret.",
        f"LINLI_API_SECRET_KEY={secrets.token_urlsafe(48)}",
        "LINLI_API_FIRST_STAFF_USERNAME=admin",
        f"LINLI_API_FIRST_STAFF_PASSWORD={secrets.token_urlsafe(12)}",
        f"LINLI_API_ACTION_SERVER_API_KEY={action_key}",
        f"LINLI_ACTIONS_BACKEND_API_KEY={action_key}",
        "LINLI_ACTIONS_BACKEND_URL=http://127.0.0.1:8000",
        "RASA_TELEMETRY_ENABLED=false",
    ]
    ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    ENV_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ENV_FILE.chmod(0o600)
    print(f"==> wrote {ENV_FILE} (staff login and API keys)", file=sys.stderr)


if __name__ == "__main__":
    main()
