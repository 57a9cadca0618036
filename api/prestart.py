"""Bring the database to the latest schema and seed the embedded defaults.

Run before the server starts (`python -m api.prestart`), like the full-stack FastAPI template.
"""

import logging

from api.auth.fronts import KeyFront
from api.auth.models import Role
from api.auth.service import ensure_api_key, ensure_staff_user
from api.db import get_engine, session_factory, upgrade
from api.settings import ApiSettings, get_settings

log = logging.getLogger("linli.api.prestart")

ACTION_SERVER_KEY_NAME = "action-server"
VOICE_KEY_NAME = "voice"
TELEGRAM_KEY_NAME = "telegram"
WECHAT_KEY_NAME = "wechat"


def seed_defaults(settings: ApiSettings) -> None:
    with session_factory(get_engine(settings.database_url))() as session:
        if settings.first_staff_username and settings.first_staff_password:
            ensure_staff_user(
                session,
                settings.first_staff_username,
                settings.first_staff_password.get_secret_value(),
                Role.admin,
            )
        # One key per front, each with its own front (what it may do: api/auth/fronts.py).
        front_keys = (
            (ACTION_SERVER_KEY_NAME, KeyFront.actions, settings.action_server_api_key),
            (VOICE_KEY_NAME, KeyFront.voice, settings.voice_api_key),
            (TELEGRAM_KEY_NAME, KeyFront.telegram, settings.telegram_api_key),
            (WECHAT_KEY_NAME, KeyFront.wechat, settings.wechat_api_key),
        )
        seen: set[str] = set()
        for name, front, key in front_keys:
            if key is None or not key.get_secret_value():
                continue
            if key.get_secret_value() in seen:
                raise SystemExit(
                    f"the {front} API key is the same as another front's: give every front "
                    "its own key (delete the line from var/linli.env and run `make run`)"
                )
            seen.add(key.get_secret_value())
            ensure_api_key(session, name=name, key=key.get_secret_value(), front=front)
        session.commit()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    log.info("migrating %s", settings.database_url)
    upgrade(settings.database_url)
    seed_defaults(settings)
    log.info("database ready")


if __name__ == "__main__":
    main()
