"""The auth service's caches: bounded maps whose entries expire, forgotten by group.

An `ExpiringCache` holds at most `max_entries` entries. At the bound, the
oldest entry (by when it was last stored) makes room for the new one.
Entries are short-lived and stored again whenever they lapse, so the oldest
stored is close to the least used, and a hit stays a plain dictionary lookup.

Entries can be grouped (a login's tokens, a user's, an application's).
Each group is indexed as entries come and go. Forgetting a group costs the
entries it holds, however large the cache is.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
# What names an entry's group, from its value; None puts it in no group.
Grouping = Callable[[V], Hashable | None]


class ExpiringCache(Generic[K, V]):
    """Up to `max_entries` values by key, each trusted until its deadline (a monotonic time).

    Read ``entries.get(key)``: ``(value, trusted_until, serial)`` or None;
    only `put` and the ``forget`` methods change `entries`. Whether an
    entry is still trusted is the reader's check, so a hit costs one lookup
    in a plain dict, as it did before the cache had indexes.
    """

    __slots__ = ("_groups", "_max_entries", "_order", "_serial", "entries")

    def __init__(self, max_entries: int, **groupings: Grouping[V]) -> None:
        if max_entries < 1:
            raise ValueError("a cache holds at least one entry")
        self._max_entries = max_entries
        # The serial numbers the store that wrote the entry (see _order).
        self.entries: dict[K, tuple[V, float, int]] = {}
        # Keys in the order stored, each with the serial of that store. An
        # entry forgotten or stored again leaves its old place behind: a
        # stale place is skipped at eviction, and the stale ones are dropped
        # when the queue grows past twice the bound.
        self._order: deque[tuple[int, K]] = deque()
        self._serial = 0
        # grouping name -> (its grouping, group -> the keys of its entries)
        self._groups: dict[str, tuple[Grouping[V], dict[Hashable, set[K]]]] = {
            name: (grouping, {}) for name, grouping in groupings.items()
        }

    def __len__(self) -> int:
        return len(self.entries)

    def put(self, key: K, value: V, until: float) -> None:
        """Trust `value` for `key` until `until`; at the bound the oldest entry is evicted."""
        replaced = self.entries.pop(key, None)
        if replaced is not None:
            self._unindex(key, replaced[0])
        elif len(self.entries) >= self._max_entries:
            self._evict_oldest()
        self._serial += 1
        self.entries[key] = (value, until, self._serial)
        self._order.append((self._serial, key))
        if len(self._order) > 2 * self._max_entries:
            self._order = deque(place for place in self._order if self._current(place))
        for grouping, members in self._groups.values():
            group = grouping(value)
            if group is not None:
                keys = members.get(group)
                if keys is None:
                    members[group] = {key}
                else:
                    keys.add(key)

    def forget(self, key: K) -> None:
        """Drop the entry of `key`, if there is one."""
        dropped = self.entries.pop(key, None)
        if dropped is not None:
            self._unindex(key, dropped[0])

    def forget_group(self, grouping: str, group: Hashable) -> int:
        """Drop every entry in `group` of the named grouping; returns how many went."""
        keys = self._groups[grouping][1].pop(group, None)
        if not keys:
            return 0
        for key in keys:
            value, _, _ = self.entries.pop(key)
            self._unindex(key, value, but=grouping)
        return len(keys)

    def group_sizes(self, grouping: str) -> dict[Hashable, int]:
        """How many entries each group of the named grouping holds: what its index keeps."""
        return {group: len(keys) for group, keys in self._groups[grouping][1].items()}

    def _current(self, place: tuple[int, K]) -> bool:
        entry = self.entries.get(place[1])
        return entry is not None and entry[2] == place[0]

    def _evict_oldest(self) -> None:
        # Every entry has its current place in the queue, so one is found.
        while True:
            place = self._order.popleft()
            if self._current(place):
                value, _, _ = self.entries.pop(place[1])
                self._unindex(place[1], value)
                return

    def _unindex(self, key: K, value: V, but: str | None = None) -> None:
        for name, (grouping, members) in self._groups.items():
            if name == but:
                continue
            group = grouping(value)
            if group is None:
                continue
            keys = members.get(group)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del members[group]
