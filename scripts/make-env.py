"""Write var/linli.env with fresh secrets. Every process of `make run` reads it.

The file holds the embedded default staff account, one backend API key per front (action
server, voice bridge, Telegram), each front's key to Rasa's REST channel, the Rasa HTTP API's
token, the action server's token and the key that encrypts ID numbers; the README tells
operators to read them from here. Run on every `make run`: an existing file keeps its values
and only gains settings added since it was made, except that a front still sharing the action
server's backend key (files from before issue 14) gets a key of its own.
"""

import base64
import secrets
import sys
from pathlib import Path

ENV_FILE = Path(__file__).resolve().parent.parent / "var" / "linli.env"

# Settings that once held the action server's backend key and must now hold their own front's:
# setting -> the backend's name for the same key.
OWN_FRONT_KEYS = {
    "LINLI_VOICE_BACKEND_API_KEY": "LINLI_API_VOICE_API_KEY",
    "LINLI_TELEGRAM_BACKEND_API_KEY": "LINLI_API_TELEGRAM_API_KEY",
}


def fresh_settings() -> dict[str, str]:
    action_key = "lk_" + secrets.token_urlsafe(32)
    voice_key = "lk_voice_" + secrets.token_urlsafe(32)
    telegram_key = "lk_tg_" + secrets.token_urlsafe(32)
    wechat_key = "lk_wx_" + secrets.token_urlsafe(32)
    return {
        "LINLI_API_SECRET_KEY": secrets.token_urlsafe(48),
        "LINLI_API_FIRST_STAFF_USERNAME": "admin",
        "LINLI_API_FIRST_STAFF_PASSWORD": secrets.token_urlsafe(12),
        "LINLI_API_ACTION_SERVER_API_KEY": action_key,
        # A Fernet key (url-safe base64 of 32 bytes). Losing it makes stored ID numbers unreadable.
        "LINLI_API_ID_NUMBER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "LINLI_ACTIONS_BACKEND_API_KEY": action_key,
        "LINLI_ACTIONS_BACKEND_URL": "http://127.0.0.1:8000",
        # Each front its own backend key (issue 14): the voice servers record calls and file
        # handoffs with theirs, Telegram files livestream follow-ups and links chats.
        "LINLI_API_VOICE_API_KEY": voice_key,
        "LINLI_VOICE_BACKEND_API_KEY": voice_key,
        "LINLI_API_TELEGRAM_API_KEY": telegram_key,
        "LINLI_TELEGRAM_BACKEND_API_KEY": telegram_key,
        # WeChat: phone links, and the staff alerts and resident notices it sends.
        "LINLI_API_WECHAT_API_KEY": wechat_key,
        "LINLI_WECHAT_BACKEND_API_KEY": wechat_key,
        # Each front's key to Rasa's REST channel (bot/rest_channel.py, common/fronts.py):
        # Telegram, the voice bridge, the backend's host console, and plain REST (curl, tests).
        "LINLI_TELEGRAM_RASA_KEY": "rk_tg_" + secrets.token_urlsafe(32),
        "LINLI_WECHAT_RASA_KEY": "rk_wx_" + secrets.token_urlsafe(32),
        "LINLI_VOICE_RASA_KEY": "rk_voice_" + secrets.token_urlsafe(32),
        "LINLI_API_RASA_KEY": "rk_host_" + secrets.token_urlsafe(32),
        "LINLI_RASA_REST_KEY": "rk_rest_" + secrets.token_urlsafe(32),
        # Rasa's HTTP API (/model, /conversations, /status …) answers only with this token.
        "LINLI_RASA_AUTH_TOKEN": "rt_" + secrets.token_urlsafe(32),
        # Only the Rasa server may call the action server (bot/endpoints.yml sends it).
        "LINLI_ACTIONS_SERVER_TOKEN": secrets.token_urlsafe(32),
        # Fernet key of the action server's outbox payloads (comma-separated, newest first).
        "LINLI_ACTIONS_OUTBOX_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        # The voice bridge's own outbox (handoffs it files itself), its own key.
        "LINLI_VOICE_OUTBOX_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        # The telephony peer's secret: WebSocket media gateways and the Asterisk dialplan send it.
        "LINLI_VOICE_MEDIA_TOKEN": secrets.token_urlsafe(32),
        # Prometheus's secret: every service's /metrics answers only with it (common/metrics.py).
        "LINLI_METRICS_TOKEN": secrets.token_urlsafe(32),
        "RASA_TELEMETRY_ENABLED": "false",
    }


def main() -> None:
    existing = ENV_FILE.read_text(encoding="utf-8") if ENV_FILE.exists() else ""
    values = dict(line.split("=", 1) for line in existing.splitlines() if "=" in line)
    fresh = fresh_settings()
    missing = {name: value for name, value in fresh.items() if name not in values}
    # A front that still holds the action server's key (or lost its own) gets the fresh one.
    action_key = values.get("LINLI_API_ACTION_SERVER_API_KEY")
    replaced = {
        name: values.get(backend_name) or fresh[name]
        for name, backend_name in OWN_FRONT_KEYS.items()
        if name in values and values[name] in (action_key, "")
    }
    for name, backend_name in OWN_FRONT_KEYS.items():
        if name in replaced and backend_name in missing:
            missing[backend_name] = replaced[name]
    if not missing and not replaced:
        return
    lines = [
        f"{line.split('=', 1)[0]}={replaced[line.split('=', 1)[0]]}"
        if line.split("=", 1)[0] in replaced
        else line
        for line in existing.splitlines()
    ] or ["# Generated by `make run`; delete it to rotate every secret."]
    lines += [f"{name}={value}" for name, value in missing.items()]
    ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a new file (owner-only from the start), then moved over the old one.
    new_file = ENV_FILE.with_suffix(".env.new")
    new_file.touch(mode=0o600)
    new_file.chmod(0o600)
    new_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    new_file.replace(ENV_FILE)
    print(f"==> wrote {', '.join([*replaced, *missing])} to {ENV_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
