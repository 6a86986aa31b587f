"""Dispatch frames are spliced from bytes serialized once; client frames are decoded strictly."""

from __future__ import annotations

import json

import orjson
import pytest

from accord.gateway.frames import (
    HEARTBEAT_ACK,
    MAX_CLIENT_PAYLOAD_BYTES,
    RECONNECT,
    decode_client_payload,
    encode_hello,
    encode_invalid_session,
    encode_resumed,
    prepare_dispatch,
)
from accord.gateway.protocol import CloseCode, GatewayError, Opcode

MESSAGE = {
    "id": "175928847299117063",
    "channel_id": "41771983423143937",
    "content": 'quotes " backslash \\ unicode é 🎉 newline \n',
    "mentions": [],
    "tts": False,
    "edited_timestamp": None,
    "nested": {"n": 1.5, "big": 2**53},
}


@pytest.mark.parametrize("data", [MESSAGE, {}, [], None, "text", 0])
@pytest.mark.parametrize("seq", [1, 9, 10, 2048, 10**12])
def test_spliced_frame_equals_a_normal_encoding(data: object, seq: int) -> None:
    frame = prepare_dispatch("MESSAGE_CREATE", data).frame(seq)
    expected = {"op": 0, "t": "MESSAGE_CREATE", "s": seq, "d": data}
    assert json.loads(frame) == json.loads(json.dumps(expected)) == expected
    assert list(json.loads(frame)) == ["op", "t", "s", "d"]


def test_one_prepared_dispatch_serves_every_session() -> None:
    prepared = prepare_dispatch("MESSAGE_CREATE", MESSAGE)
    frames = [prepared.frame(seq) for seq in range(1, 100)]
    assert [json.loads(f)["s"] for f in frames] == list(range(1, 100))
    assert all(json.loads(f)["d"] == MESSAGE for f in frames)
    assert prepared.size == len(frames[0]) - 1  # only the one-digit `s` is not held


def test_event_name_is_json_escaped() -> None:
    frame = prepare_dispatch('ODD"NAME', {}).frame(1)
    assert json.loads(frame)["t"] == 'ODD"NAME'


def test_fixed_server_payloads() -> None:
    assert json.loads(encode_hello(41250)) == {"op": 10, "d": {"heartbeat_interval": 41250}}
    assert json.loads(HEARTBEAT_ACK) == {"op": 11, "d": None}
    assert json.loads(RECONNECT) == {"op": 7, "d": None}
    assert json.loads(encode_invalid_session(False)) == {"op": 9, "d": False}
    assert json.loads(encode_invalid_session(True)) == {"op": 9, "d": True}
    assert json.loads(encode_resumed(42)) == {"op": 0, "t": "RESUMED", "s": 42, "d": {}}


@pytest.mark.parametrize("as_text", [True, False])
def test_decode_accepts_text_and_bytes(as_text: bool) -> None:
    body = json.dumps({"op": 2, "d": {"token": "t", "intents": 513}})
    payload = decode_client_payload(body if as_text else body.encode())
    assert payload.op is Opcode.IDENTIFY
    assert payload.d == {"token": "t", "intents": 513}


def test_decode_heartbeat_with_null_d() -> None:
    payload = decode_client_payload('{"op":1,"d":null}')
    assert payload.op is Opcode.HEARTBEAT
    assert payload.d is None


def test_decode_size_limit_is_in_bytes_inclusive() -> None:
    pad = MAX_CLIENT_PAYLOAD_BYTES - len('{"op":1,"d":""}')
    assert decode_client_payload('{"op":1,"d":"' + "x" * pad + '"}').op is Opcode.HEARTBEAT
    with pytest.raises(GatewayError) as info:
        decode_client_payload('{"op":1,"d":"' + "x" * (pad + 1) + '"}')
    assert info.value.close_code is CloseCode.DECODE_ERROR
    # Under the limit in characters, over it in UTF-8 bytes.
    with pytest.raises(GatewayError):
        decode_client_payload('{"op":1,"d":"' + "é" * (pad // 2 + 1) + '"}')


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "{",
        "not json",
        b"\xff\xfe",
        "[1, 2]",
        '"op"',
        "1",
        "null",
        '{"d": null}',
        '{"op": "1"}',
        '{"op": 1.0}',
        '{"op": true}',
        '{"op": null}',
    ],
)
def test_malformed_payloads_close_with_decode_error(raw: str | bytes) -> None:
    with pytest.raises(GatewayError) as info:
        decode_client_payload(raw)
    assert info.value.close_code is CloseCode.DECODE_ERROR


@pytest.mark.parametrize("op", [-1, 5, 12, 99, 0, 7, 9, 10, 11])
def test_unknown_or_server_only_opcodes_close_with_4001(op: int) -> None:
    with pytest.raises(GatewayError) as info:
        decode_client_payload(orjson.dumps({"op": op, "d": None}))
    assert info.value.close_code is CloseCode.UNKNOWN_OPCODE
