"""The fronts residents reach Linli through, and what each may claim (issue 14, finding 4).

Every front holds its own keys: one for Rasa's REST channel (`X-Linli-Front-Key`, checked by
`bot/rest_channel.py`) and, where it writes to the backend, one backend API key (`X-API-Key`).
Who a sender is, and which channel a record came in by, follows from the key, never from the
request: Rasa puts the front's prefix in front of the sender id (`tg:123`, `call:…`) and sets
`metadata.channel` itself, so one front cannot speak in another front's conversations.
"""

from enum import StrEnum

# The header a front sends its REST channel key in.
FRONT_KEY_HEADER = "X-Linli-Front-Key"
# The header the REST channel answers a turn's intent in (so fronts never need the HTTP API).
INTENT_HEADER = "X-Linli-Intent"


class Front(StrEnum):
    telegram = "telegram"
    wechat = "wechat"
    voice = "voice"
    # The livestream host console of the backend.
    host = "host"
    # Anything else on the REST channel: the README's curl, the tests, a future web chat.
    rest = "rest"


# Each front's namespace of Rasa conversations (sender ids).
SENDER_PREFIXES: dict[Front, str] = {
    Front.telegram: "tg:",
    Front.wechat: "wx:",
    Front.voice: "call:",
    Front.host: "host:",
    Front.rest: "rest:",
}

# The backend channel of what a front's residents file (`channel` of cases, bookings …).
RECORD_CHANNELS: dict[Front, str] = {
    Front.telegram: "telegram",
    Front.wechat: "wechat",
    Front.voice: "voice",
    Front.host: "livestream",
    Front.rest: "chat",
}

# The environment variable (in var/linli.env) holding each front's REST channel key: the
# front's own settings read it under its own prefix, the Rasa server reads them all.
REST_KEY_VARIABLES: dict[Front, str] = {
    Front.telegram: "LINLI_TELEGRAM_RASA_KEY",
    Front.wechat: "LINLI_WECHAT_RASA_KEY",
    Front.voice: "LINLI_VOICE_RASA_KEY",
    Front.host: "LINLI_API_RASA_KEY",
    Front.rest: "LINLI_RASA_REST_KEY",
}


def namespaced(front: Front, sender_id: str) -> str:
    """`sender_id` in `front`'s namespace. An id that already carries the front's own prefix
    keeps it (a front may send either form); any other id, even one with another front's
    prefix, gets the prefix put in front of it, so it can never leave the namespace."""
    prefix = SENDER_PREFIXES[front]
    return prefix + sender_id.removeprefix(prefix)
