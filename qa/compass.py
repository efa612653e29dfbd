"""Answers to "Which provinces border Panjshir to the north?": the names the text binds to that direction.

Writers list neighbours in one sentence ("It is surrounded by Baghlan and Takhar in the north, Badakhshan and
Nuristan in the east, Laghman and Kapisa in the south, and Parwan in the west"), and the reader, seeing four
lists of the same kind, picked "Parwan" for the east and a name from another sentence for the north. Which list
goes with which direction is fixed by a few shapes ("X in the north", "to the north lies X", "bordered on the
north by X", "north of it is X"), so it is read off the text, not guessed.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from .extract import YES_NO_PASSAGES, Candidate, gate
from .retrieval import STOPWORDS, Ranked

if TYPE_CHECKING:
    from .store import Snapshot

_POINT = r"(?:north|south)(?:[- ]?(?:east|west))?|east|west"
_DIRECTION = re.compile(rf"\b({_POINT})(?:ern)?\b(?!\s+(?-i:[A-Z]))", re.IGNORECASE)  # not of a name: "southern Italy"
_NAME = r"[A-Z][\w'\u2019.-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w'\u2019.-]*)*"
_NAMES = rf"{_NAME}(?:(?:,\s+|,?\s+and\s+){_NAME})*"
_VERB = r"(?:is|are|was|were|lies|lie|lay|sits|sit|stands|stand|borders?|bordered\s+by|by)"
_NAMES_BEFORE = re.compile(rf"(?<![\w'\u2019-])({_NAMES})\s+$")
_NAMES_AFTER = re.compile(rf",?\s+{_VERB}\s+(?:the\s+)?({_NAMES})")
_OF_IT = re.compile(rf"\s+of\s+[^,;.]{{1,40}}?\s+{_VERB}\s+(?:the\s+)?({_NAMES})")
_DECAY = 0.9
"""Each later span found counts this much less: the best passage comes first."""


def asked_direction(question: str) -> str | None:
    """The one compass point a question asks about ("to the north", "south of", "northern neighbour") as "north",
    "south-east" ...; None for none, for two ("north or south?"), and for one that is part of a place's name
    ("Western Europe", "southern Italy")."""
    found = {_point(m.group(1)) for m in _DIRECTION.finditer(question)}
    return found.pop() if len(found) == 1 else None


def _point(word: str) -> str:
    """"North East", "northeast" and "north-east" are one point."""
    word = word.lower().replace(" ", "").replace("-", "")
    return word if word in ("north", "south", "east", "west") else f"{word[:5]}-{word[5:]}"


def direction_candidates(question: str, direction: str, store: "Snapshot", ranked: Sequence[Ranked],
                         candidates: Sequence[Candidate]) -> list[Candidate]:
    """The names the best passages that name the question's places bind to ``direction``, gated by the
    extractor's best score (whether the documents speak to the question at all), then the extractor's spans
    that reach into names bound to another direction left out."""
    best_score = gate(candidates)
    names = _question_names(question)
    found: list[Candidate] = []
    elsewhere: set[tuple[str, int, int]] = set()
    for r in ranked[:YES_NO_PASSAGES]:
        p = store.passages[r.passage]
        text = store.text(p.doc)
        if not all(n in text[p.start:p.end] for n in names):
            continue
        for point, start, end in bound_names(text, p.start, p.end):
            if point != direction:
                elsewhere.add((p.doc, start, end))
            elif not any((c.doc, c.start) == (p.doc, start) for c in found):
                found.append(Candidate(p.doc, start, end, best_score * _DECAY ** len(found)))
    if not found:
        return list(candidates)
    return found + [c for c in candidates if not any(c.doc == d and c.start < e and s < c.end
                                                     for d, s, e in elsewhere)]


def _question_names(question: str) -> list[str]:
    """The question's capitalised words after its first, but for compass points ("Panjshir"; not "Which")."""
    words = re.findall(r"(?<=\s)[A-Z][\w'\u2019-]*", question)
    return [w.removesuffix("'s").removesuffix("\u2019s") for w in words
            if w.lower() not in STOPWORDS and not _DIRECTION.fullmatch(w)]


def bound_names(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """Each compass point in ``text[start:end]`` with the names bound to it: ``(point, name_start, name_end)``."""
    out: list[tuple[str, int, int]] = []
    for m in re.finditer(rf"\b(?:(?:in|to|on|at)\s+the\s+({_POINT})(?:ern)?(?:\s+(?:side|part|border))?|({_POINT}))\b",
                         text[start:end], re.IGNORECASE):
        at, point = start + m.start(), _point(m.group(1) or m.group(2))
        after = (_NAMES_AFTER if m.group(1) else _OF_IT).match(text, start + m.end(), end)
        if after:
            out.append((point, after.start(1), _unstopped(text, after.start(1), after.end(1))))
        before = _NAMES_BEFORE.search(text, max(start, text.rfind("\n", 0, at) + 1), at) if m.group(1) else None
        if before:
            s = before.start(1) + (4 if text.startswith("and ", before.start(1)) else 0)
            out.append((point, s, before.end(1)))
    return out


def _unstopped(text: str, start: int, end: int) -> int:
    """The end of a name without the full stop of its sentence ("the State of New York."), but an abbreviation's
    ("Washington, D.C.") kept."""
    last = text[start:end].split()[-1]
    return end - 1 if last.endswith(".") and len(last) > 4 and "." not in last[:-1] else end
