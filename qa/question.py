"""Reading a user's message: which sentences ask, and which names it mentions that the documents do not."""
from __future__ import annotations

import re

from .retrieval import fold_accents, terms
from .splitter import sentence_spans


def question_focus(text: str) -> str:
    """The sentences of a chat message that ask: its last run of sentences ending in "?".

    A preamble ("I am writing a report about ...") drowns the question for the reader and the
    dense vector, which then answer the preamble; a message without a "?" is all question.
    """
    units = sentence_spans(text)
    asking = [text[u.start:u.end].rstrip("\"')\u201d\u2019").endswith("?") for u in units]
    if len(units) < 2 or not any(asking):
        return text
    last = len(asking) - 1 - asking[::-1].index(True)
    first = last
    while first > 0 and asking[first - 1]:
        first -= 1
    return text[units[first].start:units[last].end]


_NAME = re.compile(r"(?<=[\s(\"'\u201c])[A-Z][^\W_]*(?:['\u2019][^\W_]+)?")


def unknown_names(question: str, vocabulary: dict[str, float]) -> list[str]:
    """Names in the question (capitalised, not a sentence's first word) that no indexed sentence contains.

    "Who is the president of France?" over documents that never say "France" is about
    something else, however confidently the reader finds a president in them.
    """
    unknown = []
    for m in _NAME.finditer(question):
        if question[:m.start()].rstrip(" \"'\u201c(")[-1:] in ("", ".", "!", "?"):
            continue
        name = m.group(0)
        stems = terms(name)
        if name.lower() in vocabulary or all(t in vocabulary for t in stems):
            continue
        # terms are accent-free already; the bare word too, in case the stemmer cut it oddly
        if not _near(fold_accents(name.lower()), vocabulary) and not all(_near(t, vocabulary) for t in stems):
            unknown.append(name)
    return unknown


def _near(bare: str, vocabulary: dict[str, float]) -> bool:
    """A vocabulary word, or (for six letters or more) one typo away from one:
    "Masoud" is a misspelt "Massoud", not another person."""
    return bare in vocabulary or (len(bare) >= 6 and any(_one_edit(bare, v) for v in vocabulary))


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by exactly one inserted, deleted or replaced character."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:]
    return a[i + 1:] == b[i:] if len(a) > len(b) else a[i:] == b[i + 1:]
