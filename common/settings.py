"""Where every process reads its settings, and the defaults they share.

One env file, `var/linli.env` (written by `make run`; the environment wins over it), read by
one settings class per process, each with its own prefix: `LINLI_API_` (backend and consoles),
`LINLI_ACTIONS_` (action server), `LINLI_VOICE_` (voice bridge and the speech engines of the
chat channels), `LINLI_TELEGRAM_` (Telegram front). Plain constants here, because the action
server reads them with pydantic 1 (Rasa pins it) and every other process with pydantic 2.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = PROJECT_ROOT / "var" / "linli.env"

RASA_URL = "http://127.0.0.1:5005"
BACKEND_URL = "http://127.0.0.1:8000"
# A Rasa turn includes its custom actions and their backend calls; a resident who waits longer
# than this gets an apology instead of silence.
RASA_TIMEOUT_S = 15.0
# One backend call; a write that takes longer waits in the outbox instead.
BACKEND_TIMEOUT_S = 5.0
# Dates residents say ("明天中午") and workers see are in this time zone.
TIMEZONE = "Asia/Shanghai"
