"""Top-1 / top-5 passage hit rate of dense, BM25 and fused retrieval on the shared benchmark.

The fused retriever must beat both of its parts. Run: python benchmarks/retrieval.py
``--squad data/squad2-train-10articles.json`` runs it on the articles of a SQuAD JSON file instead
(retrieval settings can be checked there on questions they were not tuned on).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.evaluation import load_questions  # noqa: E402
from qa.metrics import contains_answer  # noqa: E402
from qa.pipeline import make_retriever, open_store  # noqa: E402
from qa.train_scorer import write_articles  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--squad", default=None, help="a SQuAD JSON file: its articles and answerable questions")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.squad:
            docs = Path(tmp) / "docs"
            docs.mkdir()
            rows = [r for r in write_articles(args.squad, None, docs) if r["answers"]]
        else:
            docs = ROOT / "benchmarks" / "squad2-dev" / "docs"
            rows = [r for r in load_questions(docs.parent / "questions.jsonl") if r["answers"]]
        store = open_store(docs, Path(tmp) / "index")
    variants = {
        "dense (passage vectors)": make_retriever(store.snapshot, store.cfg, dense_weight=1.0, bm25_weight=0.0, sentence_weight=0.0),
        "dense (best sentence)": make_retriever(store.snapshot, store.cfg, dense_weight=0.0, bm25_weight=0.0, sentence_weight=1.0),
        "bm25": make_retriever(store.snapshot, store.cfg, dense_weight=0.0, bm25_weight=1.0, sentence_weight=0.0),
        "fused (configured)": make_retriever(store.snapshot, store.cfg),
    }
    qvecs = [store.embedder.encode_query(r["question"]) for r in rows]
    print(f"{len(store.passages)} passages, {len(rows)} answerable questions")
    for name, retriever in variants.items():
        hits1 = hits5 = 0
        for row, qvec in zip(rows, qvecs):
            ranked = retriever.search(row["question"], qvec, 5)
            found = [contains_answer(store.passages[r.passage].text, row["answers"]) for r in ranked]
            hits1 += bool(found[:1] and found[0])
            hits5 += any(found)
        print(f"{name:24s} top-1 {hits1 / len(rows):.3f}  top-5 {hits5 / len(rows):.3f}")


if __name__ == "__main__":
    main()
