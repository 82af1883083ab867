"""A small thread-safe LRU cache that computes each missing key once (single flight).

``functools.lru_cache`` lets every thread that misses a key compute it: under load, fifty
requests for a report not yet cached build it fifty times at once, each holding the GIL. Here
the first caller computes and the others wait for its value (or its exception).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["OnceCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class OnceCache(Generic[K, V]):
    """LRU cache of at most ``size`` values of ``compute(key)``; each key computed once at a time.

    Parameters
    ----------
    compute
        The function cached.
    size
        Most values kept.
    """

    def __init__(self, compute: Callable[[K], V], size: int = 64) -> None:
        self.compute = compute
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[K, threading.Lock] = {}

    def __call__(self, key: K) -> V:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:  # one computation per key; the others wait here
            with self._lock:
                if key in self._values:
                    return self._values[key]
            try:
                value = self.compute(key)
            finally:
                with self._lock:
                    self._flights.pop(key, None)
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
            return value

    def cache_clear(self) -> None:
        """Forget every value (named as in ``functools.lru_cache``)."""
        with self._lock:
            self._values.clear()
