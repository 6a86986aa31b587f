"""Prometheus metrics of one process, served at /metrics by the API and the gateway.

Counters and histograms are updated where things happen; gauges that
describe state (sessions, pool use) are read when /metrics is scraped, from
the gateways and storages this process runs.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
REGISTRY: Final = CollectorRegistry()

DISPATCHES: Final = Counter(
    "accord_gateway_dispatches", "Events the gateway fanned out", registry=REGISTRY
)
DELIVERIES: Final = Counter(
    "accord_gateway_deliveries", "Dispatches handed to sessions", registry=REGISTRY
)
DELIVERY_SECONDS: Final = Histogram(
    "accord_gateway_delivery_seconds",
    "From an event's publication until the gateway handed it to every recipient",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
REQUEST_SECONDS: Final = Histogram(
    "accord_http_request_seconds",
    "REST requests by route pattern, method and status class",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)

# owner -> name -> (help, label, sample); sample(owner) returns {label value: number}.
# Samplers take the owner as an argument rather than closing over it, so the
# weak keys really let a stopped gateway or storage go.
_Sampler = Callable[[Any], dict[str, float]]
_samplers: weakref.WeakKeyDictionary[Any, dict[str, tuple[str, str, _Sampler]]] = (
    weakref.WeakKeyDictionary()
)


def observe_state(owner: object, name: str, help_text: str, label: str, sample: _Sampler) -> None:
    """Report `sample(owner)` as gauge `name` while `owner` lives (summed over owners)."""
    _samplers.setdefault(owner, {})[name] = (help_text, label, sample)


class _StateCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        families: dict[str, GaugeMetricFamily] = {}
        totals: dict[str, dict[str, float]] = {}
        for owner, owned in list(_samplers.items()):
            for name, (help_text, label, sample) in owned.items():
                if name not in families:
                    families[name] = GaugeMetricFamily(name, help_text, labels=[label])
                    totals[name] = {}
                for value, number in sample(owner).items():
                    totals[name][value] = totals[name].get(value, 0.0) + number
        for name, family in families.items():
            for value, number in sorted(totals[name].items()):
                family.add_metric([value], number)
            yield family


REGISTRY.register(_StateCollector())


def render() -> bytes:
    """The exposition text for /metrics."""
    return generate_latest(REGISTRY)
