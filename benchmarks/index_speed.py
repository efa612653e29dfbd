"""Index build throughput against a bare SentenceTransformer.encode of the same passages, in one run.

Also times a reload over unchanged documents and an incremental update after appending a
paragraph to one document. Run: python benchmarks/index_speed.py [DOCS]
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import load_config  # noqa: E402
from qa.embedding import Embedder  # noqa: E402
from qa.store import Store  # noqa: E402
from timing import bare_model  # noqa: E402


def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs", nargs="?", default=str(ROOT / "benchmarks" / "squad2-dev" / "docs"),
                        help="documents folder to index (default: the shared benchmark's)")
    source = Path(parser.parse_args().docs)
    cfg = load_config()
    embedder = Embedder.load(cfg.model)
    embedder.model.encode(["warm up the model"] * 8)
    bare = bare_model(cfg.model)
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(shutil.copytree(source, Path(tmp) / "docs"))
        store, build_s = timed(lambda: Store(docs, Path(tmp) / "index", cfg, embedder))
        texts = [p.text for p in store.passages]
        _, bare_s = timed(lambda: bare.encode(texts, batch_size=cfg.batch_size, show_progress_bar=False))
        _, reload_s = timed(lambda: Store(docs, Path(tmp) / "index", cfg, embedder))
        first = sorted(docs.glob("*.txt"))[0]
        with open(first, "a", encoding="utf-8") as fh:
            fh.write("\n\nThis paragraph was appended to test an incremental update of the index.")
        report, update_s = timed(store.refresh)
    n = len(texts)
    ours, bare = n / build_s, n / bare_s
    print(f"passages: {n} from {source}")
    print(f"build (read+split+embed+save): {build_s:.2f}s = {ours:.1f} passages/s")
    print(f"bare SentenceTransformer.encode: {bare_s:.2f}s = {bare:.1f} passages/s")
    print(f"throughput ratio ours/bare: {ours / bare:.2f} (target >= 0.9)")
    print(f"reload over unchanged documents: {reload_s:.2f}s = {reload_s / build_s:.2f} of the first build (target < 0.5)")
    print(f"after appending to {first.name}: re-embedded {report.embedded_passages} of {report.passages} passages "
          f"(changed: {report.changed}) in {update_s:.2f}s")


if __name__ == "__main__":
    main()
