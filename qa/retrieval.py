"""Hybrid retrieval: FAISS dense search and BM25 keyword search, fused by reciprocal rank.

Dense search finds paraphrases; BM25 finds exact names, numbers and rare words.
Reciprocal rank fusion needs no score calibration between the two.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

import faiss
import numpy as np

from .types import Hit, Passage

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not of off on
    once only or other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what when where which
    while who whom whose why will with would you your yours yourself yourselves""".split()
)
_WORD = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def composed(text: str) -> str:
    """``text`` in NFC: a file saved on a Mac may write "é" as "e" and a combining accent, which no word pattern
    takes for a letter ("Ferna", "ndez")."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def words(text: str) -> list[str]:
    """Lower-cased word tokens of the ``composed`` text; numbers like 173,000 or 10.5 stay whole."""
    return [w.lower() for w in _WORD.findall(composed(text))]


def fold_accents(word: str) -> str:
    """The word without accents: users often type "Levy" for "Lévy"."""
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def terms(text: str) -> list[str]:
    """BM25 terms: content words, accent-free and stemmed, so "provinces" finds "province" and
    "Regle" finds "Règle" (folded before stemming, which would otherwise cut the two apart)."""
    kept = [fold_accents(w) for w in words(text) if w not in STOPWORDS]
    return list(_stemmer().stemWords(kept)) if kept else []


@dataclass(frozen=True)
class Ranked:
    """A passage index with its fused score in [0, 1] (1 = ranked first by every retriever); ``copies``: lower-ranked
    passages of other places that only repeat it (a file saved twice), left out of the ranking."""

    passage: int
    fused: float
    copies: tuple[int, ...] = ()


COPY_SHARE = 0.8
"""A passage whose word triples are at least this share of a better-ranked passage's (elsewhere) is its copy."""
COPY_SCAN = 4


def shingles(text: str) -> frozenset[tuple[str, ...]]:
    """Word triples (or the whole text, if shorter): what two copies of a passage share whatever their edges."""
    w = words(text)
    return frozenset(zip(w, w[1:], w[2:])) if len(w) >= 3 else frozenset([tuple(w)])


class Retriever:
    def __init__(self, passages: Sequence[Passage], vectors: np.ndarray, candidates: int = 50,
                 rrf_k: int = 60, dense_weight: float = 1.0, bm25_weight: float = 1.0,
                 sentence_vecs: np.ndarray | None = None, sentence_owner: Sequence[int] = (),
                 sentence_weight: float = 0.0, contexts: Sequence[str] = ()) -> None:
        """``contexts``: per passage, text its keywords are indexed with (``splitter.lead_contexts``)."""
        import bm25s

        self.passages = list(passages)
        self.sentence_vecs = sentence_vecs if sentence_weight and sentence_vecs is not None else None
        self.sentence_owner = np.asarray(sentence_owner, dtype=np.int64)
        self.sentence_weight = sentence_weight
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.weights = (dense_weight, bm25_weight)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self.bm25 = bm25s.BM25()
        lead = list(contexts) or [""] * len(self.passages)
        corpus = [terms(f"{c} {p.text}") or ["\u2205"] for c, p in zip(lead, self.passages)]
        if corpus:
            self.bm25.index(corpus, show_progress=False)

    def _dense(self, qvec: np.ndarray, n: int) -> list[tuple[int, float]]:
        sims, ids = self.index.search(qvec.reshape(1, -1).astype(np.float32), n)
        return [(int(i), float(s)) for i, s in zip(ids[0], sims[0]) if i >= 0]

    def _keyword(self, question: str, n: int) -> list[tuple[int, float]]:
        query = [t for t in terms(question) if t in self.bm25.vocab_dict]
        if not query:
            return []
        ids, scores = self.bm25.retrieve([query], k=n, show_progress=False, n_threads=1)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]

    def _sentences(self, qvec: np.ndarray, n: int) -> list[tuple[int, float]]:
        """Passages ranked by their single best-matching sentence: finds a fact buried in a long passage."""
        if self.sentence_vecs is None or not len(self.sentence_vecs):
            return []
        sims = self.sentence_vecs @ qvec.ravel()
        best = np.full(len(self.passages), -1.0, dtype=np.float32)
        np.maximum.at(best, self.sentence_owner, sims)
        top = np.argsort(-best)[:n]
        return [(int(i), float(best[i])) for i in top if best[i] > -1.0]

    def search(self, question: str, qvec: np.ndarray, k: int) -> list[Ranked]:
        """The best ``k`` passages by weighted reciprocal rank fusion, best first."""
        n = min(max(self.candidates, k), len(self.passages))
        if n == 0:
            return []
        wd, wb = self.weights
        lists = [(wd, self._dense(qvec, n)), (self.sentence_weight, self._sentences(qvec, n)),
                 (wb, self._keyword(question, n))]
        fused: dict[int, float] = {}
        for weight, ranking in lists:
            for rank, (i, _) in enumerate(ranking):
                fused[i] = fused.get(i, 0.0) + weight / (self.rrf_k + rank + 1)
        best = self._distinct(sorted(fused.items(), key=lambda kv: -kv[1]), k)
        top = (wd + wb + (self.sentence_weight if self.sentence_vecs is not None else 0.0)) / (self.rrf_k + 1)
        return [Ranked(i, fused[i] / top, tuple(copies)) for i, copies in best]

    def _distinct(self, ranking: Sequence[tuple[int, float]], k: int) -> list[tuple[int, list[int]]]:
        """The first ``k`` passages of ``ranking`` that are not copies of a better one, each with its copies among
        the first ``COPY_SCAN * k`` (copies rank close together; a longer scan cost more than the search): a
        folder holding a file twice ("report.txt", "report (1).txt") filled the sources, and the reader's few
        passages, with the same text."""
        kept: list[tuple[int, list[int]]] = []
        seen: list[frozenset[tuple[str, ...]]] = []
        for n, (i, _) in enumerate(ranking):
            if len(kept) == k and n >= COPY_SCAN * k:
                break
            own = shingles(self.passages[i].text)
            twin = next((m for m, (j, _) in enumerate(kept) if self._copies(i, j, own, seen[m])), None)
            if twin is not None:
                kept[twin][1].append(i)
            elif len(kept) < k:
                kept.append((i, []))
                seen.append(own)
        return kept

    def _copies(self, i: int, j: int, own: frozenset[tuple[str, ...]], other: frozenset[tuple[str, ...]]) -> bool:
        """Whether passage ``i`` repeats passage ``j`` held elsewhere (overlapping passages of one document share
        sentences by design and are never copies)."""
        a, b = self.passages[i], self.passages[j]
        if a.doc == b.doc and a.start < b.end and b.start < a.end:
            return False
        return len(own & other) >= COPY_SHARE * len(own)

    def hit(self, ranked: Ranked) -> Hit:
        p = self.passages[ranked.passage]
        also = tuple(dict.fromkeys(d for d in (self.passages[c].doc for c in ranked.copies) if d != p.doc))
        return Hit(p.doc, p.start, p.end, p.text, score=round(ranked.fused, 4), page=p.page, passage=ranked.passage,
                   also=also)
