"""Re-encrypt every stored ID number and phone with the newest key: `python -m api.rotate_keys`.

Rotation, without losing a single number:

1. make a key: `python -m api.rotate_keys --new-key` prints one;
2. put it in front of the old one in var/linli.env: `LINLI_API_ID_NUMBER_KEY=<new>,<old>`;
3. stop the backend, run this command, start the backend;
4. once it reported success, the old key can be removed from the list.

Each stored number (ID numbers, and the phones of residents, handoffs and calls: api/phones.py)
is decrypted with whichever listed key made it, encrypted with the newest, and its lookup
digest recomputed with the newest key, all in one transaction: a failure changes nothing.
Numbers are never printed.
"""

import argparse
import logging
import sys

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import get_engine, session_factory
from api.errors import NotConfiguredError
from api.id_numbers import IdNumberVault, new_id_number_key, vault_for
from api.phones import keep_phones_with
from api.residents.models import Resident
from api.settings import get_settings

log = logging.getLogger("linli.api.rotate_keys")

# (table, encrypted column, digest column or None): where api/phones.py keeps phones.
PHONE_COLUMNS = (
    ("residents", "phone_encrypted", "phone_digest"),
    ("handoffs", "phone_encrypted", "phone_digest"),
    ("calls", "caller_number_encrypted", None),
)


def rotate_id_numbers(session: Session, *, vault: IdNumberVault) -> int:
    """Re-encrypt and re-digest every stored ID number; the caller commits. Returns how many."""
    residents = session.scalars(select(Resident).where(Resident.id_number_encrypted.is_not(None)))
    rotated = 0
    for resident in residents:
        encrypted = resident.id_number_encrypted
        if not encrypted:
            continue
        resident.id_number_digest = vault.digest(vault.decrypt(encrypted))
        resident.id_number_encrypted = vault.rotate(encrypted)
        rotated += 1
    return rotated


def rotate_phones(session: Session, *, vault: IdNumberVault) -> int:
    """Re-encrypt and re-digest every stored phone; the caller commits. Returns how many.
    Works on the raw columns: the ORM's phone types would hand back the number in clear."""
    rotated = 0
    for table_name, encrypted, digest in PHONE_COLUMNS:
        columns = [sa.column(name, sa.Text) for name in (encrypted, digest) if name]
        table = sa.table(table_name, sa.column("id", sa.Integer), *columns)
        rows = session.execute(
            select(table.c.id, table.c[encrypted]).where(table.c[encrypted].is_not(None))
        ).all()
        for row_id, token in rows:
            values = {encrypted: vault.rotate(token)}
            if digest:
                values[digest] = vault.digest(vault.decrypt(token))
            session.execute(table.update().where(table.c.id == row_id).values(**values))
            rotated += 1
    return rotated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m api.rotate_keys",
        description="Re-encrypt stored ID numbers and phones with the newest "
        "LINLI_API_ID_NUMBER_KEY.",
    )
    parser.add_argument("--new-key", action="store_true", help="print a fresh key and exit")
    if parser.parse_args(argv).new_key:
        print(new_id_number_key())
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    if settings.id_number_key is None or not settings.id_number_key.get_secret_value():
        log.error("LINLI_API_ID_NUMBER_KEY is not set: nothing to rotate with")
        return 2
    try:
        vault = vault_for(settings.id_number_key.get_secret_value())
        engine = get_engine(settings.database_url)
        keep_phones_with(engine, vault)  # loading a resident decrypts their phone
        with session_factory(engine)() as session:
            rotated = rotate_id_numbers(session, vault=vault)
            rotated_phones = rotate_phones(session, vault=vault)
            session.commit()
    except NotConfiguredError as error:
        log.error("rotation failed, nothing changed: %s", error)
        return 1
    log.info(
        "re-encrypted %d stored ID numbers and %d phones with the newest key",
        rotated,
        rotated_phones,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
