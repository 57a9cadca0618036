"""The wire formats, from their published definitions: Asterisk's res_audiosocket message
layout (kind byte, big-endian 16-bit length, payload) and the JSON/binary media-stream messages
of mod_audio_fork / jambonz. G.711 against the stdlib reference encoder."""

import json
import uuid
import warnings

import numpy as np
import pytest

from voice.audio import RateConverter
from voice.transports import audiosocket_protocol as aswire
from voice.transports import g711, sip
from voice.transports import websocket_protocol as wswire

CALL = uuid.UUID("40325ec2-5efd-4bd3-805f-53576e581d13")  # the UUID of Asterisk's docs example


def test_audiosocket_messages_as_asterisk_sends_them() -> None:
    stream = (
        b"\x01\x00\x10" + CALL.bytes  # UUID
        + b"\x10\x01\x40" + bytes(320)  # 20 ms of 8 kHz slin
        + b"\x03\x00\x01" + b"5"  # DTMF
        + b"\x12\x02\x80" + bytes(640)  # 20 ms of 16 kHz slin (Asterisk 22)
        + b"\xff\x00\x01\x01"  # error: the caller hung up
        + b"\x00\x00\x00"  # hang-up
    )  # fmt: skip
    assert aswire.Decoder().feed(stream) == [
        aswire.CallId(CALL),
        aswire.Audio(bytes(320), 8_000),
        aswire.Dtmf("5"),
        aswire.Audio(bytes(640), 16_000),
        aswire.PeerError(1),
        aswire.Hangup(),
    ]


def test_audiosocket_stream_cut_anywhere_gives_the_same_messages() -> None:
    stream = aswire.encode_uuid(CALL) + aswire.encode_audio(bytes(range(256)) * 2)
    decoder = aswire.Decoder()
    messages = [m for byte in stream for m in decoder.feed(bytes([byte]))]
    assert messages == [aswire.CallId(CALL), aswire.Audio(bytes(range(256)) * 2, 8_000)]
    assert decoder.pending_bytes == 0
    decoder.feed(b"\x10\x01\x40" + bytes(100))  # a frame cut short by a vanished peer
    assert decoder.pending_bytes == 103


def test_audiosocket_encoding_matches_the_wire_layout() -> None:
    assert aswire.encode_audio(b"\x01\x02" * 160) == b"\x10\x01\x40" + b"\x01\x02" * 160
    assert aswire.encode_hangup() == b"\x00\x00\x00"
    assert aswire.encode_uuid(CALL) == b"\x01\x00\x10" + CALL.bytes
    assert aswire.encode_error(0x02) == b"\xff\x00\x01\x02"


@pytest.mark.parametrize(
    "stream",
    [
        b"\x01\x00\x0f" + bytes(15),  # a UUID one byte short
        b"\x03\x00\x02" + b"12",  # two keys in one DTMF message
        b"\x03\x00\x01" + b"x",  # not a key
        b"\x10\x00\x03" + bytes(3),  # half a sample
        b"\x10\xff\xff",  # 64 KiB announced: refused before it is buffered
    ],
)
def test_malformed_audiosocket_messages_are_protocol_errors(stream: bytes) -> None:
    with pytest.raises(aswire.ProtocolError):
        aswire.Decoder(max_payload=32_000).feed(stream)


def test_messages_before_a_broken_one_are_delivered_then_the_error() -> None:
    decoder = aswire.Decoder(max_payload=1_000)
    assert decoder.feed(aswire.encode_uuid(CALL) + b"\x10\xff\xff") == [aswire.CallId(CALL)]
    with pytest.raises(aswire.ProtocolError):
        decoder.check()
    with pytest.raises(aswire.ProtocolError):
        decoder.feed(aswire.encode_hangup())


def test_unknown_audiosocket_kinds_are_skipped_not_fatal() -> None:
    assert aswire.Decoder().feed(b"\x42\x00\x02ab\x00\x00\x00") == [
        aswire.Unknown(0x42, 2),
        aswire.Hangup(),
    ]


def test_websocket_start_message_in_our_and_jambonz_spellings() -> None:
    ours = wswire.parse_start(
        '{"event": "start", "call_id": "c1", "from": "13800138000",'
        ' "format": {"encoding": "PCMU", "sample_rate": 8000}}'
    )
    assert ours == wswire.Start("c1", "13800138000", wswire.StreamFormat("PCMU", 8_000))
    jambonz = wswire.parse_start('{"callSid": "abc-1", "sampleRate": 16000, "mixType": "mono"}')
    assert jambonz == wswire.Start("abc-1", None, wswire.StreamFormat("L16", 16_000))


def test_websocket_start_message_may_carry_the_media_token_never_shown() -> None:
    stream = wswire.StreamFormat("L16", 8_000)
    start = wswire.parse_start(wswire.start_message("c1", stream, "13800138000", "s3cret"))
    assert start == wswire.Start("c1", "13800138000", stream, "s3cret")
    assert "s3cret" not in repr(start)  # a logged start message does not leak it


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        '{"event": "dtmf", "digit": "1"}',  # not a start
        '{"call_id": "c", "format": {"encoding": "opus"}}',
        '{"call_id": "c", "format": {"encoding": "PCMU", "sample_rate": 16000}}',
        '{"call_id": "c", "sample_rate": true}',
        '{"format": {"encoding": "L16"}}',  # no call id
        '{"call_id": "bad\\nid"}',
        '{"call_id": "c", "format": "L16"}',
        '{"call_id": "c", "token": 12345}',
        json.dumps({"call_id": "c", "pad": "x" * 5000}),
    ],
)
def test_bad_start_messages_are_protocol_errors(text: str) -> None:
    with pytest.raises(wswire.ProtocolError):
        wswire.parse_start(text)


def test_websocket_events() -> None:
    assert wswire.parse_event('{"event": "dtmf", "digit": "#"}') == wswire.Dtmf("#")
    assert wswire.parse_event('{"event": "mark", "name": "reply-1"}') == wswire.Mark("reply-1")
    assert wswire.parse_event('{"event": "stop"}') == wswire.Hangup()
    assert wswire.parse_event('{"event": "transfer_result", "connected": false}') == (
        wswire.TransferResult(False)
    )
    assert wswire.parse_event('{"event": "vad", "speaking": true}') == wswire.Unknown("vad")
    for bad in ['{"event": "dtmf", "digit": "12"}', '{"event": 5}', '{"event": "mark"}']:
        with pytest.raises(wswire.ProtocolError):
            wswire.parse_event(bad)
    assert json.loads(wswire.clear_message()) == {"event": "clear"}


def test_l16_audio_must_be_whole_samples() -> None:
    stream = wswire.StreamFormat("L16", 16_000)
    assert wswire.decode_audio(bytes(640), stream) == bytes(640)
    with pytest.raises(wswire.ProtocolError):
        wswire.decode_audio(bytes(641), stream)


def test_g711_ulaw_matches_the_reference_codec() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop  # the reference, deprecated: only here to check ours against it

    every_sample = np.arange(-32768, 32768, dtype="<i2").tobytes()
    assert g711.pcm_to_ulaw(every_sample) == audioop.lin2ulaw(every_sample, 2)
    every_code = bytes(range(256))
    assert g711.ulaw_to_pcm(every_code) == audioop.ulaw2lin(every_code, 2)


def test_rate_conversion_keeps_a_tone() -> None:
    tone = (np.sin(2 * np.pi * 440 * np.arange(8000) / 8000) * 8000).astype("<i2").tobytes()
    converter = RateConverter(8_000, 16_000)
    up = b"".join(converter.convert(tone[i : i + 320]) for i in range(0, len(tone), 320))
    samples = np.frombuffer(up, dtype="<i2")
    assert abs(len(samples) - 16_000) < 100
    spectrum = np.abs(np.fft.rfft(samples[: 16_000 - 100]))
    assert abs(np.argmax(spectrum) * 16_000 / (16_000 - 100) - 440) < 5


def test_sip_in_dialog_requests_follow_the_route_set() -> None:
    bye = (
        "BYE sip:caller@10.77.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.77.0.1:5070\r\n"
        "CSeq: 2 BYE\r\nCall-ID: abc\r\nContent-Length: 0\r\n\r\n"
    )
    routes = sip.route_set("<sip:10.77.0.1;lr>, <sip:proxy.example:5080;lr>")
    assert routes == ["<sip:10.77.0.1;lr>", "<sip:proxy.example:5080;lr>"]
    refer = sip.in_dialog_request(bye, "REFER", 101, routes, "Refer-To: <sip:staff@x>\r\n")
    assert refer.startswith("REFER sip:caller@10.77.0.2:5060 SIP/2.0\r\n")
    assert "CSeq: 101 REFER\r\n" in refer and "BYE" not in refer
    assert refer.endswith(
        "Route: <sip:10.77.0.1;lr>\r\nRoute: <sip:proxy.example:5080;lr>\r\n"
        "Refer-To: <sip:staff@x>\r\nContent-Length: 0\r\n\r\n"
    )
    assert sip.next_hop(routes, ("registrar", 5060)) == ("10.77.0.1", 5060)
    assert sip.next_hop(routes[1:], ("registrar", 5060)) == ("proxy.example", 5080)
    assert sip.next_hop([], ("registrar", 5060)) == ("registrar", 5060)


def test_pyvoip_8_bit_audio_round_trip() -> None:
    pcm = np.array([-32768, -256, 0, 256, 32512], dtype="<i2").tobytes()
    assert sip.pcm16_to_unsigned8(pcm) == bytes([0, 127, 128, 129, 255])
    assert sip.unsigned8_to_pcm16(bytes([0, 128, 255])) == (
        np.array([-32768, 0, 32512], dtype="<i2").tobytes()
    )


def test_a_gateway_registers_to_place_calls_and_answers_dials() -> None:
    first = wswire.parse_first(wswire.register_message("gw-1", "tok"))
    assert first == wswire.Register("gw-1", "tok")
    start = wswire.parse_first(
        wswire.start_message("c-1", wswire.StreamFormat("L16", 8000), dial_id="d-1")
    )
    assert isinstance(start, wswire.Start) and start.dial_id == "d-1"
    dial = json.loads(wswire.dial_message("d-1", "13800138000", 40))
    assert dial == {"event": "dial", "dial_id": "d-1", "to": "13800138000", "ring_timeout_s": 40}
    result = wswire.parse_event(
        json.dumps({"event": "dial_result", "dial_id": "d-1", "answered": False, "reason": "busy"})
    )
    assert result == wswire.DialResult("d-1", False, "busy")
    with pytest.raises(wswire.ProtocolError):
        wswire.parse_event(json.dumps({"event": "dial_result", "dial_id": "d-1"}))
    with pytest.raises(wswire.ProtocolError):
        wswire.parse_first(json.dumps({"event": "register", "gateway": ""}))


INVITE = (
    "INVITE sip:13800000001@10.77.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.77.0.1:5070;branch=z9hG4bKabc\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:linli@10.77.0.1:5070>\r\n"
    "To: <sip:13800000001@10.77.0.1>\r\n"
    "From: <sip:linli@10.77.0.1>;tag=ours\r\n"
    "Call-ID: call-1\r\n"
    "CSeq: 3 INVITE\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n\r\nv=0\n"
)


def test_a_ringing_invite_is_cancelled_on_its_own_transaction() -> None:
    cancel = sip.cancel_for_invite(INVITE)
    lines = cancel.split("\r\n")
    assert lines[0] == "CANCEL sip:13800000001@10.77.0.1 SIP/2.0"
    assert "Via: SIP/2.0/UDP 10.77.0.1:5070;branch=z9hG4bKabc" in lines  # same branch
    assert "CSeq: 3 CANCEL" in lines and "Call-ID: call-1" in lines
    assert not any(line.startswith(("Contact", "Content-Type")) for line in lines)
    assert cancel.endswith("Content-Length: 0\r\n\r\n")


def test_the_answer_is_acknowledged_along_the_recorded_route() -> None:
    from pyVoIP.SIP import SIPMessage

    ok = SIPMessage(
        b"SIP/2.0 200 OK\r\n"
        b"Via: SIP/2.0/UDP 10.77.0.1:5070;branch=z9hG4bKabc\r\n"
        b"Record-Route: <sip:10.77.0.1;lr>\r\n"
        b"Contact: <sip:13800000001@10.77.0.2:5060;transport=udp>;expires=3600\r\n"
        b"To: <sip:13800000001@10.77.0.1>;tag=theirs\r\n"
        b"From: <sip:linli@10.77.0.1>;tag=ours\r\n"
        b"Call-ID: call-1\r\n"
        b"CSeq: 3 INVITE\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    ack, routes = sip.ack_for_answer(ok, "SIP/2.0/UDP 10.77.0.1:5070")
    lines = ack.split("\r\n")
    assert lines[0] == "ACK sip:13800000001@10.77.0.2:5060;transport=udp SIP/2.0"
    assert routes == ["<sip:10.77.0.1;lr>"] and "Route: <sip:10.77.0.1;lr>" in lines
    assert "To: <sip:13800000001@10.77.0.1>;tag=theirs" in lines and "CSeq: 3 ACK" in lines
    assert sip.next_hop(routes, ("127.0.0.1", 5060)) == ("10.77.0.1", 5060)
