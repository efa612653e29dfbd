"""Timing helpers shared by the benchmarks: medians, never single wall-clock readings, and the bare model they
are measured against."""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable, Iterable, TypeVar

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


def bare_model(name: str) -> Any:
    """The embedding model as a plain SentenceTransformer, the baseline every ratio divides by: the engine runs
    the packaged model without sentence-transformers (qa.embedding.PlainEncoder), which must not set its own bar."""
    from sentence_transformers import SentenceTransformer

    from qa.embedding import resolve_model

    model = SentenceTransformer(resolve_model(name), device="cpu")
    model.encode(["warm up the model"] * 8, show_progress_bar=False)
    return model
