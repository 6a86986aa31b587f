"""The outbox writes every byte of a connection in order, control frames whole, within its budget.

A local socketpair with a tiny send buffer stands in for a slow client: the
kernel takes a few kilobytes, so the rest queues in the outbox and its
writer task drains it as the peer reads.
"""

from __future__ import annotations

import os
import socket
import zlib

import pytest
import trio
import trio.testing
from wsproto.frame_protocol import FrameProtocol, Opcode

from accord.gateway.compression import ZlibStream
from accord.gateway.outbox import (
    Outbox,
    OutboxStream,
    Transport,
    coalesced_writes,
    websocket_frame,
)

SEND_BUFFER = 4096


def socket_pair() -> tuple[trio.SocketStream, trio.socket.SocketType]:
    """(our end as a stream, the client's end); our end's send buffer shrunk so writes queue."""
    ours, theirs = trio.socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
    return trio.SocketStream(ours), theirs


async def read_exactly(sock: trio.socket.SocketType, size: int) -> bytes:
    got = bytearray()
    while len(got) < size:
        chunk = await sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return bytes(got)


async def read_to_eof(sock: trio.socket.SocketType) -> bytes:
    got = bytearray()
    while chunk := await sock.recv(65536):
        got += chunk
    return bytes(got)


def frames(count: int) -> list[bytes]:
    """Distinct frames of varied sizes, so a reordering or a lost slice shows."""
    return [
        websocket_frame(b"%06d:" % n + bytes([65 + n % 26]) * (37 * n % 3000), binary=False)
        for n in range(count)
    ]


def decode(stream: bytes) -> list[tuple[Opcode, bytes]]:
    """Parse server frames the way a client library does."""
    protocol = FrameProtocol(client=True, extensions=[])
    protocol.receive_bytes(stream)
    return [
        (frame.opcode, frame.payload.encode() if isinstance(frame.payload, str) else frame.payload)
        for frame in protocol.received_frames()
    ]


@pytest.mark.parametrize(
    ("size", "header"),
    [
        (0, b"\x81\x00"),
        (125, b"\x81\x7d"),
        (126, b"\x81\x7e\x00\x7e"),
        (65535, b"\x81\x7e\xff\xff"),
        (65536, b"\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
    ],
)
def test_websocket_frame_length_encodings(size: int, header: bytes) -> None:
    payload = bytes(65 + n % 26 for n in range(size))
    frame = websocket_frame(payload, binary=False)
    assert frame == header + payload
    assert decode(frame) == [(Opcode.TEXT, payload)]


def test_websocket_frame_binary_opcode() -> None:
    frame = websocket_frame(b"\x00\xff", binary=True)
    assert frame[0] == 0x82  # FIN + binary, no mask bit on a server frame
    assert decode(frame) == [(Opcode.BINARY, b"\x00\xff")]


async def test_the_peer_reads_exactly_the_frames_in_order() -> None:
    stream, peer = socket_pair()
    outbox = Outbox(stream)
    sent = frames(300)
    with trio.fail_after(5):
        # Nobody reads yet: most of this must wait in the outbox.
        for frame in sent[:200]:
            assert outbox.write_nowait(frame)
        assert outbox.pending_bytes > SEND_BUFFER * 10
        async with trio.open_nursery() as nursery:
            nursery.start_soon(outbox.run)
            got = await read_exactly(peer, sum(map(len, sent[:100])))
            # Written while the queue drains: still behind everything before it.
            for frame in sent[200:]:
                assert outbox.write_nowait(frame)
            got += await read_exactly(peer, sum(map(len, sent)) - len(got))
            nursery.cancel_scope.cancel()
    assert got == b"".join(sent)
    assert [payload for _, payload in decode(got)] == [decode(f)[0][1] for f in sent]


async def test_fast_path_writes_at_once_without_the_writer_task() -> None:
    stream, peer = socket_pair()
    outbox = Outbox(stream)
    frame = websocket_frame(b'{"op":11,"d":null}', binary=False)
    assert outbox.write_nowait(frame)
    assert outbox.pending_bytes == 0
    with trio.fail_after(5):
        assert await read_exactly(peer, len(frame)) == frame


async def test_a_control_frame_queued_behind_data_follows_it_whole() -> None:
    stream, peer = socket_pair()
    outbox = Outbox(stream)
    data = frames(100)
    control = websocket_frame(b"\x03\xe8" + b"x" * 100, binary=False)
    after = websocket_frame(b"after the control frame", binary=False)
    returned = trio.Event()

    async def send_control() -> None:
        await outbox.send_all(control)
        returned.set()

    with trio.fail_after(5):
        for frame in data:
            outbox.write_nowait(frame)
        assert outbox.pending_bytes > 0
        async with trio.open_nursery() as nursery:
            nursery.start_soon(send_control)
            await trio.testing.wait_all_tasks_blocked()
            # The kernel cannot have it yet: send_all waits for the queue to drain.
            assert not returned.is_set()
            outbox.write_nowait(after)
            nursery.start_soon(outbox.run)
            total = sum(map(len, data)) + len(control) + len(after)
            got = await read_exactly(peer, total)
            await returned.wait()
            nursery.cancel_scope.cancel()
    assert got == b"".join(data) + control + after


async def test_send_all_returns_once_the_kernel_has_the_bytes() -> None:
    stream, peer = socket_pair()
    outbox = Outbox(stream)
    with trio.fail_after(5):
        await outbox.send_all(b"handshake answer")
        assert outbox.pending_bytes == 0
        assert await read_exactly(peer, 16) == b"handshake answer"


async def test_overflow_closes_the_socket_and_refuses_more() -> None:
    stream, peer = socket_pair()
    outbox = Outbox(stream, max_pending=20_000)
    frame = websocket_frame(b"m" * 1000, binary=False)
    accepted = 0
    while outbox.write_nowait(frame):
        accepted += 1
        assert accepted < 1000, "the budget was never enforced"
    # Everything the kernel did not take fits in the budget; one frame more did not.
    assert accepted * len(frame) <= 20_000 + SEND_BUFFER * 4
    assert outbox.closed
    assert outbox.pending_bytes == 0
    assert stream.socket.fileno() == -1
    assert not outbox.write_nowait(b"x")
    with pytest.raises(trio.BrokenResourceError):
        await outbox.send_all(b"close frame")
    with trio.fail_after(5):
        received = await read_to_eof(peer)
    # The peer sees a prefix of what was accepted, then EOF.
    assert 0 < len(received) <= accepted * len(frame)
    assert received == (frame * accepted)[: len(received)]


async def test_a_pending_send_all_fails_when_the_outbox_is_aborted() -> None:
    stream, _peer = socket_pair()
    outbox = Outbox(stream)
    for frame in frames(50):
        outbox.write_nowait(frame)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:

            async def send_control() -> None:
                with pytest.raises(trio.BrokenResourceError):
                    await outbox.send_all(b"pong")

            nursery.start_soon(send_control)
            await trio.testing.wait_all_tasks_blocked()
            outbox.abort()


async def test_writing_to_a_peer_that_left_closes_the_outbox() -> None:
    stream, peer = socket_pair()
    outbox = Outbox(stream)
    peer.close()
    assert not outbox.write_nowait(b"x" * 100)
    assert outbox.closed
    assert stream.socket.fileno() == -1


@pytest.mark.parametrize("queued", [False, True])
async def test_the_writer_task_ends_when_the_outbox_is_aborted(queued: bool) -> None:
    stream, _peer = socket_pair()
    outbox = Outbox(stream)
    if queued:  # the writer is waiting for the socket to drain, not for data
        for frame in frames(50):
            outbox.write_nowait(frame)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(outbox.run)
            await trio.testing.wait_all_tasks_blocked()
            outbox.abort()
    assert outbox.closed


async def test_outbox_stream_writes_through_the_outbox_and_reads_the_socket() -> None:
    stream, peer = socket_pair()
    outbox = Outbox(stream)
    wrapped = OutboxStream(stream, outbox)
    with trio.fail_after(5):
        outbox.write_nowait(b"data;")
        await wrapped.send_all(memoryview(b"control"))
        assert await read_exactly(peer, 12) == b"data;control"
        await peer.send(b"from the client")
        assert await wrapped.receive_some(100) == b"from the client"
        await wrapped.aclose()
    assert outbox.closed
    assert not outbox.write_nowait(b"late")


async def test_transport_sends_text_frames() -> None:
    stream, peer = socket_pair()
    transport = Transport(Outbox(stream), None)
    assert transport.send(b'{"op":11}')
    assert transport.send(b'{"op":0}')
    transport.abort()
    with trio.fail_after(5):
        got = await read_to_eof(peer)
    assert decode(got) == [(Opcode.TEXT, b'{"op":11}'), (Opcode.TEXT, b'{"op":0}')]


async def test_transport_zlib_stream_sends_binary_frames_one_stream_long() -> None:
    stream, peer = socket_pair()
    transport = Transport(Outbox(stream), ZlibStream())
    payloads = [b'{"op":10,"d":{"heartbeat_interval":41250}}', b'{"op":11,"d":null}'] * 3
    for payload in payloads:
        assert transport.send(payload)
    transport.abort()
    with trio.fail_after(5):
        got = decode(await read_to_eof(peer))
    assert all(opcode is Opcode.BINARY for opcode, _ in got)
    # One decompressor for the whole connection, one message per frame.
    inflate = zlib.decompressobj()
    assert [inflate.decompress(data) for _, data in got] == payloads


async def test_transport_sends_nothing_once_the_close_frame_is_on_its_way() -> None:
    stream, peer = socket_pair()
    transport = Transport(Outbox(stream), None)
    transport.sending = False
    assert not transport.send(b"after close")
    transport.abort()
    assert transport.outbox.closed
    with trio.fail_after(5):
        assert await read_to_eof(peer) == b""


async def test_writes_inside_coalesced_writes_go_out_together_at_its_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pairs = [socket_pair() for _ in range(2)]
    outboxes = [Outbox(stream) for stream, _ in pairs]
    data = frames(6)
    calls: list[int] = []
    real_writev, real_write = os.writev, os.write
    monkeypatch.setattr(
        os, "writev", lambda fd, chunks: calls.append(fd) or real_writev(fd, chunks)
    )
    monkeypatch.setattr(os, "write", lambda fd, chunk: calls.append(fd) or real_write(fd, chunk))
    with coalesced_writes():
        for n, frame in enumerate(data):
            assert outboxes[n % 2].write_nowait(frame)
        assert calls == []  # held: nothing written yet
        assert outboxes[0].pending_bytes == sum(map(len, data[0::2]))
    assert sorted(calls) == sorted(o._fd for o in outboxes)  # one write each
    with trio.fail_after(5):
        for n, (_, peer) in enumerate(pairs):
            mine = data[n::2]
            assert await read_exactly(peer, sum(map(len, mine))) == b"".join(mine)
    assert all(o.pending_bytes == 0 for o in outboxes)


async def test_held_frames_go_out_behind_a_queue_already_waiting() -> None:
    stream, peer = socket_pair()
    outbox = Outbox(stream)
    queued, held = frames(100), frames(3)
    for frame in queued:
        outbox.write_nowait(frame)
    assert outbox.pending_bytes > 0
    with coalesced_writes():
        for frame in held:
            outbox.write_nowait(frame)
    total = sum(map(len, queued + held))
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(outbox.run)
            got = await read_exactly(peer, total)
            nursery.cancel_scope.cancel()
    assert got == b"".join(queued + held)


async def test_holding_past_the_budget_closes_the_socket() -> None:
    stream, peer = socket_pair()
    outbox = Outbox(stream, max_pending=5_000)
    frame = websocket_frame(b"m" * 1000, binary=False)
    with coalesced_writes():
        accepted = 0
        while outbox.write_nowait(frame):
            accepted += 1
            assert accepted < 100, "the budget was never enforced"
        assert outbox.closed and outbox.pending_bytes == 0
    assert accepted * len(frame) <= 5_000
    with trio.fail_after(5):
        assert await read_to_eof(peer) == b""  # held frames never reach the wire


async def test_a_held_write_that_fails_closes_only_its_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (broken_stream, _), (stream, peer) = socket_pair(), socket_pair()
    broken, healthy = Outbox(broken_stream), Outbox(stream)
    real_writev = os.writev

    def writev(fd: int, chunks: list[bytes]) -> int:
        if fd == broken._fd:
            raise ValueError("not an OSError")
        return real_writev(fd, chunks)

    monkeypatch.setattr(os, "writev", writev)
    frame = websocket_frame(b"held", binary=False)
    with coalesced_writes():
        broken.write_nowait(frame)
        healthy.write_nowait(frame)
    assert broken.closed and not healthy.closed
    with trio.fail_after(5):
        assert await read_exactly(peer, len(frame)) == frame
    assert healthy.write_nowait(frame)  # written at once: nothing left held
