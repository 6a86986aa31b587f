"""ExpiringCache: bounded, forgotten by group through its indexes, never by a scan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable

import pytest

from accord.core.services.auth_caches import ExpiringCache

Entry = tuple[int, int]  # (login, user)


def counting(calls: Counter[str], name: str, of: Callable[[Entry], int]) -> Callable[[Entry], int]:
    def grouping(entry: Entry) -> int:
        calls[name] += 1
        return of(entry)

    return grouping


def cache_of(max_entries: int, calls: Counter[str] | None = None) -> ExpiringCache[str, Entry]:
    calls = Counter() if calls is None else calls
    return ExpiringCache(
        max_entries,
        login=counting(calls, "login", lambda e: e[0]),
        user=counting(calls, "user", lambda e: e[1]),
    )


def test_forgetting_a_group_drops_its_entries_and_only_those() -> None:
    cache = cache_of(100)
    cache.put("a1", (1, 10), 5.0)
    cache.put("a2", (1, 10), 5.0)  # a second token of login 1
    cache.put("b", (2, 10), 5.0)  # another login of the same user
    cache.put("c", (3, 20), 5.0)

    assert cache.forget_group("login", 1) == 2
    assert "a1" not in cache.entries and "a2" not in cache.entries
    assert cache.entries["b"][:2] == ((2, 10), 5.0) and cache.entries["c"][:2] == ((3, 20), 5.0)
    # The other index let go of them too.
    assert cache.group_sizes("user") == {10: 1, 20: 1}
    assert cache.forget_group("user", 10) == 1
    assert cache.group_sizes("login") == {3: 1}
    assert cache.forget_group("user", 10) == 0 and len(cache) == 1


def test_forgetting_a_group_in_a_big_cache_reads_only_that_groups_entries() -> None:
    calls: Counter[str] = Counter()
    cache = cache_of(50_000, calls)
    for n in range(50_000):
        cache.put(f"token{n}", (n // 2, n // 4), 5.0)  # two tokens a login, two logins a user
    calls.clear()

    assert cache.forget_group("login", 7) == 2
    assert cache.forget_group("user", 100) == 4

    # Each dropped entry is looked at once, to leave the other index: no scan.
    assert calls == Counter({"user": 2, "login": 4})
    assert len(cache) == 50_000 - 6


def test_at_the_bound_the_oldest_entry_makes_room_and_leaves_the_indexes() -> None:
    cache = cache_of(3)
    for n, key in enumerate("abc"):
        cache.put(key, (n, n), 5.0)
    cache.put("a", (0, 0), 6.0)  # stored again: now the newest
    cache.put("d", (3, 3), 5.0)

    assert len(cache) == 3
    assert "b" not in cache.entries  # the oldest stored went
    assert sorted(cache.entries) == ["a", "c", "d"]
    assert cache.group_sizes("login") == {0: 1, 2: 1, 3: 1}


def test_eviction_goes_by_the_last_store_through_any_churn_of_forgetting_and_storing() -> None:
    cache = cache_of(3)
    for n in range(10_000):  # far more stores and forgets than the bound
        cache.put(f"churn{n}", (n, n), 5.0)
        cache.forget(f"churn{n}")
    for n, key in enumerate("abc"):
        cache.put(key, (n, n), 5.0)
    cache.forget("a")
    cache.put("a", (0, 0), 5.0)  # forgotten, then stored again: the newest
    cache.put("b", (1, 1), 5.0)  # stored again: newer than c

    cache.put("d", (3, 3), 5.0)
    assert sorted(cache.entries) == ["a", "b", "d"]
    cache.put("e", (4, 4), 5.0)
    assert sorted(cache.entries) == ["b", "d", "e"]


def test_an_entry_stored_again_moves_to_its_new_groups() -> None:
    cache = cache_of(10)
    cache.put("t", (1, 10), 5.0)
    cache.put("t", (2, 10), 5.0)

    assert cache.group_sizes("login") == {2: 1}
    assert cache.forget_group("login", 1) == 0 and "t" in cache.entries
    cache.forget("t")
    assert len(cache) == 0 and cache.group_sizes("user") == {}


def test_an_entry_in_no_group_is_kept_and_evicted_like_the_others() -> None:
    cache: ExpiringCache[str, int | None] = ExpiringCache(2, only=lambda v: v)
    cache.put("none", None, 5.0)
    cache.put("one", 1, 5.0)
    cache.put("two", 2, 5.0)
    assert "none" not in cache.entries and cache.group_sizes("only") == {1: 1, 2: 1}


def test_a_cache_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError):
        ExpiringCache[Hashable, int](0)
