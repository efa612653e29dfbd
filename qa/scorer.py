"""Which of the reader's spans to give, and how sure to be: two small linear models over evidence.

The reader's span probability alone picks the right span for about 55% of the benchmark's answerable
questions when one of its top 20 spans would have been right for over 80%: it reads each window on
its own and never sees how well the span's sentence matches the question. The scorer adds that
evidence (the sentence's embedding similarity and shared rare words, whether it says the names the
question asks about, the passage's retrieval score, answer type, agreement between windows) to rank
the spans, and a second model turns a span's evidence into the confidence the abstention threshold
applies to.

Both models are fit by ``python -m qa train-scorer`` on SQuAD articles the reader never trained on
(weights in ``scorer.json`` beside the reader). A reader without that file is scored by hand-set
weights: the original rule of span probability discounted by passage rank and type misfit.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .extract import answer_type, fits_type
from .metrics import normalize_answer
from .question import named_phrases
from .reader import ReaderError
from .retrieval import terms

if TYPE_CHECKING:
    from .reader import SpanPrediction
    from .retrieval import Ranked
    from .store import Snapshot
    from .types import Passage

SCORER_NAME = "scorer.json"
FORMAT = "qa-scorer-v1"
REBUILD_COMMAND = "python -m qa train-scorer"

SPAN_FEATURES = (
    "log_span",             # the reader's span probability (log)
    "log_no_answer",        # the reader's no-answer probability for the span's passage (log)
    "passage_rank",         # 0 for the best retrieved passage, 1 for the next ...
    "type_fit",             # 1 when the span looks like what the question asks for (date, number, name)
    "sentence_similarity",  # cosine of the question and the span's sentence embeddings
    "sentence_coverage",    # share of the question's rare words (idf-weighted) in the span's sentence
    "retrieval",            # the passage's fused retrieval score in [0, 1]
    "echoes_question",      # 1 when every word of the span is already in the question
    "log_words",            # log(1 + words in the span)
    "log_votes",            # log of the summed span probability of every span with the same text
    "name_missing",         # share of the words of the question's names that the span's sentence lacks
)
CONFIDENCE_FEATURES = (
    "share",                # the span's share of the rank model's softmax over all spans
    "log_span", "log_no_answer", "passage_rank", "type_fit", "sentence_similarity", "sentence_coverage", "log_votes",
    "name_missing",
    "top_similarity",       # cosine of the question and the best retrieved passage
    "question_known",       # share of the question's words (idf-weighted) that the documents contain
)


class ScorerError(ReaderError):
    """The scorer file is corrupt or does not fit this version: part of the reader artifact, so the app
    treats it like a broken reader (the default one falls back to the heuristic extractor, with a warning)."""


@dataclass(frozen=True)
class Scored:
    """One candidate span of a document with its rank score and its confidence in [0, 1]."""

    doc: str
    start: int
    end: int
    rank: float
    confidence: float


@dataclass(frozen=True)
class Evidence:
    """Everything the scorer sees for one question: spans as document offsets and their features."""

    spans: tuple[tuple[str, int, int], ...]
    span_features: np.ndarray      # (len(spans), len(SPAN_FEATURES))
    question_features: np.ndarray  # (2,): top_similarity, question_known


_VOTES = SPAN_FEATURES.index("log_votes")


def _missing(wanted: set[str], present: frozenset[str]) -> float:
    """Share of ``wanted`` not in ``present`` (0 when nothing is wanted).

    SQuAD 2.0's unanswerable questions often swap in a name the answer's sentence never says ("Who
    wrote ... Science?" of a sentence about "... Algorithms"); on the held-out folds this raised
    abstention at <= 10% wrong abstentions from 0.400 / 0.090 to 0.431 / 0.117 with F1 level or better."""
    return sum(w not in present for w in wanted) / len(wanted) if wanted else 0.0


def gather(question: str, qvec: np.ndarray, store: "Snapshot", ranked: Sequence["Ranked"],
           passages: Sequence["Passage"], preds: Sequence["SpanPrediction"]) -> Evidence:
    """Features of every predicted span that lies within one sentence; the passages are ``ranked``'s first ones.

    A span across a sentence end is dropped, not discounted: the answer must sit inside the sentence quoted
    as its support, and the reader's crossing spans ("... a general computing machine. It is a theoretical
    device ...") were shown at up to 0.86 confidence. On the held-out SQuAD articles the best of the reader's
    spans crosses for only 2-3% of questions."""
    idf = store.term_idf()
    unseen = max(idf.values(), default=1.0)
    weights = {t: idf.get(t, unseen) for t in set(terms(question))}
    total = sum(weights.values()) or 1.0
    kind = answer_type(question)
    names = {t for phrase in named_phrases(question) for t in terms(phrase)}
    qvec = qvec.ravel()
    votes: dict[str, float] = {}
    rows, spans = [], []
    for pred in preds:
        p = passages[pred.context]
        start, end = p.start + pred.start, p.start + pred.end
        around = list(store.sentences_around(p.doc, start, end))
        if len(around) > 1:
            continue  # an answer is a span of one sentence, the quote that supports it (see above)
        text = store.text(p.doc)[start:end]
        shared = frozenset().union(*(store.sentence_terms(i) for i in around))
        span_terms = set(terms(text))
        key = normalize_answer(text)
        votes[key] = votes.get(key, 0.0) + pred.score
        spans.append((p.doc, start, end))
        rows.append([
            math.log(pred.score + 1e-9), math.log(pred.no_answer + 1e-9), float(pred.context),
            float(fits_type(text, kind)),
            max((float(store.sentence_vecs[i] @ qvec) for i in around), default=0.0),
            sum(w for t, w in weights.items() if t in shared) / total,
            ranked[pred.context].fused, float(bool(span_terms) and span_terms <= weights.keys()),
            math.log(1 + len(text.split())), key,
            _missing(names, shared),
        ])
    for row in rows:
        row[_VOTES] = math.log(votes[row[_VOTES]] + 1e-9)
    top = float(store.passage_vecs[ranked[0].passage] @ qvec) if ranked else 0.0
    known = sum(w for t, w in weights.items() if t in idf) / total
    return Evidence(tuple(spans), np.array(rows, dtype=np.float64).reshape(len(rows), len(SPAN_FEATURES)),
                    np.array([top, known]))


def confidence_features(evidence: Evidence, share: np.ndarray) -> np.ndarray:
    """One row of CONFIDENCE_FEATURES per span."""
    f = evidence.span_features
    col = {name: f[:, i] for i, name in enumerate(SPAN_FEATURES)}
    n = len(f)
    q = {"top_similarity": np.full(n, evidence.question_features[0]),
         "question_known": np.full(n, evidence.question_features[1]), "share": share}
    return np.stack([q[name] if name in q else col[name] for name in CONFIDENCE_FEATURES], axis=1) if n \
        else np.zeros((0, len(CONFIDENCE_FEATURES)))


def softmax(x: np.ndarray) -> np.ndarray:
    if not len(x):
        return x
    e = np.exp(x - x.max())
    return e / e.sum()


@dataclass(frozen=True)
class AnswerScorer:
    """rank = span features . rank_weights; confidence = sigmoid(confidence features . weights + bias)."""

    rank_weights: np.ndarray
    confidence_weights: np.ndarray
    confidence_bias: float
    info: dict[str, Any] | None = None

    def score(self, evidence: Evidence) -> list[Scored]:
        """The spans best first, each with its confidence."""
        rank = evidence.span_features @ self.rank_weights
        conf = confidence_features(evidence, softmax(rank)) @ self.confidence_weights + self.confidence_bias
        conf = 1.0 / (1.0 + np.exp(-conf))
        out = [Scored(d, s, e, float(r), float(c)) for (d, s, e), r, c in zip(evidence.spans, rank, conf)]
        return sorted(out, key=lambda x: -x.rank)

    @classmethod
    def hand_set(cls) -> "AnswerScorer":
        """The original rule, for readers without a fitted scorer: span probability, x0.15 per passage
        rank, x0.5 for a type misfit (a span across a sentence end is never gathered); confidence
        span / (span + no answer), with a type misfit's span counted at 0.3 of its probability."""
        rank = dict.fromkeys(SPAN_FEATURES, 0.0) | {
            "log_span": 1.0, "passage_rank": math.log(0.15), "type_fit": -math.log(0.5)}
        conf = dict.fromkeys(CONFIDENCE_FEATURES, 0.0) | {
            "log_span": 1.0, "log_no_answer": -1.0, "type_fit": -math.log(0.3)}
        return cls(np.array([rank[n] for n in SPAN_FEATURES]), np.array([conf[n] for n in CONFIDENCE_FEATURES]),
                   math.log(0.3))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT,
                "rank_weights": dict(zip(SPAN_FEATURES, map(float, self.rank_weights))),
                "confidence_weights": dict(zip(CONFIDENCE_FEATURES, map(float, self.confidence_weights))),
                "confidence_bias": float(self.confidence_bias), "info": self.info or {}}

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / SCORER_NAME
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: str | Path) -> "AnswerScorer":
        """The fitted scorer beside a reader, or the hand-set one when the reader has none."""
        path = Path(folder) / SCORER_NAME
        if not path.is_file():
            return cls.hand_set()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError("unknown format")
            missing = [n for n in SPAN_FEATURES if n not in data["rank_weights"]] + \
                [n for n in CONFIDENCE_FEATURES if n not in data["confidence_weights"]]
            if missing:
                raise ValueError(f"no weight for {', '.join(dict.fromkeys(missing))}: fit by an older version of qa")
            rank = [float(data["rank_weights"][n]) for n in SPAN_FEATURES]
            conf = [float(data["confidence_weights"][n]) for n in CONFIDENCE_FEATURES]
            bias = float(data["confidence_bias"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ScorerError(f"answer scorer {path} is corrupt or out of date ({exc}); rebuild it with `{REBUILD_COMMAND}` "
                              "or delete it to use the hand-set rule") from exc
        if not all(map(math.isfinite, rank + conf + [bias])):
            raise ScorerError(f"answer scorer {path} holds non-finite weights; rebuild it with `{REBUILD_COMMAND}`")
        return cls(np.array(rank), np.array(conf), bias, data.get("info"))
