"""The address a request comes from, as the rate limits count it.

The peer of the connection is the client, unless the peer is one of the
configured trusted proxies (``--trusted-proxies``): then X-Forwarded-For is
read from the right, each trusted proxy's entry skipped, and the first entry
no trusted proxy wrote is the client. Entries further left were written by
whoever sent the request and are never believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# X-Forwarded-For entries examined, right to left. A longer chain of trusted
# proxies than this is a misconfiguration or a forged header; the entry
# reached at the bound is taken as the client.
MAX_FORWARDED_HOPS = 16
# An IPv6 host is usually given a whole /64, so a client is counted by its
# /64: addresses within it cost their owner nothing to change.
IPV6_CLIENT_PREFIX = 64


def _address(text: str) -> IPAddress | None:
    """An address as a proxy writes it: bare, ``v4:port`` or ``[v6]:port``; None if not one."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's view of an IPv4 client
    return address


def _trusted(address: IPAddress, proxies: Iterable[IPNetwork]) -> bool:
    return any(address in network for network in proxies)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], proxies: tuple[IPNetwork, ...]
) -> str:
    """The client's address: ``peer``, or what trusted proxies say in ``forwarded_for``."""
    if not proxies or peer is None:
        return peer or ""
    address = _address(peer)
    if address is None or not _trusted(address, proxies):
        return peer
    entries = ",".join(forwarded_for).rsplit(",", MAX_FORWARDED_HOPS)[-MAX_FORWARDED_HOPS:]
    for entry in reversed(entries):
        hop = _address(entry)
        if hop is None:
            break  # not written by a proxy: the last trusted hop is all that is known
        address = hop
        if not _trusted(hop, proxies):
            break
    return str(address)


def client_key(address: str) -> str:
    """The rate-limit key of a client address: the address, or an IPv6 address's /64."""
    if ":" not in address:
        return f"ip:{address}"
    parsed = _address(address)
    if not isinstance(parsed, ipaddress.IPv6Address):
        return f"ip:{parsed or address}"
    network = ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False)
    return f"ip:{network}"
