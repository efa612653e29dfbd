"""Who "he" is in a document sentence, for a question that asks who did something.

"Who was born on 10 July 1989?" is answered by "He was born on 10 July 1989 in Piyu ...": the sentence
names its subject only as "He", so the reader, which can only point into the text it reads, answered
"Piyu". The person is named a sentence or two earlier ("Ahmad Massoud is an Afghan politician ...").
This module finds that name, so the answer is a verbatim span again and its quote runs from the name to
the sentence that says what the question asks.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

from .extract import NAME_PHRASE, Candidate
from .retrieval import STOPWORDS, terms

if TYPE_CHECKING:
    from .store import Snapshot

REACH = 3
"""Sentences before the pronoun's own in which its antecedent may be named."""
VERB_REACH = 3
"""Words after "he" within which the question's verb must follow ("he has officially entered")."""

_AUXILIARIES = frozenset({"is", "was", "are", "were", "has", "had", "have", "will", "would", "can", "could", "should",
                          "may", "might", "must"})
"""Before a participle in a subject question ("Who was born ..."); "did"/"does" there ask for an object."""
_VERBS = _AUXILIARIES | {"did", "does"}
"""Verbs that may follow a subject though they are stopwords ("Massoud was ...", "Naeem did ...")."""
_SUBJECT_WHO = re.compile(rf"\s*who\s+(?:(?P<aux>{'|'.join(sorted(_AUXILIARIES))})\s+)?(?P<verb>[^\W\d_][\w'\u2019-]*)",
                          re.IGNORECASE)
_BE = frozenset({"is", "was", "are", "were", "be", "been", "being"})
"""Before a participle they make the passive: "he was stopped by X" says who X stopped, not whom he did."""
_HE_SHE = re.compile(r"\b(?:he|she|He|She)\b")
_WORD = re.compile(r"[^\W_][\w'\u2019-]*")
_NOT_A_SUBJECT_AFTER = STOPWORDS | {"amid", "among", "since", "near", "like", "per", "via", "unlike", "despite",
                                    "toward", "towards", "upon", "within", "without", "across", "behind"}
"""A name after these words ("After the surrender of Kabul, he ...") is not whom the sentence is about."""


def asked_verb(question: str) -> str | None:
    """The stem of the verb a subject question asks about ("Who was born ..." -> "born"), else None.

    "Who did he join?" and "Who was he married to?" ask for an object, whom "he" in the text is not:
    the question's first word after "who" (and an auxiliary) must be a lower-case content word."""
    m = _SUBJECT_WHO.match(question)
    if not m or m.group("verb").lower() in STOPWORDS or not m.group("verb")[0].islower():
        return None  # "Who was Guy's rival?" asks who someone named is
    stems = terms(m.group("verb"))
    return stems[0] if stems else None


def passive(auxiliaries: Sequence[str], verb: str) -> bool:
    """Whether ``verb`` after ``auxiliaries`` is passive ("was stopped", "has been named"; "was leading" is not)."""
    return any(a.lower() in _BE for a in auxiliaries) and not verb.lower().endswith("ing")


def asks_passive(question: str) -> bool:
    """Whether a subject question asks in the passive ("Who was appointed ...?") rather than the active."""
    m = _SUBJECT_WHO.match(question)
    return bool(m and m.group("aux")) and passive([m.group("aux")], m.group("verb"))


def subject_pronoun(sentence: str, verb: str, passive_voice: bool = False) -> int | None:
    """Where "he"/"she" stands right before ``verb`` in ``sentence`` (offset within it), else None.

    The voice must agree with the question's (``passive_voice``): "he was stopped by Alexius" does not say
    that he stopped anyone, and "he appointed" does not say he was appointed."""
    for m in _HE_SHE.finditer(sentence):
        after = [w.group(0) for w in _WORD.finditer(sentence, m.end())][:VERB_REACH]
        at = next((j for j, w in enumerate(after) if verb in terms(w)), None)
        if at is not None and passive(after[:at], after[at]) == passive_voice:
            return m.start()
    return None


def _is_name(text: str, start: int, phrase: str, sentence_start: int) -> bool:
    """Whether a capitalised phrase found before a pronoun can be what it stands for."""
    if phrase.lower() in STOPWORDS:
        return False
    before = re.findall(r"[^\W_]+", text[sentence_start:start])
    if before and before[-1].lower() in _NOT_A_SUBJECT_AFTER:
        return False
    after = _WORD.match(text, start + len(phrase) + 1) if text[start + len(phrase):][:1] == " " else None
    if after is None or not after.group(0).islower() or (after.group(0) in STOPWORDS and after.group(0) not in _VERBS):
        return False  # a subject is followed by its verb: "London where he ..." is a place in a clause
    if before or " " in phrase:
        return True
    # a lone capitalised first word ("Massoud returned ...", "Amid ...") is a name if the text uses it as one elsewhere
    return re.search(rf"(?<=[a-z,;] ){re.escape(phrase)}\b", text) is not None


def antecedent(store: "Snapshot", doc: str, pronoun: int) -> tuple[int, int] | None:
    """The name "he" at ``pronoun`` most likely stands for: the first subject-like name before it in its own
    sentence, else in the nearest of the few sentences before that names one."""
    text = store.text(doc)
    own = store.sentences_around(doc, pronoun, pronoun + 1)
    if not len(own):
        return None
    first = own[0]
    for i in range(first, max(first - REACH, 0) - 1, -1):
        sent = store.sentences[i]
        if sent.doc != doc:
            break
        stop = pronoun if i == first else sent.end
        for m in NAME_PHRASE.finditer(text, sent.start, stop):
            opener = m.group(0).split(maxsplit=1)[0]
            if opener.lower() in _NOT_A_SUBJECT_AFTER:  # "Amid Taliban advances", "The Taliban", "Since March 2019"
                continue
            if _is_name(text, m.start(), m.group(0), sent.start):
                return m.start(), m.end()
    return None


def resolve_subjects(question: str, store: "Snapshot", candidates: Sequence[Candidate]) -> list[Candidate]:
    """Candidates from a sentence whose subject, named only by "he"/"she", is what a "who" question asks,
    replaced by the name that pronoun stands for (quoted through the pronoun's sentence); the rest unchanged.

    The spans the reader found in such a sentence ("Piyu" for "Who was born on ...") answer another question,
    so they are dropped; where no name is found before the pronoun, the candidates are left as they were."""
    verb = asked_verb(question)
    if verb is None:
        return list(candidates)
    voice, asked = asks_passive(question), set(terms(question))
    out: list[Candidate] = []
    resolved: dict[int, Candidate | None] = {}  # sentence index -> its resolved candidate
    for c in candidates:
        around = store.sentences_around(c.doc, c.start, c.end)
        if len(around) != 1:
            out.append(c)
            continue
        i = around[0]
        if i not in resolved:
            resolved[i] = _resolve(store, i, verb, voice, asked, c)
            if resolved[i] is not None:
                out.append(resolved[i])  # first and best of its sentence: takes its place in the ranking
                continue
        if resolved[i] is None:
            out.append(c)
    return out


def _resolve(store: "Snapshot", i: int, verb: str, voice: bool, asked: set[str], c: Candidate) -> Candidate | None:
    """``asked``: the question's terms; a name made only of them is what the question is about, not its answer
    ("Who declared Ahmad Massoud his father's successor?" is not answered "Ahmad Massoud")."""
    sent = store.sentences[i]
    at = subject_pronoun(sent.text, verb, voice)
    if at is None:
        return None
    found = antecedent(store, sent.doc, sent.start + at)
    if found is None or set(terms(store.text(sent.doc)[found[0]:found[1]])) <= asked:
        return None
    return replace(c, start=found[0], end=found[1], through=sent.end)
