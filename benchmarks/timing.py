"""Timing helper shared by the benchmarks: medians, never single wall-clock readings."""
from __future__ import annotations

import statistics
import time
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")


def median_ms(fn: Callable[[T], object], items: Iterable[T], repeat: int = 1) -> float:
    """Median milliseconds of ``fn(item)`` over all items, ``repeat`` rounds."""
    items = list(items)
    times = []
    for _ in range(repeat):
        for item in items:
            t0 = time.perf_counter()
            fn(item)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)
