"""The REST channel's reply guarantees (bot/rest_channel.py); the whole stack is tested in
tests/e2e."""

from bot.rest_channel import (
    MAX_MESSAGE_CHARS,
    NO_ANSWER_APOLOGY,
    capped,
    with_reply_guarantees,
)


def test_a_long_message_is_cut_before_nlu() -> None:
    text, cut = capped("低" * (MAX_MESSAGE_CHARS * 100))
    assert cut and len(text) == MAX_MESSAGE_CHARS
    assert capped("低保怎么申请") == ("低保怎么申请", False)
    assert capped(None) == ("", False)


def test_a_turn_without_text_gets_an_apology() -> None:
    assert with_reply_guarantees([], cut=False) == [{"text": NO_ANSWER_APOLOGY}]
    # Buttons or an image alone are no answer a resident on the phone can hear.
    assert with_reply_guarantees([{"buttons": [{"title": "是", "payload": "/affirm"}]}], False)[
        -1
    ] == {"text": NO_ANSWER_APOLOGY}


def test_a_turn_with_text_is_left_as_it_is_and_a_cut_is_said_first() -> None:
    replies = [{"text": "好的"}]
    assert with_reply_guarantees(replies, cut=False) == replies
    noted = with_reply_guarantees(replies, cut=True)
    assert str(MAX_MESSAGE_CHARS) in noted[0]["text"] and noted[1:] == replies
