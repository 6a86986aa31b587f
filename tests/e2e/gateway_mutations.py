"""Seeded mutations of valid gateway payloads, for the fuzzer's property cases.

Half are edits of the payload's bytes (mostly breaking its JSON), half put
an odd value in place of one field at any depth (still JSON, so what they
meet is the gateway's own checks).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import orjson

from tests.e2e.gateway_prober import Case
from tests.e2e.raw_websocket import BINARY, TEXT, client_frame

# Values of every JSON type, put in place of each field in turn.
SAMPLES: dict[str, Any] = {
    "string": "x",
    "empty string": "",
    "integer": 7,
    "negative": -1,
    "huge integer": 2**64 - 1,
    "float": 1.5,
    "boolean": True,
    "null": None,
    "list": [1],
    "object": {"a": {}},
}
# What `tweak` puts in a field: the samples, bounds, and values some field takes.
_VALUES: list[Any] = [
    *SAMPLES.values(),
    *(0, 2, 6, 1, 1 << 17, 2**63, -(2**63), 1e308),
    *("\u0000", "0" * 64, "9" * 25, "x" * 3000),
    *("online", "idle", "offline", "dnd", "invisible"),
    *([[[]]], {"op": 1}, [0, 1], [1, 2], [0, 0]),
]
# What `mutate` inserts: tokens that make JSON odd or wrong.
_TOKENS = [
    *(b"[", b"{", b'"', b":", b",", b"-", b"\\", b"]]]]", b'{"a":'),
    *(b"1e999", b"null", b"true", b"-0", b"0.0", b"99999999999999999999999"),
    *(b"\\u0000", b"\\ud800"),
]
_ALPHABET = b'{}[]":,0123456789-.eEtfnrul\\ x'


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to three random edits of `data`'s bytes."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(out) + 1)
        kind = rng.randrange(5)
        if kind == 0 and out:
            byte = rng.choice(_ALPHABET) if rng.random() < 0.8 else rng.randrange(256)
            out[min(at, len(out) - 1)] = byte
        elif kind == 1:
            del out[at : at + rng.randint(1, 8)]
        elif kind == 2:
            out[at:at] = out[at : at + rng.randint(1, 8)]
        elif kind == 3:
            out[at:at] = rng.choice(_TOKENS)
        else:
            del out[at:]
    return bytes(out)


def tweak(rng: random.Random, value: Any) -> Any:
    """A copy of `value` with one field, at any depth, replaced or removed."""
    if isinstance(value, dict) and value and rng.random() < 0.75:
        key = rng.choice(sorted(value))
        if rng.random() < 0.1:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: tweak(rng, value[key])}
    if isinstance(value, list) and value and rng.random() < 0.5:
        index = rng.randrange(len(value))
        return [tweak(rng, v) if i == index else v for i, v in enumerate(value)]
    return rng.choice(_VALUES)


def mutants(
    rng: random.Random, seeds: Sequence[dict[str, Any]], count: int, allowed: frozenset[str]
) -> list[Case]:
    """`count` mutations of the `seeds` payloads, each to be answered with one of `allowed`."""
    cases = []
    for index in range(count):
        seed = rng.choice(seeds)
        if index % 2 == 0:
            data = mutate(rng, orjson.dumps(seed))
        elif rng.random() < 0.85:  # mostly inside d: a wrong op meets one check only
            data = orjson.dumps({**seed, "d": tweak(rng, seed["d"])})
        else:
            data = orjson.dumps(tweak(rng, seed))
        try:
            data.decode()
        except UnicodeDecodeError:
            opcode = BINARY  # as text, it would only meet the UTF-8 check
        else:
            opcode = TEXT
        label = f"mutant #{index} {data[:100]!r}"
        cases.append(Case(label, [client_frame(opcode, data)], allowed))
    return cases
