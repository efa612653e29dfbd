"""Median ask() latency as a ratio to a bare model.encode of the same question, in one run.

Run: python benchmarks/ask_speed.py [--reader none|default]
Goal (heuristic extractor): <= 1.5. With the reader on, see benchmarks/reader_speed.py.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import qa  # noqa: E402
from timing import bare_model, median_ms  # noqa: E402
from qa.evaluation import load_questions  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reader", default="none")
    args = ap.parse_args()
    bench = ROOT / "benchmarks" / "squad2-dev"
    questions = [r["question"] for r in load_questions(bench / "questions.jsonl")][::5]
    with tempfile.TemporaryDirectory() as tmp:
        bot = qa.load(bench / "docs", tmp, reader=args.reader)
        model = bare_model(bot.cfg.model)
        for q in questions[:10]:
            bot.ask(q)
            model.encode([q])
        encode = median_ms(lambda q: model.encode([q], normalize_embeddings=True, show_progress_bar=False), questions, repeat=3)
        ask = median_ms(bot.ask, questions, repeat=3)
    print(f"{len(questions)} questions x 3, reader={args.reader}")
    print(f"bare encode p50 {encode:.2f} ms, ask p50 {ask:.2f} ms")
    print(f"ask / encode: {ask / encode:.2f} (goal <= 1.5 for the heuristic extractor)")


if __name__ == "__main__":
    main()
