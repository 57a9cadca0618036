"""Who may open a call or ask about one: the telephony peer (Asterisk, a media gateway) proves
it holds the media token, `LINLI_VOICE_MEDIA_TOKEN` (written to var/linli.env by `make run`).

A peer presents it the way its software can: `Authorization: Bearer <token>`, HTTP Basic auth
with the token as the password (jambonz `listen` sends its `wsAuth` this way), `?token=<token>`
in the URL (FreeSWITCH mod_audio_fork takes only a URL), or `"token"` in the WebSocket start
message (mod_audio_fork's metadata). Asterisk's AudioSocket itself carries no credential: that
port stays on loopback, and the dialplan's control requests send the token.
"""

import secrets
from urllib.parse import parse_qs, urlsplit

from pydantic import SecretStr
from websockets.datastructures import Headers, MultipleValuesError
from websockets.exceptions import InvalidHeader
from websockets.headers import parse_authorization_basic

MAX_TOKEN_CHARS = 256


def token_matches(presented: str, expected: SecretStr) -> bool:
    """Whether `presented` is the configured token; never true while none is configured."""
    wanted = expected.get_secret_value()
    if not wanted or len(presented) > MAX_TOKEN_CHARS:
        return False
    # Constant time: the comparison tells a guesser nothing about how much was right.
    # surrogatepass: a lone surrogate (bad UTF-8 in a header, JSON "\ud800") is bytes that
    # match no token, not an exception.
    return secrets.compare_digest(presented.encode("utf-8", "surrogatepass"), wanted.encode())


def presented_tokens(path: str, headers: Headers) -> list[str]:
    """Every token an HTTP request (a WebSocket handshake, a control request) presents, from its
    Authorization header and its `token` query parameters; each must be right."""
    tokens = parse_qs(urlsplit(path).query).get("token", [])
    try:
        authorization = headers.get("Authorization")
    except MultipleValuesError:
        return [*tokens, ""]  # two Authorization headers: refused, never guessed at
    if authorization is None:
        return tokens
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return [*tokens, credentials.strip()]
    if scheme.lower() == "basic":
        try:
            return [*tokens, parse_authorization_basic(authorization)[1]]
        except InvalidHeader:
            return [*tokens, ""]
    return [*tokens, ""]  # an unknown scheme presents nothing valid


def all_match(tokens: list[str], expected: SecretStr) -> bool:
    """At least one token, and every one of them right."""
    return bool(tokens) and all(token_matches(token, expected) for token in tokens)
