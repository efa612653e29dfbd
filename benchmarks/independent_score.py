"""Re-score a `qa eval --json` run with the official SQuAD 2.0 scoring rules, written out independently.

The official script (evaluate-v2.0.py) scores a prediction of "" as "no answer"; we map our abstentions
(prediction null) to "" and compare its HasAns_exact / HasAns_f1 / NoAns accuracy with our em / f1 /
abstain. Run: python -m qa eval QUESTIONS --json > run.json; python benchmarks/independent_score.py QUESTIONS run.json
"""
from __future__ import annotations

import collections
import json
import re
import string
import sys


def normalize_answer(s: str) -> str:
    """Verbatim from the official SQuAD v2.0 evaluation script."""
    def remove_articles(text: str) -> str:
        return re.sub(re.compile(r"\b(a|an|the)\b", re.UNICODE), " ", text)

    def white_space_fix(text: str) -> str:
        return " ".join(text.split())

    def remove_punc(text: str) -> str:
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def get_tokens(s: str) -> list[str]:
    return normalize_answer(s).split() if s else []


def compute_exact(a_gold: str, a_pred: str) -> int:
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def compute_f1(a_gold: str, a_pred: str) -> float:
    gold_toks, pred_toks = get_tokens(a_gold), get_tokens(a_pred)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return float(gold_toks == pred_toks)
    if num_same == 0:
        return 0.0
    precision, recall = num_same / len(pred_toks), num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


def question_rows(path: str) -> list[dict]:
    """The question file's rows, each with the id `qa eval` gives it (its own, else "q<line number>")."""
    rows = []
    with open(path, encoding="utf-8-sig") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                row = json.loads(line)
                if not row.get("needs_answer"):
                    rows.append(dict(row, id=str(row.get("id", f"q{n}"))))
    return list({r["id"]: r for r in rows}.values())


def score(questions: list[dict], run: dict) -> dict[str, float]:
    """HasAns exact / f1 and NoAns accuracy under the official rules, matched by id: two questions may read
    the same ("When was he born?" asked of two people in a conversation set)."""
    preds = {str(q["id"]): (q["prediction"] or "") for q in run["questions"]}
    has_em, has_f1, no_ans = [], [], []
    for q in questions:
        pred = preds[q["id"]]
        golds = [a for a in q["answers"] if normalize_answer(a)] or [""]
        em = max(compute_exact(a, pred) for a in golds)
        f1 = max(compute_f1(a, pred) for a in golds)
        if q["answers"]:
            has_em.append(em)
            has_f1.append(f1)
        else:
            no_ans.append(em)
    mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
    return {"em": mean(has_em), "f1": mean(has_f1), "abstain": mean(no_ans)}


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Re-score a `qa eval --json` run with the official SQuAD 2.0 rules.")
    parser.add_argument("questions", help="the JSONL question set the run asked")
    parser.add_argument("run", help="the run: `python -m qa eval QUESTIONS --json > RUN.json`")
    args = parser.parse_args()
    run = json.load(open(args.run, encoding="utf-8"))
    ours = {"em": run["em"], "f1": run["f1"], "abstain": run["abstain"]}
    theirs = score(question_rows(args.questions), run)
    same = {k: (ours[k] is None and theirs[k] is None) or (ours[k] is not None and theirs[k] is not None
                                                           and abs(ours[k] - theirs[k]) < 1e-9) for k in ours}
    for key in ours:
        show = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
        print(f"{key:8s} qa eval {show(ours[key])}  official rules {show(theirs[key])}  "
              f"{'agree' if same[key] else 'DISAGREE'}")
    sys.exit(0 if all(same.values()) else 1)


if __name__ == "__main__":
    main()
