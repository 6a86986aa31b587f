"""zlib-stream transport compression (`?compress=zlib-stream`).

The whole connection is one zlib stream: a single compressor keeps its
dictionary across messages, and every message is ended with a sync flush so
the client can decompress it as soon as it sees the 00 00 ff ff suffix.
"""

from __future__ import annotations

import zlib
from typing import Final

# Clients buffer binary frames until one ends with this marker, then
# decompress; a Z_SYNC_FLUSH always ends the output with it.
ZLIB_SUFFIX: Final = b"\x00\x00\xff\xff"


class ZlibStream:
    """One connection's compressor; messages must be compressed in the order they are sent."""

    __slots__ = ("_compressor",)

    def __init__(self) -> None:
        self._compressor = zlib.compressobj()

    def compress(self, message: bytes) -> bytes:
        """Compress one message and flush it so it ends in `ZLIB_SUFFIX`."""
        return self._compressor.compress(message) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
