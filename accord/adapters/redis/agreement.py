"""Settings that every process sharing one Redis must agree on, checked at start.

- The JWT secret: a token signed by one API process must verify on every
  other process. Only a fingerprint (SHA-256) is stored.
- The snowflake worker id: two live processes with one worker id could mint
  the same id. Each process claims its id with a lease it renews; a second
  process asking for a leased id is refused.
"""

from __future__ import annotations

import hashlib
from typing import Final

from accord.adapters.redis.client import RedisLink
from accord.config import ConfigError

# A crashed process's worker id is free again this long after its last renewal.
WORKER_LEASE_S: Final = 30
WORKER_RENEW_S: Final = 10.0


async def check_jwt_secret(link: RedisLink, prefix: str, secret: bytes) -> None:
    """ConfigError if other processes on this Redis sign with a different secret."""
    key = f"{prefix}:config:jwt-fingerprint"
    fingerprint = hashlib.sha256(secret).hexdigest()
    await link.call("SET", key, fingerprint, "NX")
    stored = await link.call("GET", key)
    if stored is not None and stored.decode() != fingerprint:
        raise ConfigError(
            "ACCORD_JWT_SECRET differs from the one the other processes on this Redis use; "
            "set the same ACCORD_JWT_SECRET for every process"
        )


async def claim_worker_id(link: RedisLink, prefix: str, worker_id: int, process: str) -> None:
    """Lease `worker_id` for `process`, or ConfigError if another live process holds it."""
    key = f"{prefix}:worker:{worker_id}"
    await link.call("SET", key, process, "NX", "EX", WORKER_LEASE_S)
    holder = await link.call("GET", key)
    if holder is None or holder.decode() != process:
        raise ConfigError(
            f"worker id {worker_id} is in use by another running process "
            f"({holder.decode() if holder else 'unknown'}); give each process its own "
            "--worker-id / ACCORD_WORKER_ID"
        )
    await link.call("EXPIRE", key, WORKER_LEASE_S)


async def release_worker_id(link: RedisLink, prefix: str, worker_id: int, process: str) -> None:
    key = f"{prefix}:worker:{worker_id}"
    holder = await link.call("GET", key)
    if holder is not None and holder.decode() == process:
        await link.call("DEL", key)
