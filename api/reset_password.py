"""Reset a staff account's password from the operator's shell:

    .venvs/app/bin/python -m api.reset_password <username>

prints a fresh random password that passes the policy, revokes every token of the account (its
console and API sessions end) and re-activates it. Reads the database from the backend's
settings (var/linli.env or LINLI_API_DATABASE_URL). To set the embedded admin's password to the
one in var/linli.env, run it for that username and log in with what it prints instead: the env
file's password only seeds a database that has no such account yet."""

import argparse
import sys

from api.auth.service import generate_password, set_staff_password
from api.db import get_engine, session_factory
from api.errors import DomainError
from api.settings import get_settings


def reset_password(*, database_url: str, username: str) -> str:
    """The account's new password; raises NotFoundError for an unknown username."""
    password = generate_password()
    with session_factory(get_engine(database_url))() as session:
        user = set_staff_password(session, username=username, password=password)
        user.is_active = True
        session.commit()
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m api.reset_password",
        description="Give a staff account a fresh random password and end all its sessions.",
    )
    parser.add_argument("username")
    args = parser.parse_args(argv)
    try:
        password = reset_password(database_url=get_settings().database_url, username=args.username)
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    print(password)
    print(
        f"The password of '{args.username}' was reset and all its sessions were ended; "
        "hand the new password over in person.",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
