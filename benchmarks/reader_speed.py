"""The reader's cost inside ask(), and fp32 vs bf16 vs int8 quality and speed, measured in one run.

Prints: ask p50 / (bare query encode + bare reader forward over the same windows)  (goal <= 1.3),
ask p50 / bare query encode (reported), and answer F1 and p50 of the fp32, bf16 and int8 readers through ask().
Run: python benchmarks/reader_speed.py [--every N]
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
from qa.evaluation import compute, load_questions, run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=4, help="use every Nth benchmark question")
    args = ap.parse_args()
    bench = ROOT / "benchmarks" / "squad2-dev"
    rows = load_questions(bench / "questions.jsonl")[:: args.every]
    questions = [r["question"] for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        bot = qa.load(bench / "docs", tmp)
        engines = {p: qa.load(bench / "docs", tmp, embedder=bot.store.embedder, precision=p)
                   for p in ("fp32", "bf16", "int8")}
    model, reader = bare_model(bot.cfg.model), bot.extractor.reader
    n_read = bot.cfg.reader_passages
    windows = {}
    for q in questions:
        ranked = bot.retriever.search(q, bot.store.embedder.encode_query(q), max(bot.cfg.k, n_read))
        windows[q] = [bot.store.passages[r.passage].text for r in ranked[:n_read]]
    for q in questions[:5]:  # warm-up
        bot.ask(q)
    encode = median_ms(lambda q: model.encode([q], normalize_embeddings=True, show_progress_bar=False), questions)
    forward = median_ms(lambda q: reader.logits(reader.encode(q, windows[q])), questions)
    ask = median_ms(bot.ask, questions)
    print(f"{len(questions)} questions; reader reads {n_read} passages per question")
    print(f"p50 ms: ask {ask:.1f} | bare encode {encode:.1f} | bare reader forward {forward:.1f}")
    print(f"ask / (encode + reader forward): {ask / (encode + forward):.2f} (goal <= 1.3)")
    print(f"ask / encode: {ask / encode:.2f}")
    print(f"configured precision: {bot.cfg.precision} -> {reader.precision}")
    for name, engine in engines.items():
        metrics = compute(run(engine, rows, progress=False), engine.cfg.threshold)
        print(f"{name}: answerable F1 {metrics['f1']:.3f}  EM {metrics['em']:.3f}  abstain {metrics['abstain']:.3f}  "
              f"false_abstain {metrics['false_abstain']:.3f}  p50 {metrics['p50_ms']:.1f} ms")


if __name__ == "__main__":
    main()
