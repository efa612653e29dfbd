"""Fit the answer scorer (``qa.scorer``) of a reader on SQuAD articles that reader never trained on.

Rebuild the shipped scorer (about 90 minutes, nearly all of it the two reader runs)::

    python -m qa train-reader --hold-out "Spectre_(2015_film),To_Kill_a_Mockingbird" --out runs/holdout-a --no-dev-eval
    python -m qa train-reader --hold-out "The_Legend_of_Zelda:_Twilight_Princess,IPod" --out runs/holdout-b --no-dev-eval
    python -m qa train-scorer --reader runs/holdout-a runs/holdout-b

The held-out articles are asked through the same ``retrieve`` and reader path as ``ask()``; the
scorer learns from each held-out reader's spans on the articles it never saw and is saved beside the shipped reader (``--out``),
which trained on every article. Fitting it on a reader's own training questions would teach it to
trust the reader far more than it deserves on new text.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import metrics as m
from . import reader as rd
from .scorer import CONFIDENCE_FEATURES, SPAN_FEATURES, AnswerScorer, Evidence, confidence_features, softmax
from .train_reader import DEFAULT_DATA, split_titles

Group = tuple[Evidence, np.ndarray, bool]  # evidence, each span's F1 against the gold answers, answerable


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m qa train-scorer", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reader", required=True, nargs="+",
                   help="one or more readers made by train-reader --hold-out (each held out different articles)")
    p.add_argument("--data", default=DEFAULT_DATA, help="the SQuAD 2.0 JSON the reader was trained from")
    p.add_argument("--out", default=str(rd.DEFAULT_DIR), help="reader folder to save scorer.json into")
    p.add_argument("--l2", type=float, default=1.0, help="ridge penalty on the standardised weights")
    p.add_argument("--limit", type=int, default=None, help="use the first N held-out questions (for tests)")
    return p.parse_args(argv)


def held_out_titles(reader_dir: Path) -> list[str]:
    """The articles ``reader_dir``'s reader never saw, from its config."""
    try:
        config = json.loads((reader_dir / rd.CONFIG_NAME).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{reader_dir} holds no readable reader made by train-reader ({exc})") from None
    titles = split_titles(str(config.get("hyperparameters", {}).get("hold_out") or ""))
    if not titles:
        raise ValueError(f"the reader in {reader_dir} trained on every article; train one with "
                         "`python -m qa train-reader --hold-out TITLES` to fit the scorer on")
    return titles


def write_articles(data_path: str | Path, titles: Sequence[str] | None, folder: Path) -> list[dict[str, Any]]:
    """The held-out articles (``None``: every article) as documents (paragraphs one blank line apart) and
    their questions."""
    data = json.loads(Path(data_path).read_text(encoding="utf-8"))["data"]
    questions = []
    for article in data:
        if titles is not None and article.get("title") not in titles:
            continue
        (folder / f"{article['title']}.txt").write_text(
            "\n\n".join(p["context"] for p in article["paragraphs"]) + "\n", encoding="utf-8")
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                golds = [] if qa.get("is_impossible") else [a["text"] for a in qa["answers"]]
                questions.append({"question": qa["question"], "answers": golds})
    return questions


def collect(reader_dir: Path, data_path: str | Path, titles: Sequence[str], limit: int | None = None) -> list[Group]:
    """Every held-out question asked through ``retrieve`` and the reader: its spans' evidence and F1."""
    from .pipeline import load

    with tempfile.TemporaryDirectory(prefix="qa-scorer-") as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        questions = write_articles(data_path, titles, docs)[:limit]
        bot = load(docs=docs, index=Path(tmp) / "index", reader=str(reader_dir))
        groups = []
        for row in questions:
            snap, ev = bot.evidence(row["question"])
            f1 = np.array([m.best(m.f1, row["answers"], snap.text(d)[s:e]) if row["answers"] else 0.0
                           for d, s, e in ev.spans])
            groups.append((ev, f1, bool(row["answers"])))
    return groups


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x.mean(0), np.where(x.std(0) > 1e-9, x.std(0), 1.0)


def fit_rank(groups: Sequence[Group], l2: float) -> np.ndarray:
    """Span weights maximising each question's softmax likelihood of its spans, in proportion to their F1."""
    from scipy.optimize import minimize

    usable = [(ev.span_features, f1 / f1.sum()) for ev, f1, _ in groups if len(f1) and f1.sum() > 0]
    mu, sd = _standardise(np.concatenate([x for x, _ in usable]))
    scaled = [((x - mu) / sd, t) for x, t in usable]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for z, target in scaled:
            p = softmax(z @ w)
            total -= float(target @ np.log(p + 1e-12))
            grad = grad - z.T @ (target - p)
        return total, grad

    w = minimize(loss, np.zeros(len(mu)), jac=True, method="L-BFGS-B").x
    return w / sd  # the mean shifts every span of a question alike, so it drops out of the ranking


def span_rows(groups: Sequence[Group], rank_weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The confidence features and F1 of every span of every question (0 for unanswerable).

    Every span, not just each question's best-ranked one: ``ask()`` reports the alternatives with their
    confidence too, so it must mean the same for all of them. On the two held-out folds this also
    separated unanswerable questions better (abstention at <= 10% wrong abstentions 0.356 / 0.074 ->
    0.400 / 0.090 per fold, F1 level).
    """
    rows, labels = [], []
    for ev, f1, _ in groups:
        if not len(f1):
            continue
        rows.append(confidence_features(ev, softmax(ev.span_features @ rank_weights)))
        labels.append(f1)
    width = len(CONFIDENCE_FEATURES)
    return (np.concatenate(rows), np.concatenate(labels)) if rows else (np.zeros((0, width)), np.zeros(0))


def fit_confidence(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Logistic regression of a span's F1 (a soft label) on its confidence features."""
    from scipy.optimize import minimize

    mu, sd = _standardise(x)
    z = (x - mu) / sd

    def loss(wb: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = wb[:-1], wb[-1]
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        nll = -float(np.sum(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
        g = p - y
        return nll + l2 * float(w @ w), np.append(z.T @ g + 2 * l2 * w, g.sum())

    wb = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B").x
    w = wb[:-1] / sd
    return w, float(wb[-1] - mu @ w)


def summary(groups: Sequence[Group], scorer: AnswerScorer) -> dict[str, float]:
    """Top-1 F1 and abstention at <= 10% false abstention on the fitting articles (in sample)."""
    best, conf, answerable = [], [], []
    for ev, f1, ok in groups:
        scored = scorer.score(ev)
        top = scored[0] if scored else None
        best.append(0.0 if top is None else float(f1[ev.spans.index((top.doc, top.start, top.end))]))
        conf.append(0.0 if top is None else top.confidence)
        answerable.append(ok)
    best_a, conf_a, ok_a = np.array(best), np.array(conf), np.array(answerable)
    threshold = np.quantile(conf_a[ok_a], 0.10) if ok_a.any() else 0.0
    return {"top1_f1": round(float(best_a[ok_a].mean()), 4),
            "abstain_at_fa_0.10": round(float((conf_a[~ok_a] < threshold).mean()), 4) if (~ok_a).any() else 0.0}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    readers = [(Path(r), held_out_titles(Path(r))) for r in args.reader]
    titles = [t for _, held in readers for t in held]
    if len(set(titles)) < len(titles):
        raise ValueError("two of the readers held out the same article; its questions would count twice")
    groups = [g for folder, held in readers for g in collect(folder, args.data, held, args.limit)]
    rank = fit_rank(groups, args.l2)
    conf, bias = fit_confidence(*span_rows(groups, rank), args.l2)
    hand = summary(groups, AnswerScorer.hand_set())
    scorer = AnswerScorer(rank, conf, bias)
    fitted = summary(groups, scorer)
    info = {"held_out": titles, "questions": len(groups), "answerable": sum(ok for *_, ok in groups),
            "l2": args.l2, "hand_set": hand, "fitted": fitted, "seconds": round(time.perf_counter() - began, 1),
            "command": " ".join(["python -m qa train-scorer", *(argv if argv is not None else sys.argv[1:])])}
    path = AnswerScorer(rank, conf, bias, info).save(args.out)
    print(f"scorer: {len(groups)} held-out questions of {', '.join(titles)} ({len(readers)} reader(s)); in sample, top-1 F1 "
          f"{hand['top1_f1']:.3f} -> {fitted['top1_f1']:.3f}, abstain at false abstain 0.10 "
          f"{hand['abstain_at_fa_0.10']:.3f} -> {fitted['abstain_at_fa_0.10']:.3f}; saved {path}")
    print("rank weights: " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(SPAN_FEATURES, rank)))
    print("confidence weights: " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(CONFIDENCE_FEATURES, conf)))
    return 0
