"""How often each check of ``qa.question.Bearing`` objects to the gold answer of a SQuAD 2.0 file's questions.

The checks withhold an answer whose sentence does not bear the question out (its "not", an opposite word, its
year or another number, the number or day it asks for). Each was chosen on the training articles before either
evaluation set was scored; this prints, per check, how many answerable questions it would wrongly object to
(their gold answer, in its sentence and paragraph) against how many unanswerable ones it marks (their
"plausible answer", the span SQuAD 2.0's writers had in mind).

    python benchmarks/bearing_checks.py [--squad data/squad2-train-10articles.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.question import Bearing  # noqa: E402
from qa.splitter import sentence_spans  # noqa: E402

CHECKS = {  # each check alone: a Bearing holding only the fields it reads
    "count or measure": lambda b: Bearing(asks=b.asks if b.asks == "number" else ""),
    "measure's unit": lambda b: Bearing(asks=b.asks if b.asks == "number" else "", measure=b.measure),
    "day": lambda b: Bearing(asks=b.asks if b.asks == "day" else ""),
    "not": lambda b: Bearing(negated=b.negated),
    "opposite word": lambda b: Bearing(contrasts=b.contrasts, words=b.words, prefixed=b.prefixed),
    "year": lambda b: Bearing(years=b.years, options=b.options),
    "code": lambda b: Bearing(codes=b.codes),
    "number": lambda b: Bearing(numbers=b.numbers, options=b.options),
}


def tally(path: str) -> tuple[Counter, Counter, int, int]:
    """Objections per check (each alone, then "any") to answerable and to unanswerable questions, and how many
    of each there are."""
    answerable, unanswerable = Counter(), Counter()
    counts = [0, 0]
    for article in json.loads(Path(path).read_text(encoding="utf-8"))["data"]:
        for para in article["paragraphs"]:
            ctx = para["context"]
            units = sentence_spans(ctx)
            for q in para["qas"]:
                impossible = bool(q.get("is_impossible"))
                counts[impossible] += 1
                gold = (q.get("plausible_answers") if impossible else q["answers"]) or []
                if not gold:
                    continue
                at = gold[0]["answer_start"]
                unit = next((u for u in units if u.start <= at < u.end), None)
                if unit is None:
                    continue
                bearing, sentence = Bearing.of(q["question"]), ctx[unit.start:unit.end]
                tally = unanswerable if impossible else answerable
                for name, only in CHECKS.items():
                    tally[name] += bool(only(bearing).objection(sentence, gold[0]["text"], ctx))
                tally["any"] += bool(bearing.objection(sentence, gold[0]["text"], ctx))
    return answerable, unanswerable, counts[0], counts[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", default="data/squad2-train-10articles.json", help="SQuAD 2.0 JSON file")
    args = parser.parse_args()
    answerable, unanswerable, n_ans, n_un = tally(args.squad)
    print(f"{'check':18s} {'answerable (wrong)':>20s} {'unanswerable (marked)':>22s}")
    for name in [*CHECKS, "any"]:
        print(f"{name:18s} {answerable[name]:>11d} of {n_ans:<6d} {unanswerable[name]:>11d} of {n_un:<6d}")


if __name__ == "__main__":
    main()
