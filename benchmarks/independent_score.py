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


def main() -> None:
    questions = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    run = json.load(open(sys.argv[2], encoding="utf-8"))
    preds = {q["question"]: (q["prediction"] or "") for q in run["questions"]}
    has_em, has_f1, no_ans = [], [], []
    for q in questions:
        pred = preds[q["question"]]
        golds = [a for a in q["answers"] if normalize_answer(a)] or [""]
        em = max(compute_exact(a, pred) for a in golds)
        f1 = max(compute_f1(a, pred) for a in golds)
        if q["answers"]:
            has_em.append(em)
            has_f1.append(f1)
        else:
            no_ans.append(em)
    ours = {"em": run["em"], "f1": run["f1"], "abstain": run["abstain"]}
    theirs = {"em": sum(has_em) / len(has_em), "f1": sum(has_f1) / len(has_f1), "abstain": sum(no_ans) / len(no_ans)}
    for key in ours:
        flag = "agree" if abs(ours[key] - theirs[key]) < 1e-9 else "DISAGREE"
        print(f"{key:8s} qa eval {ours[key]:.4f}  official rules {theirs[key]:.4f}  {flag}")
    sys.exit(0 if all(abs(ours[k] - theirs[k]) < 1e-9 for k in ours) else 1)


if __name__ == "__main__":
    main()
