"""Answers to "Who is <a name>?": what the documents call that person, not another name.

The reader saw 3 such questions among the 4,719 it was trained on, and answered "Who is Stephen Cook?" with
"Leonid Levin", named beside him, and "Who is Margaret Holloway?" with her successor. Writers describe a person
where they name them, in a few fixed shapes, so those are read off the sentences that name the person:
"Tomasz Nowak, the former head of engineering" (apposition), "Ahmad Massoud is an Afghan politician" (copula),
"the Taliban spokesman Mohammad Naeem" and "First Vice President Amrullah Saleh" (a role before the name), "The
current chief executive is Daniel Okafor" and "Principal conductor: Luis Ortega" (a role said before the name).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from .extract import YES_NO_PASSAGES, Candidate, gate, whole_name
from .question import TITLE_WORDS
from .retrieval import STOPWORDS, Ranked

if TYPE_CHECKING:
    from .store import Snapshot

MAX_WORDS = 10
"""Longer descriptions are cut before a clause ("an other Norman adventurer previously elevated to ...")."""
_COPULA = r"\s+(?:is|was|are|were|became|becomes|remains|remained)\s+"
_CLAUSE = re.compile(r"\s+(?:who|whom|whose|which|that|previously|later|since|after|before|during|when|where|while|"
                     r"as|in|at|from|with|by|for|until|between)\b")
_PHRASE = r"[^,;:.()\"\u201c\u201d]+"
_AFTER = re.compile(rf"(?:,\s+|{_COPULA})((?:a|an|the|one of the)\s{_PHRASE})|{_COPULA}((?i:{TITLE_WORDS})\b{_PHRASE})")
_ROLE_BEFORE = re.compile(r"\b(?:the|a|an|of)\s+((?:(?!(?:the|a|an|of)\b)[\w'\u2019-]+\s+){0,3}[a-z][\w-]*)\s+$")
_TITLE_BEFORE = re.compile(rf"((?:[A-Z][\w-]*\s+){{0,3}}(?:{TITLE_WORDS})\s+)$")
_ROLE_IS = re.compile(r"(?<![\w-])(?i:the|a|an|our|its|their|his|her)\s+((?:[a-z][\w'-]*\s+){0,4}[a-z][\w'-]*)"
                      r"\s+(?:is|was|remains|remained)\s+$")
"""A role said before the name it is: "The current chief executive is Daniel Okafor"."""
_LABEL = re.compile(r"^[\s*\u2022-]*([A-Z][\w'-]*(?:\s+[\w'-]+){0,4}?)\s*:\s*$")
"""A list's label before a name, on a line of its own: "Principal conductor: Luis Ortega"."""
_DESCRIBED = 0.9
"""Each later description found counts this much less: a person is described where first named."""


def description_candidates(name: str, store: "Snapshot", ranked: Sequence[Ranked],
                           candidates: Sequence[Candidate]) -> list[Candidate]:
    """What the best passages call ``name``, first mention first, gated by the extractor's best score (whether
    the documents speak to the question at all), then the extractor's own spans."""
    best_score = gate(candidates)
    found: list[Candidate] = []
    for doc, start, end in _mentions(name, store, ranked[:YES_NO_PASSAGES]):
        for s, e in _descriptions(store.text(doc), start, end):
            found.append(Candidate(doc, s, e, best_score * _DESCRIBED ** len(found)))
    return found + list(candidates)


def _mentions(name: str, store: "Snapshot", ranked: Sequence[Ranked]) -> list[tuple[str, int, int]]:
    """Where the passages name ``name`` (grown to the whole name: "Naeem" -> "Mohammad Naeem"), in reading order."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    seen: set[tuple[str, int]] = set()
    out: list[tuple[str, int, int]] = []
    for r in ranked:
        p = store.passages[r.passage]
        text = store.text(p.doc)
        for m in pattern.finditer(text, p.start, p.end):
            start, end = whole_name(text, m.start(), m.end())
            if (p.doc, start) not in seen:
                seen.add((p.doc, start))
                out.append((p.doc, start, end))
    return out


def _descriptions(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The descriptions of the name at [start, end) in ``text``: a role before it, then what follows it."""
    out: list[tuple[int, int]] = []
    line_start = max(text.rfind("\n", 0, start) + 1, start - 80)
    before = text[line_start:start]
    m = _LABEL.search(before) or _ROLE_IS.search(before) or _TITLE_BEFORE.search(before) or _ROLE_BEFORE.search(before)
    if m and not set(m.group(1).lower().split()) & STOPWORDS - {"us"}:
        out.append((line_start + m.start(1), line_start + m.start(1) + len(m.group(1).rstrip())))
    after = _AFTER.match(text, end, min(len(text), end + 300))
    if after:  # "Nowak, the former head of engineering"; "Holloway remained chief executive until ..." (a bare role)
        s, e = after.span(1) if after.group(1) else after.span(2)
        phrase, bare = text[s:e], not after.group(1)  # a bare role ends where a clause begins: "chief executive"
        if (bare or len(phrase.split()) > MAX_WORDS) and (cut := _CLAUSE.search(phrase, len(phrase.split()[0]) + 1)):
            e = s + cut.start()
        e = s + len(text[s:e].rstrip())
        if len(text[s:e].split()) <= MAX_WORDS + 2:
            out.append((s, e))
    return out
