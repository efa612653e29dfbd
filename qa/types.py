"""Small frozen records that flow between the stages.

Every record that shows text also carries ``doc``, ``start`` and ``end`` so that
``document_text[start:end] == text`` can be checked for any quote we show.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Span:
    """A verbatim piece of one document."""

    doc: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Sentence(Span):
    """A sentence; ``passage`` is the index of the first passage holding it."""

    passage: int = -1


@dataclass(frozen=True)
class Passage(Span):
    """The unit we embed and retrieve; ``page`` is 1-based for PDFs, else None."""

    page: int | None = None


@dataclass(frozen=True)
class Hit(Span):
    """A retrieved passage with its fused retrieval score (higher is better); ``also``: other documents holding a
    copy of it, left out of the ranking in its favour."""

    score: float = 0.0
    page: int | None = None
    passage: int = -1
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Quote(Span):
    """The supporting sentence(s) around an answer span."""

    page: int | None = None


@dataclass(frozen=True)
class Answer:
    """The result of ``ask()``: a verbatim span or ``text=None`` when we abstain."""

    question: str
    text: str | None
    doc: str | None = None
    start: int | None = None
    end: int | None = None
    score: float = 0.0
    quote: Quote | None = None
    sources: tuple[Hit, ...] = ()
    alternatives: tuple["Answer", ...] = field(default=())
    message: str | None = None  # why there is no answer, or how to read the one given (a yes/no question)
    resolved: str | None = None  # the question as answered, when a follow-up's pronoun was resolved

    @property
    def abstained(self) -> bool:
        return self.text is None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (alternatives without their own sources, question, message or resolved
        question: those are the answer's)."""
        return {
            "question": self.question,
            "text": self.text,
            "doc": self.doc,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "quote": self.quote.to_dict() if self.quote else None,
            "sources": [h.to_dict() for h in self.sources],
            "alternatives": [
                {k: v for k, v in a.to_dict().items()
                 if k not in ("sources", "alternatives", "question", "message", "resolved")}
                for a in self.alternatives
            ],
            "message": self.message,
            "resolved": self.resolved,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Answer":
        """The Answer that ``to_dict()`` wrote (from JSON a service or the web chat kept), to pass back to
        ``ask(history=...)``; TypeError, KeyError, ValueError or AttributeError for a dict that is not one."""
        quote = Quote(**data["quote"]) if data.get("quote") else None
        sources = tuple(Hit(**{**h, "also": tuple(h.get("also") or ())}) for h in data.get("sources") or ())
        alternatives = tuple(cls.from_dict(a) for a in data.get("alternatives") or ())
        return cls(question=data.get("question", ""), text=data.get("text"), doc=data.get("doc"),
                   start=data.get("start"), end=data.get("end"), score=float(data.get("score") or 0.0),
                   quote=quote, sources=sources, alternatives=alternatives, message=data.get("message"),
                   resolved=str(data["resolved"]) if data.get("resolved") else None)
