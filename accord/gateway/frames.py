"""Gateway frame encoding and client payload decoding.

A dispatch goes to many sessions that differ only in their sequence number
`s`, so its `d` is serialized once into a `PreparedDispatch` and each
session's frame is spliced together from bytes: no JSON work per recipient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson

from accord.gateway.protocol import CLIENT_OPCODES, CloseCode, GatewayError, Opcode

# Discord closes connections whose payloads exceed 4096 bytes; clients stay
# well under it, and the cap bounds what one frame can make us parse.
MAX_CLIENT_PAYLOAD_BYTES: Final = 4096


@dataclass(frozen=True, slots=True)
class PreparedDispatch:
    """One event, serialized once; `frame(seq)` splices in a session's sequence number."""

    event: str
    head: bytes  # b'{"op":0,"t":"EVENT","s":'
    tail: bytes  # b',"d":<json>}'

    def frame(self, seq: int) -> bytes:
        """The complete op 0 frame for a session at sequence `seq`."""
        return b"%b%d%b" % (self.head, seq, self.tail)

    @property
    def size(self) -> int:
        """Bytes of serialized payload this object holds (what a buffer entry pins)."""
        return len(self.head) + len(self.tail)


def prepare_head(event: str) -> bytes:
    """The bytes before a dispatch's sequence number."""
    return b'{"op":0,"t":' + orjson.dumps(event) + b',"s":'


def prepare_dispatch(event: str, data: Any) -> PreparedDispatch:
    """Serialize `data` once as the `d` of dispatch `event`."""
    return PreparedDispatch(event, prepare_head(event), b',"d":' + orjson.dumps(data) + b"}")


def encode_hello(heartbeat_interval_ms: int) -> bytes:
    """op 10: how often, in milliseconds, the client must heartbeat."""
    return orjson.dumps({"op": Opcode.HELLO, "d": {"heartbeat_interval": heartbeat_interval_ms}})


# Fixed payloads, built once at import. `d` is present (null) because some
# clients index it unconditionally.
HEARTBEAT_ACK: Final = orjson.dumps({"op": Opcode.HEARTBEAT_ACK, "d": None})
RECONNECT: Final = orjson.dumps({"op": Opcode.RECONNECT, "d": None})
_INVALID_SESSION = {
    resumable: orjson.dumps({"op": Opcode.INVALID_SESSION, "d": resumable})
    for resumable in (False, True)
}
_RESUMED: Final = prepare_dispatch("RESUMED", {})


def encode_invalid_session(resumable: bool) -> bytes:
    """op 9; `d` tells the client whether it may try RESUME again."""
    return _INVALID_SESSION[resumable]


def encode_resumed(seq: int) -> bytes:
    """The RESUMED dispatch, sent after a replay.

    It carries the session's current sequence number rather than a new one,
    so it takes no slot in the replay buffer and a later resume never sees it.
    """
    return _RESUMED.frame(seq)


@dataclass(frozen=True, slots=True)
class ClientPayload:
    """A decoded client frame: a client opcode and its (unvalidated) `d`."""

    op: Opcode
    d: Any


def decode_client_payload(raw: str | bytes) -> ClientPayload:
    """Parse one client frame, or raise `GatewayError` with 4002 (bad frame) / 4001 (bad op)."""
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > MAX_CLIENT_PAYLOAD_BYTES:
        raise GatewayError(
            CloseCode.DECODE_ERROR, f"payload exceeds {MAX_CLIENT_PAYLOAD_BYTES} bytes"
        )
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise GatewayError(CloseCode.DECODE_ERROR, "payload is not valid JSON") from None
    if not isinstance(payload, dict):
        raise GatewayError(CloseCode.DECODE_ERROR, "payload must be a JSON object")
    op = payload.get("op")
    if not isinstance(op, int) or isinstance(op, bool):
        raise GatewayError(CloseCode.DECODE_ERROR, "payload needs an integer 'op'")
    if op not in CLIENT_OPCODES:
        raise GatewayError(CloseCode.UNKNOWN_OPCODE, f"unknown opcode {op}")
    return ClientPayload(Opcode(op), payload.get("d"))
