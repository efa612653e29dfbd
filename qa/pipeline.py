"""The one ``ask()`` that the web UI, the CLI, the Python API and the evaluator share."""
from __future__ import annotations

import hashlib
import json
import numbers
import os
import re
import threading
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .errors import QAError
from .config import PROJECT_ROOT, Config, load_config, with_overrides
from .coreference import resolve_subjects
from .compass import asked_direction, direction_candidates
from .describe import description_candidates
from .embedding import Embedder
from .metrics import normalize_answer
from .extract import (Candidate, Extractor, HeuristicExtractor, ReaderExtractor, choice_candidates,
                      kind_candidates, sentence_candidates, whole_address, whole_list, with_unit,
                      year_of_date)
from .question import (Bearing, asks_how_to, choice_options, described, follow_up, foreign, is_yes_no, question_focus,
                       shouted, unfamiliar, unknown_names, unknown_words, unresolved_person, written_out)
from .retrieval import STOPWORDS, Ranked, Retriever, terms, words
from .splitter import lead_contexts, paragraph_around
from .store import Snapshot, Store, UpdateReport
from .types import Answer, Hit, Quote

if TYPE_CHECKING:
    from .scorer import Evidence

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters and surrogates (not valid text; the tokenizer rejects them) become spaces."""


_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|\*\*|(?<!\w)__|__(?!\w)|`+|!?\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)")
"""HTML tags and Markdown's bold, code and link syntax in a pasted question: "<img src=x onerror=...> Who leads
the resistance?" and "**Where** is Panjshir?" were read with the markup as words. A link keeps its text."""


class QuestionError(QAError, ValueError):
    """A question or setting we cannot answer; the message is meant for the user."""


def clean_question(question: object, limit: int) -> str:
    """The question as we will search it, or QuestionError saying what is wrong."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = unicodedata.normalize("NFC", question)  # "é", not "e" + a combining accent
    text = " ".join(_MARKUP.sub(lambda m: f" {m.group(1) or ''} ", _CONTROL.sub(" ", text)).split())
    if not text:
        raise QuestionError("please type a question")
    if len(text) > limit:
        raise QuestionError(f"the question is {len(text):,} characters long; please keep it to {limit:,} or fewer")
    if not re.search(r"[^\W_]", text):
        raise QuestionError("the question has no words in it")
    return text


UNKNOWN_NAME_TRUST = 0.1
"""Confidence kept by an answer to a question naming something no document mentions (measured on the
shared benchmark: abstention on unanswerable questions 0.168 -> 0.186, F1 0.504 -> 0.511)."""
CONTRARY_TRUST = 0.1
"""Confidence kept by an answer from a sentence that does not bear out the question as asked (``Bearing``): it
says "not" and the sentence negates nothing, it says "least" where the sentence says "most", or it says a year (or
another number, which its paragraph never says) the sentence does not while the sentence says another."""
YES_NO_NOTE = "a yes/no question: the answer is the sentence that bears on it; read it to decide"


def check_k(k: object) -> int:
    """``k`` as an int, or QuestionError: a whole number of at least 1 (numpy's integers count)."""
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise QuestionError(f"k must be a whole number of at least 1, not {k!r}")
    return int(k)


def check_threshold(threshold: object) -> float:
    """``threshold`` as a float, or QuestionError: a number from 0 to 1, as in the config file."""
    if not isinstance(threshold, numbers.Real) or isinstance(threshold, bool) or not 0.0 <= float(threshold) <= 1.0:
        raise QuestionError(f"threshold must be a number from 0 to 1, not {threshold!r}")
    return float(threshold)


def check_history(history: object) -> Sequence[Answer]:
    """``history`` as a sequence of earlier answers (None is none), or QuestionError."""
    if history is None:
        return ()
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence) \
            or not all(isinstance(a, Answer) for a in history):
        raise QuestionError("history must be a list of earlier answers (what ask() returned, or "
                            "qa.Answer.from_dict(answer.to_dict()) after JSON), oldest first")
    return history


def make_retriever(snap: Snapshot, cfg: Config, **weights: float) -> Retriever:
    """Hybrid retriever over one snapshot; ``weights`` override the configured ones (benchmarks use this)."""
    c = with_overrides(cfg, **weights)
    return Retriever(snap.passages, snap.passage_vecs, c.candidates, c.rrf_k, c.dense_weight, c.bm25_weight,
                     snap.sentence_vecs, [s.passage for s in snap.sentences], c.sentence_weight,
                     lead_contexts(snap.passages, snap.sentences))


def make_extractor(cfg: Config) -> Extractor:
    """The reader named in config, or the heuristic fallback for ``reader="none"``."""
    if not cfg.uses_reader:
        return HeuristicExtractor(cfg.reader_passages)
    from .reader import Reader
    from .scorer import AnswerScorer

    reader = Reader.load(None if cfg.reader == "default" else cfg.reader, precision=cfg.precision)
    assert reader.folder is not None
    return ReaderExtractor(reader, cfg.reader_passages, AnswerScorer.load(reader.folder))


class QA:
    """A loaded document store with the retriever and extractor that answer from it."""

    def __init__(self, store: Store, extractor: Extractor) -> None:
        self.store = store
        self.cfg = store.cfg
        self.extractor = extractor
        self._lock = threading.RLock()
        self._publish()

    @property
    def report(self) -> UpdateReport:
        return self.store.report

    def _publish(self) -> None:
        """Swap in the store's new snapshot with its retriever as one pair, so no question mixes two states."""
        snap = self.store.snapshot
        self._state = (snap, make_retriever(snap, self.cfg))

    @property
    def retriever(self) -> Retriever:
        return self._state[1]

    def refresh(self) -> UpdateReport:
        """Apply changes in the documents folder (new, edited, removed files)."""
        with self._lock:
            report = self.store.refresh()
            self._publish()
            return report

    def refresh_if_changed(self) -> UpdateReport | None:
        """``refresh()`` when files in the folder were added, edited or removed since it was read (a listing, no
        file read, tells); None when nothing changed, or while an upload or a rescan is being read (the question is
        answered from the documents as they were, not held up for minutes). The web chat calls it before each
        question, so a document edited on disk is not quoted as it was."""
        if not self.store.changed_on_disk() or not self._lock.acquire(blocking=False):
            return None  # nothing changed, or a change (an upload, a rescan) is being read: answer as things are
        try:  # two questions at once: the second finds the folder read
            return self.refresh() if self.store.changed_on_disk() else None
        finally:
            self._lock.release()

    def remove_file(self, name: str) -> tuple[UpdateReport, Path]:
        """Take the indexed document ``name`` out of the folder and the index; the file is moved to
        ``<index>/.removed/`` (the returned path), not deleted. DocumentError for a name that is not indexed."""
        with self._lock:
            report, kept = self.store.remove_file(name)
            self._publish()
            return report, kept

    def add_file(self, filename: str, data: bytes, replace: bool = False) -> UpdateReport:
        """Save an upload into the documents folder and index it; what the UI's upload box calls.

        ``filename`` is reduced to its bare name; a name already taken by other content gets " (2)" and so on,
        the same content is reported as already indexed; ``replace=True`` sets such a file aside in
        ``<index>/.removed/`` and saves the upload under its name. DocumentError (a ValueError) says why a file is refused:
        an unsupported type, empty, binary or undecodable, over ``max_file_mb``, or a folder that cannot be
        written."""
        with self._lock:
            report = self.store.add_file(filename, data, replace=replace)
            self._publish()
            return report

    def ask(self, question: str, k: int | None = None, threshold: float | None = None,
            history: Sequence[Answer] = ()) -> Answer:
        """A verbatim answer with its quote and sources, or ``text=None`` when the documents hold none.

        Every ``doc``/``start``/``end`` (of the answer, its quote, its sources and alternatives) slices the
        document's text to exactly that object's ``text``; ``message`` says why an answer was withheld.
        ``k``: how many source passages to return (default: config ``k``). ``threshold``: the confidence in [0, 1]
        below which no answer is given (default: the calibrated one in config). ``history``: the conversation's
        earlier answers, oldest first, so that a follow-up such as "When was he born?" is asked about whom they
        were about (``Answer.resolved`` says how). QuestionError (a ValueError) says what is wrong with an empty,
        over-long or wordless question or a bad ``k``/``threshold``."""
        k = check_k(self.cfg.k if k is None else k)
        threshold = None if threshold is None else check_threshold(threshold)
        asked = clean_question(question, self.cfg.max_question_chars)
        text, about = follow_up(asked, check_history(history))
        if len(text) > self.cfg.max_question_chars:  # a forged history can make a referent of any length
            text, about = asked, None
        answer = self._ask(text, k, threshold, about)
        if about is None and answer.text is not None and (word := unresolved_person(asked)):
            note = f'"{word}" was read with no earlier answer to say who it is; name the person to be sure'
            answer = replace(answer, message=f"{answer.message}; {note}" if answer.message else note)
        return replace(answer, question=asked, resolved=text) if text != asked else answer

    def _ask(self, text: str, k: int, threshold: float | None, about: str | None = None) -> Answer:
        """``about``: the name a follow-up's pronoun was read as; answers from text that never names it are doubted."""
        threshold = self.cfg.answer_threshold if threshold is None else threshold
        snap, retriever = self._state
        if not snap.passages:
            return Answer(question=text, text=None, message="no documents are indexed yet")
        focus, qvec, ranked = self.retrieve(text, k, snap, retriever)
        yes_no, options, bearing = is_yes_no(focus), choice_options(focus), Bearing.of(focus)
        candidates = [c for c in self.candidates(focus, qvec, snap, ranked, yes_no, options, asks_how_to(focus))
                      if not asked_in_text(snap, c)]
        unknown = unknown_names(focus, snap.term_idf(), offered=offered(options, snap, candidates),
                                texts=snap.texts)
        near = [not about or names_nearby(snap, c, about) for c in candidates]
        strange = bool(unknown) or foreign(focus, snap.term_idf())  # a name, or the question's language, unknown
        candidates = doubt(snap, candidates, near, UNKNOWN_NAME_TRUST if strange else 1.0, bearing)
        doubted = about if about and not any(near) else ""
        sources = tuple(retriever.hit(r) for r in ranked[:k])
        answer = self._answer(text, candidates, sources, threshold, snap, unknown, doubted, bearing)
        return replace(answer, message=YES_NO_NOTE) if yes_no and answer.text is not None else answer

    def candidates(self, focus: str, qvec: np.ndarray, snap: Snapshot, ranked: Sequence[Ranked], yes_no: bool,
                   options: Sequence[str], step: str | None = None) -> list[Candidate]:
        """The extractor's spans, reshaped for what the question asks: the name "he" stands for (who did
        something), the sentence that bears on it (``yes_no``, or a how-to question's ``step``: the verb asked
        about), or the option the documents bear out (a choice among ``options``)."""
        found = resolve_subjects(focus, snap, self.extractor.extract(focus, qvec, snap, ranked))
        candidates = [whole_span(focus, snap, c) for c in found]
        if (name := described(focus)) is not None:
            return description_candidates(name, snap, ranked, candidates)
        if yes_no or step:
            return sentence_candidates(focus, qvec, snap, ranked, candidates, step)
        if options:
            return choice_candidates(focus, options, qvec, snap, ranked, candidates)
        point = asked_direction(focus)
        if point:
            return direction_candidates(focus, point, snap, ranked, candidates)
        return kind_candidates(focus, snap, candidates)

    def evidence(self, question: str) -> tuple[Snapshot, "Evidence"]:
        """What the reader's scorer weighs for ``question``, as ``ask()`` would gather it (train-scorer fits on this)."""
        if not isinstance(self.extractor, ReaderExtractor):
            raise TypeError("only the reader extractor gathers evidence for the answer scorer")
        snap, retriever = self._state
        focus, qvec, ranked = self.retrieve(clean_question(question, self.cfg.max_question_chars),
                                            self.cfg.k, snap, retriever)
        return snap, self.extractor.evidence(focus, qvec, snap, ranked)

    def retrieve(self, text: str, k: int, snap: Snapshot, retriever: Retriever) -> tuple[str, np.ndarray, list[Ranked]]:
        """The message's asking part, its vector and the ranked passages: what the extractor reads.

        Keyword search gets the whole message, so a topic named only in a preamble still counts; both get
        initials the documents only write out ("CEO") in the documents' words."""
        text = written_out(text, snap.texts)
        focus = question_focus(text)
        qvec = self.store.embedder.encode_query(focus)
        return focus, qvec, retriever.search(text, qvec, max(k, self.cfg.reader_passages))

    def _answer(self, question: str, candidates: Sequence[Candidate], sources: tuple[Hit, ...],
                threshold: float, snap: Snapshot, unknown: Sequence[str] = (), doubted: str = "",
                bearing: Bearing = Bearing()) -> Answer:
        """``doubted``: a follow-up's referent that no candidate's text names; ``bearing``: what the quoted
        sentence has to bear out ("not", "least")."""
        answers = unique_answers(candidates, snap)
        if not answers or answers[0].score < threshold:
            score = answers[0].score if answers else 0.0
            hint = "; in capitals every word reads as a name, so try lower case" if shouted(question) else ""
            never = f" (no document mentions {', '.join(dict.fromkeys(unknown))}{hint})" if unknown else ""
            never = never or (f" (what the reader found is not said of {doubted})" if doubted else "")
            unsaid = objection(bearing, snap, answers[0].quote, answers[0].text or "") if answers else ""  # type: ignore[arg-type]
            never = never or (f" ({unsaid})" if unsaid else "")
            asking = question_focus(question)  # not the "Hi!" or "Thanks!" around it
            strange = unfamiliar(asking, snap.term_idf()) or foreign(asking, snap.term_idf())
            which = unknown_words(asking, snap.term_idf()) if strange else ""  # none when those words were numbers
            never = never or (f" (most of its words appear in no document{': ' + which if which else ''})"
                              if strange else "")
            return Answer(question, None, score=score, sources=sources, alternatives=tuple(distinct(answers)[:3]),
                          message="the documents do not seem to answer this" + never)
        best = answers[0]
        return replace(best, question=question, sources=sources, alternatives=tuple(distinct(answers)[1:4]))


def whole_span(question: str, snap: Snapshot, c: Candidate) -> Candidate:
    """The candidate grown to the whole web or mail address it cuts into and, for a measure question, to the
    unit after its bare amount ("12" -> "12 kilometres"); a whole date cut to its year for "what year"; with
    either extractor."""
    text = snap.text(c.doc)
    start, end = year_of_date(question, text, *with_unit(question, text, *whole_address(text, c.start, c.end)))
    start, end = whole_list(question, text, start, end)
    return replace(c, start=start, end=end)


def doubt(snap: Snapshot, candidates: Sequence[Candidate], near: Sequence[bool], trust: float,
          bearing: Bearing) -> list[Candidate]:
    """Candidates with their confidence cut where the text does not bear them out: ``trust`` for all (a name
    no document mentions), ``UNKNOWN_NAME_TRUST`` where a follow-up's referent is not ``near``, and
    ``CONTRARY_TRUST`` where the quoted sentence does not bear out the question as asked (``bearing``)."""
    out = []
    for c, ok in zip(candidates, near):
        amiss = bearing.checks and objection(bearing, snap, quote_for(snap, c.doc, c.start, c.evidence_end),
                                             snap.text(c.doc)[c.start:c.end])
        out.append(replace(c, score=c.score * trust * (1.0 if ok else UNKNOWN_NAME_TRUST) * (CONTRARY_TRUST if amiss else 1.0)))
    return out


def asked_in_text(snap: Snapshot, c: Candidate) -> bool:
    """Whether the candidate sits in a question that stands on a line of its own (a FAQ's "How do I reset the
    router to factory settings?"): a heading that asks does not tell, and it often repeats the user's question
    word for word. A question inside a paragraph may ("Is there a route of at most 2000 kilometres ...?" gives
    a benchmark answer); of the 4,371 answers in the SQuAD training articles, 4 are in a sentence ending in "?"."""
    quote = quote_for(snap, c.doc, c.start, c.evidence_end)
    if not quote.text.rstrip(" \"'\u201d\u2019)]").endswith("?"):
        return False
    text = snap.text(c.doc)  # only its own line is read: slicing the document on each side cost its length per span
    line_start, line_end = text.rfind("\n", 0, quote.start) + 1, text.find("\n", quote.end)
    before, after = text[line_start:quote.start], text[quote.end:len(text) if line_end < 0 else line_end]
    return not before.strip(" \t") and not after.strip(" \t\r")  # a Windows file keeps "\r" before each "\n"


def objection(bearing: Bearing, snap: Snapshot, quote: Quote, span: str) -> str:
    """``bearing``'s objection to ``span`` quoted by ``quote``, read with the paragraph around it."""
    paragraph = paragraph_around(snap.text(quote.doc), quote.start, quote.end) if bearing.reads_paragraph else ""
    return bearing.objection(quote.text, span, paragraph)


def offered(options: Sequence[str], snap: Snapshot, candidates: Sequence[Candidate]) -> Sequence[str]:
    """A choice question's ``options``, when one of them is the answer: naming the other ("... or at Harvard?")
    makes it the wrong choice, not a question about something the documents never mention."""
    keys = {normalize_answer(o) for o in options}
    found = any(normalize_answer(snap.text(c.doc)[c.start:c.end]) in keys for c in candidates)
    return options if found else []


REFERENT_REACH = 3
"""Sentences before an answer's own in which a follow-up's referent may be named ("Ahmad Massoud is ... He was born ...")."""


def names_nearby(store: Snapshot, span: Candidate, name: str) -> bool:
    """Whether a word of ``name`` is in the span's sentence or the few before it in its document.

    "When was he born?" read as "When was Mohammad Naeem born?" must not be answered with the birth
    date of another man the reader found: the resolved pronoun is a guess, and the answer has to be about it."""
    wanted = set(terms(name))
    end = span.evidence_end  # a name found through "he" is said of what that later sentence says
    before = store.sentences_in(span.doc, 0, end)  # the document's sentences up to the span's own
    own = len(store.sentences_around(span.doc, span.start, end))
    return any(wanted & store.sentence_terms(i) for i in before[-(REFERENT_REACH + max(own, 1)):])


def quote_for(store: Snapshot, doc: str, start: int, end: int) -> Quote:
    """The whole sentence(s) around [start, end): the evidence a user reads."""
    text = store.text(doc)
    idx = store.sentences_around(doc, start, end)
    q_start = min([store.sentences[i].start for i in idx] + [start])
    q_end = max([store.sentences[i].end for i in idx] + [end])
    return Quote(doc, q_start, q_end, text[q_start:q_end], page=store.documents[doc].page_at(q_start))


def unique_answers(candidates: Sequence[Candidate], store: Snapshot) -> list[Answer]:
    """Candidates as answers in the extractor's order (best first), one per normalised text
    (overlapping passages repeat spans), their confidence never rising down the list.

    The reader's scorer ranks with one model and gives confidence with another; where they disagree, an
    alternative shown at 0.25 under an answer at 0.23 reads as a contradiction. Ranking by confidence
    instead lost benchmark F1 (0.557 -> 0.550), so a lower-ranked answer's confidence is capped instead."""
    seen: set[str] = set()
    out: list[Answer] = []
    cap = 1.0
    for c in candidates:
        span = store.text(c.doc)[c.start:c.end]
        key = normalize_answer(span)
        if not key or key in seen or function_words_only(span):
            continue
        seen.add(key)
        cap = round(min(cap, max(0.0, c.score)), 4)
        quote = quote_for(store, c.doc, c.start, c.evidence_end)
        out.append(Answer("", span, c.doc, c.start, c.end, cap, quote))
    return out


def function_words_only(span: str) -> bool:
    """Whether a span is only lower-case function words ("in", "is", "of the"), which answer nothing: they were
    offered as alternatives at 0.14. Of the 4,371 training answers 3 are ("will", "not", "more"); titles such as
    "I Was Here" are capitalised, and a yes/no question's answer is a whole sentence."""
    found = words(span)
    return bool(found) and span == span.lower() and all(w in STOPWORDS for w in found)


def distinct(answers: Sequence[Answer]) -> list[Answer]:
    """The answers that are no better one's read narrower or wider: not overlapping it ("1989" and "July 1989"
    under "10 July 1989") nor naming it in part or whole elsewhere ("Parwan" under "Parwan Province"). As
    alternatives they crowded out different ones ("Baghlan and Takhar" under "Parwan Province")."""
    kept: list[tuple[Answer, str]] = []
    for a in answers:
        words = f" {normalize_answer(a.text or '')} "
        if all(not overlaps(a, k) and words not in w and w not in words for k, w in kept):
            kept.append((a, words))
    return [a for a, _ in kept]


def overlaps(a: Answer, b: Answer) -> bool:
    return a.doc == b.doc and a.start < b.end and b.start < a.end


def resolve_dir(path: str | os.PathLike[str], new_here: bool = False) -> Path:
    """Relative folders are found from the current directory, else from the project root. ``new_here``: one
    found in neither is made in the current directory (an index named with ``--index``), not in the project: a
    new "--index idx" landed in the project folder, and two working folders shared it."""
    p = Path(path)
    if p.is_absolute() or p.exists() or (new_here and not (PROJECT_ROOT / p).exists()):
        return p
    return PROJECT_ROOT / p


def default_index_dir(docs: str | os.PathLike[str], cfg: Config | None = None) -> Path:
    """Where the index of ``docs`` lives when none is named: ``embeddings/`` for the bundled
    ``seeds/``, else a folder of its own under ``embeddings/other/``, so pointing the tools at
    another folder never replaces the shipped index. A config whose model or passage settings differ
    from the defaults gets its own folder too: a one-off ``--config`` would otherwise rebuild the shipped
    index, and the next default run rebuild it back."""
    folder = resolve_dir(docs).resolve()
    custom = index_settings(cfg) if cfg is not None else None
    custom = None if custom == index_settings(Config()) else custom
    if custom is None and is_seeds(folder):
        return PROJECT_ROOT / "embeddings"
    salt = "" if custom is None else json.dumps(custom, sort_keys=True)
    return PROJECT_ROOT / "embeddings" / "other" / folder_tag(folder, salt)


def is_seeds(folder: Path) -> bool:
    """Whether ``folder`` (resolved) is the bundled ``seeds/``, whose index, feedback and questions ship with us."""
    return folder == (PROJECT_ROOT / "seeds").resolve()


def folder_tag(folder: Path, salt: str = "") -> str:
    """``<name>-<hash of its path and salt>``: a file or folder name that is the documents folder's own, so that
    what belongs to one folder (its index, its feedback) never lands with another's."""
    tag = hashlib.sha256((str(folder) + salt).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{folder.name or 'root'}-{tag}"


def index_settings(cfg: Config) -> dict[str, object]:
    """What an index is made with besides the documents (a change means a rebuild)."""
    return {"model": cfg.model, **cfg.splitter_settings()}


def open_store(docs: str | os.PathLike[str] = "seeds", index: str | os.PathLike[str] | None = None,
               config: str | os.PathLike[str] | None = None, embedder: Embedder | None = None,
               **overrides: object) -> Store:
    """The up-to-date index over ``docs`` without any answer machinery (what ``qa index`` needs)."""
    cfg = with_overrides(load_config(config), **overrides)
    embedder = embedder or Embedder.load(cfg.model)
    index_dir = default_index_dir(docs, cfg) if index is None else resolve_dir(index, new_here=True)
    return Store(resolve_dir(docs), index_dir, cfg, embedder)


def load(docs: str | os.PathLike[str] = "seeds", index: str | os.PathLike[str] | None = None,
         config: str | os.PathLike[str] | None = None, embedder: Embedder | None = None, **overrides: object) -> QA:
    """Load (and bring up to date) the index over ``docs``; the returned object answers with ``ask()``.

    ``index`` None: ``default_index_dir(docs, config)`` (``embeddings/`` for the seeds). ``config``: a JSON
    settings file (default ``./qa.json``, else the project's). ``overrides``: any of its settings by name
    (``reader="none"``, ``model=...``, ``k=3``, ``threshold=...``; see ``qa.config.Config``), over the file's; an
    unknown name is a ConfigError."""
    extractor = make_extractor(with_overrides(load_config(config), **overrides))  # fail fast, before a sync
    return QA(open_store(docs, index, config, embedder, **overrides), extractor)
