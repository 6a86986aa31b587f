"""zlib-stream: each message ends in the sync-flush marker and decodes with one shared inflater."""

from __future__ import annotations

import json
import zlib

from accord.gateway.compression import ZLIB_SUFFIX, ZlibStream


def test_messages_round_trip_through_one_decompressor() -> None:
    messages = [
        b'{"op":10,"d":{"heartbeat_interval":41250}}',
        b'{"op":11,"d":null}',
        *(json.dumps({"op": 0, "s": i, "d": {"content": "hi" * i}}).encode() for i in range(1, 50)),
        b"",
    ]
    stream = ZlibStream()
    inflater = zlib.decompressobj()  # one per connection, as clients keep it
    for message in messages:
        compressed = stream.compress(message)
        assert compressed.endswith(ZLIB_SUFFIX)
        assert inflater.decompress(compressed) == message


def test_the_stream_shares_its_dictionary_across_messages() -> None:
    stream = ZlibStream()
    message = json.dumps({"op": 0, "t": "MESSAGE_CREATE", "d": {"content": "x" * 10}}).encode()
    first = stream.compress(message)
    second = stream.compress(message)
    assert len(second) < len(first)


def test_a_message_split_on_arrival_still_decodes() -> None:
    stream = ZlibStream()
    compressed = stream.compress(b'{"op":7,"d":null}')
    inflater = zlib.decompressobj()
    assert inflater.decompress(compressed[:3]) + inflater.decompress(compressed[3:]) == (
        b'{"op":7,"d":null}'
    )
