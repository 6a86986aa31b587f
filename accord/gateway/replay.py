"""A session's replay buffer: the recent dispatches a RESUME can ask for again.

Entries are the shared, once-serialized dispatches (`PreparedDispatch`), not
per-session frame bytes: a thousand sessions buffering the same message hold
a thousand references to one payload. Frames are spliced again on replay.
"""

from __future__ import annotations

from collections import deque
from itertools import islice
from typing import Final, Protocol

# Count bound: at 20 dispatches/s that is ~100 s of history, comfortably
# longer than a client takes to notice a dead socket (one heartbeat interval,
# ~41 s) and reconnect.
DEFAULT_MAX_FRAMES: Final = 2048
# Byte bound: a few large dispatches (GUILD_CREATE of a big guild) must not
# let one disconnected session pin unbounded memory; 4 MiB still holds the
# full 2048 frames of ordinary ~1 KiB messages twice over.
DEFAULT_MAX_BYTES: Final = 4 * 1024 * 1024


class Replayable(Protocol):
    """What the buffer stores: something that renders its frame for a sequence number."""

    @property
    def size(self) -> int: ...

    def frame(self, seq: int) -> bytes: ...


class ReplayError(Exception):
    """RESUME cannot be served from this buffer."""


class ReplayPruned(ReplayError):
    """The frames after `seq` were partly evicted; answer op 9 with `d: false`."""


class InvalidSequence(ReplayError):
    """`seq` is negative or beyond the last one sent; close with 4007."""


class ReplayBuffer:
    """Assigns sequence numbers 1, 2, ... and keeps the newest frames within both bounds.

    When full (by count or by bytes) the oldest entries are evicted; a resume
    reaching back past them gets `ReplayPruned`.
    """

    __slots__ = ("_bytes", "_entries", "_last_seq", "_max_bytes", "_max_frames")

    def __init__(
        self, max_frames: int = DEFAULT_MAX_FRAMES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        if max_frames < 1 or max_bytes < 1:
            raise ValueError("replay bounds must be positive")
        self._max_frames = max_frames
        self._max_bytes = max_bytes
        self._entries: deque[Replayable] = deque()
        self._bytes = 0
        self._last_seq = 0

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest dispatch (0 before the first)."""
        return self._last_seq

    @property
    def first_seq(self) -> int:
        """The sequence number of the oldest kept dispatch (`last_seq + 1` when empty)."""
        return self._last_seq - len(self._entries) + 1

    def entries(self) -> list[Replayable]:
        """The kept dispatches, oldest (`first_seq`) first."""
        return list(self._entries)

    @classmethod
    def restore(
        cls,
        entries: list[Replayable],
        last_seq: int,
        max_frames: int = DEFAULT_MAX_FRAMES,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> ReplayBuffer:
        """A buffer continuing another's: `entries` end at `last_seq` (within the bounds)."""
        if len(entries) > last_seq:
            raise ValueError("more entries than sequence numbers")
        buffer = cls(max_frames, max_bytes)
        buffer._last_seq = last_seq - len(entries)
        for entry in entries:
            buffer.append(entry)
        return buffer

    def append(self, dispatch: Replayable) -> bytes:
        """Give `dispatch` the next sequence number, keep it, and return its frame."""
        self._last_seq += 1
        self._entries.append(dispatch)
        self._bytes += dispatch.size
        # A single entry larger than max_bytes evicts itself too: an empty
        # buffer is honest (resume → pruned) where keeping it would not be bounded.
        while len(self._entries) > self._max_frames or self._bytes > self._max_bytes:
            self._bytes -= self._entries.popleft().size
        return dispatch.frame(self._last_seq)

    def acknowledge(self, seq: int) -> None:
        """Forget the dispatches up to `seq`: the client has them and never resumes before.

        A client heartbeats with the last `s` it received and resumes from it
        or later, so what it acknowledged can only ever be asked for again by
        mistake. Dropping it frees each session's READY and GUILD_CREATE, the
        largest part of an idle session. Out-of-range values are ignored.
        """
        if not 0 < seq <= self._last_seq:
            return
        drop = min(seq - self.first_seq + 1, len(self._entries))
        for _ in range(drop):
            self._bytes -= self._entries.popleft().size

    def since(self, seq: int) -> list[bytes]:
        """The frames with `s > seq`, oldest first; raises `ReplayPruned` or `InvalidSequence`."""
        if seq < 0 or seq > self._last_seq:
            raise InvalidSequence(f"seq {seq} outside 0..{self._last_seq}")
        first = self.first_seq
        if seq < first - 1:
            raise ReplayPruned(f"seq {seq} is older than the buffer (first kept {first})")
        kept = islice(self._entries, seq - first + 1, None)
        return [entry.frame(s) for s, entry in enumerate(kept, start=seq + 1)]
