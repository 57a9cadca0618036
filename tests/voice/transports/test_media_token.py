"""The media token as the telephony servers read it from a handshake or a control request."""

import base64

import pytest
from pydantic import SecretStr
from websockets.datastructures import Headers

from voice.transports.auth import all_match, presented_tokens, token_matches

TOKEN = SecretStr("s3cret-token")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("path", "headers", "tokens"),
    [
        ("/", [], []),
        ("/?token=a", [], ["a"]),
        ("/?token=a&token=b", [], ["a", "b"]),
        ("/", [("Authorization", "Bearer a")], ["a"]),
        ("/", [("Authorization", "bearer  a ")], ["a"]),
        ("/", [("Authorization", basic("jambonz", "a:b"))], ["a:b"]),
        ("/?token=a", [("Authorization", "Bearer b")], ["a", "b"]),
        ("/", [("Authorization", "Digest a")], [""]),  # unknown scheme: nothing valid
        ("/", [("Authorization", "Basic !!!")], [""]),
        ("/", [("Authorization", "Bearer a"), ("Authorization", "Bearer a")], [""]),
    ],
)
def test_tokens_a_request_presents(
    path: str, headers: list[tuple[str, str]], tokens: list[str]
) -> None:
    assert presented_tokens(path, Headers(headers)) == tokens


def test_every_presented_token_must_be_right_and_one_is_needed() -> None:
    assert all_match(["s3cret-token"], TOKEN)
    assert all_match(["s3cret-token", "s3cret-token"], TOKEN)
    assert not all_match([], TOKEN)
    assert not all_match(["s3cret-token", "wrong"], TOKEN)


@pytest.mark.parametrize("presented", ["", "s3cret-toke", "s3cret-token ", "\ud800", "x" * 300])
def test_anything_but_the_token_does_not_match(presented: str) -> None:
    assert not token_matches(presented, TOKEN)


def test_no_configured_token_matches_nothing() -> None:
    assert not token_matches("", SecretStr(""))
    assert not all_match([""], SecretStr(""))
