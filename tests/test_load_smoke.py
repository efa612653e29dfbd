"""Four seconds of ``benchmarks/load.py``: 4 clients against a real ``python app.py``, one upload midway.

The full run (32 clients x 60 s) is ``python benchmarks/load.py``; this checks the same code
end to end (every reply checked against its request, the browser's upload route) in ~25 s,
most of it the app's own startup.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_benchmark():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("qa_load_benchmark", ROOT / "benchmarks" / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_four_clients_for_four_seconds_with_an_upload() -> None:
    bench = load_benchmark()
    lines: list[str] = []
    result = bench.run(clients=4, seconds=4, reader="none", uploads=1, log=lines.append)
    bench.report(result, log=lines.append)
    summary = "\n".join(lines)
    assert result.served >= 4, summary
    assert result.failures == 0, summary
    assert not result.mixed and not result.errors and not result.wrong, summary
    assert [(u.indexed, u.found) for u in result.uploads] == [(True, True)], summary
    assert len({r.client for r in result.records if r.client >= 0}) == 4, summary
