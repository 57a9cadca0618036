"""Bring the database to the latest schema and seed the embedded defaults.

Run before the server starts (`python -m api.prestart`), like the full-stack FastAPI template.
"""

import logging

from api.auth.models import Role
from api.auth.service import ensure_api_key, ensure_staff_user
from api.db import get_engine, session_factory, upgrade
from api.settings import ApiSettings, get_settings

log = logging.getLogger("linli.api.prestart")

ACTION_SERVER_KEY_NAME = "action-server"


def seed_defaults(settings: ApiSettings) -> None:
    with session_factory(get_engine(settings.database_url))() as session:
        if settings.first_staff_username and settings.first_staff_password:
            ensure_staff_user(
                session,
                settings.first_staff_username,
                settings.first_staff_password.get_secret_value(),
                Role.admin,
            )
        if settings.action_server_api_key:
            ensure_api_key(
                session,
                ACTION_SERVER_KEY_NAME,
                settings.action_server_api_key.get_secret_value(),
            )
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
