"""Where clients are told to open the gateway, and how often they may identify."""

from __future__ import annotations

import ipaddress

from accord.config import Settings

# Discord's daily identify budget for a bot in fewer than 2,500 guilds. The
# gateway does not count identifies yet, so the whole budget is always left.
SESSION_START_TOTAL = 1000
SESSION_START_WINDOW_MS = 24 * 60 * 60 * 1000
_WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def _url_host(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    return f"[{host}]" if address.version == 6 else host


def gateway_url(settings: Settings, request_host: str | None = None) -> str:
    """ACCORD_GATEWAY_URL if set, else ws://HOST:GATEWAY_PORT.

    A wildcard listen address is not one a client can connect to, so then
    the host name the client used for this request stands in for it.
    """
    if settings.gateway_url:
        return settings.gateway_url
    host = settings.host
    if host in _WILDCARDS and request_host:
        host = request_host
    return f"ws://{_url_host(host)}:{settings.gateway_port}"


def session_start_limit() -> dict[str, int]:
    return {
        "total": SESSION_START_TOTAL,
        "remaining": SESSION_START_TOTAL,
        "reset_after": SESSION_START_WINDOW_MS,
        "max_concurrency": 1,
    }
