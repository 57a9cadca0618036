"""Fuzzing both frame parsers with hypothesis, on a bounded budget (a few seconds): whatever
bytes or text arrive, they give messages or a `ProtocolError`, never another exception, and
never buffer more than the size limit."""

import contextlib
import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice.transports import audiosocket_protocol as aswire
from voice.transports import websocket_protocol as wswire

BUDGET = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_PAYLOAD = 2_000

valid_message = st.one_of(
    st.uuids().map(aswire.encode_uuid),
    st.binary(max_size=MAX_PAYLOAD // 2).map(lambda b: aswire.encode_audio(b * 2)),
    st.sampled_from("0123456789*#ABCD").map(aswire.encode_dtmf),
    st.just(aswire.encode_hangup()),
    st.integers(0, 255).map(aswire.encode_error),
    st.tuples(st.integers(0x20, 0xFE), st.binary(max_size=50)).map(
        lambda kp: aswire.encode(kp[0], kp[1])
    ),
)


def feed_in_chunks(data: bytes, cuts: list[int]) -> list[aswire.Message]:
    decoder = aswire.Decoder(MAX_PAYLOAD)
    messages: list[aswire.Message] = []
    start = 0
    for cut in sorted(c % (len(data) + 1) for c in cuts) + [len(data)]:
        messages += decoder.feed(data[start:cut])
        assert decoder.pending_bytes <= aswire.HEADER_BYTES + MAX_PAYLOAD
        start = max(start, cut)
    decoder.check()
    return messages


@BUDGET
@given(st.binary(max_size=4_000), st.lists(st.integers(0, 4_000), max_size=8))
def test_audiosocket_decoder_on_arbitrary_bytes(data: bytes, cuts: list[int]) -> None:
    with contextlib.suppress(aswire.ProtocolError):
        feed_in_chunks(data, cuts)


@BUDGET
@given(st.lists(valid_message, max_size=20), st.lists(st.integers(0, 50_000), max_size=8))
def test_audiosocket_valid_streams_decode_whatever_the_chunking(
    messages: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(messages)
    assert feed_in_chunks(stream, cuts) == aswire.Decoder(MAX_PAYLOAD).feed(stream)
    assert len(aswire.Decoder(MAX_PAYLOAD).feed(stream)) == len(messages)


@BUDGET
@given(st.lists(valid_message, min_size=1, max_size=10), st.data())
def test_audiosocket_valid_stream_with_one_byte_flipped(
    messages: list[bytes], data: st.DataObject
) -> None:
    stream = bytearray(b"".join(messages))
    index = data.draw(st.integers(0, len(stream) - 1))
    stream[index] = data.draw(st.integers(0, 255))
    with contextlib.suppress(aswire.ProtocolError):
        feed_in_chunks(bytes(stream), [index])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
start_like = st.fixed_dictionaries(
    {},
    optional={
        "event": st.sampled_from(["start", "connected", "dtmf"]) | st.text(max_size=8),
        "call_id": st.text(max_size=70) | st.integers() | st.uuids().map(str),
        "callSid": st.text(max_size=10),
        "from": st.text(max_size=40) | st.none() | st.integers(),
        "format": st.fixed_dictionaries(
            {},
            optional={
                "encoding": st.sampled_from(["L16", "PCMU", "mulaw", "opus"]) | json_values,
                "sample_rate": st.sampled_from([8000, 16000, 44100]) | json_values,
            },
        )
        | json_values,
        "sampleRate": json_values,
    },
)


@BUDGET
@given(st.one_of(st.text(max_size=300), json_values.map(json.dumps), start_like.map(json.dumps)))
def test_websocket_start_parser_on_arbitrary_text(text: str) -> None:
    try:
        start = wswire.parse_start(text)
    except wswire.ProtocolError:
        return
    assert 1 <= len(start.call_id) <= 64
    assert start.format.sample_rate in wswire.RATES[start.format.encoding]


event_like = st.fixed_dictionaries(
    {"event": st.sampled_from(["dtmf", "mark", "hangup", "transfer_result", "x"]) | json_values},
    optional={"digit": json_values, "name": json_values, "connected": json_values},
)


@BUDGET
@given(st.one_of(st.text(max_size=300), json_values.map(json.dumps), event_like.map(json.dumps)))
def test_websocket_event_parser_on_arbitrary_text(text: str) -> None:
    with contextlib.suppress(wswire.ProtocolError):
        wswire.parse_event(text)


@BUDGET
@given(st.binary(max_size=2_000), st.sampled_from(["L16", "PCMU"]))
def test_websocket_audio_on_arbitrary_bytes(data: bytes, encoding: wswire.Encoding) -> None:
    stream = wswire.StreamFormat(encoding, 8_000)
    try:
        pcm = wswire.decode_audio(data, stream)
    except wswire.ProtocolError:
        assert encoding == "L16" and len(data) % 2
        return
    assert len(pcm) == (len(data) * 2 if encoding == "PCMU" else len(data))
    assert len(wswire.encode_audio(pcm, stream)) == len(data)


def test_uuid_round_trip() -> None:
    call = uuid.uuid4()
    assert aswire.Decoder().feed(aswire.encode_uuid(call)) == [aswire.CallId(call)]
