"""SQuAD's answer normalisation and scores, exactly as the official v2.0 script computes them."""
from __future__ import annotations

import collections
import re
import string
import unicodedata
from typing import Iterable, Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation)


def normalize_answer(s: str) -> str:
    """Lower-case, drop punctuation and articles, squeeze whitespace (SQuAD's rules, quirks included)."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCT)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def _tokens(s: str) -> list[str]:
    return normalize_answer(s).split() if s else []


def exact(gold: str, pred: str) -> float:
    return float(normalize_answer(gold) == normalize_answer(pred))


def f1(gold: str, pred: str) -> float:
    g, p = _tokens(gold), _tokens(pred)
    if not g or not p:
        return float(g == p)
    common = collections.Counter(g) & collections.Counter(p)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def best(metric, golds: Sequence[str], pred: str | None) -> float:  # type: ignore[no-untyped-def]
    """Max over gold answers; an unanswerable question is right only when we abstain (SQuAD 2.0)."""
    if not golds:
        return float(pred is None)
    if pred is None:
        return 0.0
    return max(metric(g, pred) for g in golds)


def _loose(s: str) -> str:
    """SQuAD normalisation that also drops Unicode punctuation (curly quotes glued to words)."""
    return normalize_answer("".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in s))


def contains_answer(text: str | None, golds: Iterable[str]) -> bool:
    """Whether a passage or quote holds a gold answer, as whole words after normalisation."""
    if text is None:
        return False
    norm = f" {_loose(text)} "
    return any(_loose(g) and f" {_loose(g)} " in norm for g in golds)


def find_answer(text: str, gold: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """Where in ``text[start:end]`` ``gold`` occurs as ``contains_answer`` counts it: whole words, case,
    punctuation and articles aside ("Porto, Portugal" for "Porto Portugal"; not "lid" inside "lids")."""
    words = _loose(gold).split()
    if not words:
        return None
    gap = r"[\W_]+(?:(?:a|an|the)[\W_]+)*"
    pattern = r"(?<![^\W_])" + gap.join(map(re.escape, words)) + r"(?![^\W_])"
    found = re.compile(pattern, re.IGNORECASE).search(text, start, len(text) if end is None else end)
    return found.span() if found else None
