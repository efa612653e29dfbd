"""Answer-span extraction: the neural reader (default) and a heuristic fallback.

Both return ``Candidate`` spans with exact document offsets and a confidence in
[0, 1]; the pipeline turns them into answers, quotes and abstentions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol, Sequence

import numpy as np

from .documents import has_cells
from .retrieval import STOPWORDS, Ranked, terms, words

if TYPE_CHECKING:
    from .reader import Reader
    from .scorer import AnswerScorer, Evidence
    from .store import Snapshot


@dataclass(frozen=True)
class Candidate:
    doc: str
    start: int
    end: int
    score: float
    through: int | None = None  # the quote runs on to here: a name found through "he" later in the text

    @property
    def evidence_end(self) -> int:
        """Where the text that supports the span ends: its own end, or that of the sentence it was found through."""
        return self.end if self.through is None else max(self.end, self.through)


class Extractor(Protocol):
    def extract(self, question: str, qvec: np.ndarray, store: "Snapshot", ranked: Sequence[Ranked]) -> list[Candidate]: ...


def gate(candidates: Sequence[Candidate]) -> float:
    """The extractor's best score: whether the documents speak to the question at all. The candidate builders
    that read an answer off the text in their own way (a sentence, an option, a description, a direction, a
    reorder) give their spans this confidence, not one of their own."""
    return max((c.score for c in candidates), default=0.0)


def close_brackets(text: str, start: int, end: int) -> tuple[int, int]:
    """Take in the closing bracket the span opened ("T(n" -> "T(n)"): the reader often stops on the last word piece.

    Applied to the ranked answers, not to the reader's candidates: there it would merge "T(n" into "T(n)"
    and shift the ranking (votes are summed over candidates, duplicates keep their best score)."""
    for left, right in ("()", "[]"):
        while end < len(text) and text[end] == right and text.count(left, start, end) > text.count(right, start, end):
            end += 1
    return start, end


_NEXT_NAME_WORD = re.compile(r" [A-Z][\w'\u2019-]*")
_PREVIOUS_NAME_WORD = re.compile(r"(?<![\w'\u2019-])[A-Z][\w'\u2019-]* $")


def opens_sentence(text: str, at: int) -> bool:
    """Whether the word at ``at`` starts a sentence, line or clause after a colon, where a capital ("Since March")
    says nothing about a name."""
    return text[:at].rstrip(" \"'\u201c(")[-1:] in ("", ".", "!", "?", "\n", ":", ";")


def question_names(question: str) -> list[str]:
    """The capitalised runs of a question, without the question words that open it ("Who is Amrullah Saleh?" ->
    "Amrullah Saleh"): an answer grown to a whole name must not grow into one the question already says."""
    runs = []
    for m in NAME_PHRASE.finditer(question):
        found = m.group(0).split()
        while found and found[0].lower() in STOPWORDS:
            found = found[1:]
        if found:
            runs.append(" ".join(found))
    return runs


def whole_name(text: str, start: int, end: int, avoid: Sequence[str] = ()) -> tuple[int, int]:
    """Grow a span that ends or starts inside a name to the whole name ("Ahmad Shah" -> "Ahmad Shah Massoud",
    "Guides" -> "Rough Guides"): capitalised words joined by single spaces, never a function word ("The") nor,
    to the left, a sentence's first word ("Since March 2019" stays "March 2019"), nor into a name in ``avoid``
    ("Who is Amrullah Saleh?" -> "First Vice President", not "... President Amrullah Saleh").

    The reader often stops a word short of a name's end; the answer shown to a user should name whom it means."""
    if start >= end:
        return start, end
    while text[start].isupper() and (m := _PREVIOUS_NAME_WORD.search(text, max(0, start - 40), start)) \
            and m.group(0).strip().lower() not in STOPWORDS and not opens_sentence(text, m.start()) \
            and not any(text.endswith(name, 0, m.end() - 1) for name in avoid):
        start = m.start()
    last = text.rfind(" ", start, end) + 1 or start
    while text[last].isupper() and (m := _NEXT_NAME_WORD.match(text, end)) and m.group(0).strip().lower() not in STOPWORDS \
            and not any(text.startswith(name, end + 1) for name in avoid):
        last, end = end + 1, m.end()
    return start, end


class ReaderExtractor:
    """Runs the trained span reader over the best passages in one batch; the scorer ranks its spans
    with the retrieval evidence and gives each its confidence (see ``qa.scorer``)."""

    SPANS = 20

    def __init__(self, reader: "Reader", passages: int = 2, scorer: "AnswerScorer | None" = None) -> None:
        from .scorer import AnswerScorer

        self.reader = reader
        self.passages = passages
        self.scorer = scorer or AnswerScorer.hand_set()

    def evidence(self, question: str, qvec: np.ndarray, store: "Snapshot", ranked: Sequence[Ranked]) -> "Evidence":
        """The reader's spans in the best passages with the features the scorer weighs."""
        from .scorer import gather

        chosen = [store.passages[r.passage] for r in ranked[: self.passages]]
        preds = self.reader.read(question, [p.text for p in chosen], top_n=self.SPANS,
                                 cells=[has_cells(p.doc) for p in chosen]) if chosen else []
        return gather(question, qvec, store, ranked, chosen, preds)

    def extract(self, question: str, qvec: np.ndarray, store: "Snapshot", ranked: Sequence[Ranked]) -> list[Candidate]:
        scored = self.scorer.score(self.evidence(question, qvec, store, ranked))
        names = question_names(question)
        return [Candidate(s.doc, *whole_name(store.text(s.doc), *close_brackets(store.text(s.doc), s.start, s.end), names),
                          s.confidence) for s in scored]


MONTH_NAMES = "January|February|March|April|May|June|July|August|September|October|November|December"
MONTHS = f"{MONTH_NAMES}|{MONTH_NAMES.upper()}"  # headings shout dates ("CALL OF AUGUST 16"); lower-case "may" is a verb
NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                "sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen")
CURRENCY = "$€£¥₹"
"""Signs that belong to the amount they stand before ("$179"): the reader's spans and the number patterns take them."""
PATTERNS = {
    "date": [
        rf"\b\d{{1,2}}\s+(?:{MONTHS})(?:\s+\d{{3,4}})?\b",
        rf"\b(?:{MONTHS})(?:\s+\d{{1,2}},?)?(?:\s+\d{{3,4}})?\b",
        r"\b\d{1,2}(?:st|nd|rd|th)(?:\s+(?:and|or|to)\s+\d{1,2}(?:st|nd|rd|th))?\s+centur(?:y|ies)\b",
        r"\b(?:1\d{3}|20\d{2}|\d{3})s?\b(?:\s*(?:BC|AD|CE|BCE))?",
    ],
    "number": [
        rf"(?:\b(?:about |around |over |nearly |some )?|[{CURRENCY}](?=\d))\d[\d,]*(?:\.\d+)?(?:\s+(?:{NUMBER_WORDS}|percent|%))?\b",
        rf"\b(?:{NUMBER_WORDS})(?:[- ](?:{NUMBER_WORDS}))*\b",
    ],
    "name": [r"\b[A-Z][\w'’\-]*(?:\s+(?:(?:of|the|de|du|al|bin|von|van|and|la|le)\s+)?[A-Z][\w'’\-]*)*"],
}
NAME_PHRASE = re.compile(PATTERNS["name"][0])
"""A capitalised phrase ("Ahmad Shah Massoud", "La Règle du Jeu"), compiled once for every module that looks for one."""
MEASURES = "far|long|tall|high|deep|wide|big|heavy|large|thick|fast"
"""The adjectives a measure is asked with ("How heavy ...?"), as a regex alternation."""
MEASURE_LEAD = r"^\W*(?:(?:about|roughly|approximately) )?how "
"""How a measure question opens, before its adjective ("About how heavy ...?")."""
_MEASURE_QUESTION = re.compile(rf"{MEASURE_LEAD}(?:{MEASURES})\b", re.IGNORECASE)
_BARE_ANSWER = re.compile(r"\bhow (?:many|often|old)\b|\bpercent(?:age)?\b|\bper cent\b|\bwhat age\b|\bwhen\b|"
                          r"\b(?:what|which) (?:year|date|day|time|decade|century|month)\b", re.IGNORECASE)
"""Questions whose amounts SQuAD's annotators (and most readers) give without the unit after them."""
_IN_UNITS = re.compile(r"\b(?:in|into) (?:square |cubic )?[a-z%]+\W*$", re.IGNORECASE)
UNITS = (r"(?:(?:square|cubic|nautical)\s+)?(?:kilometres|kilometers|kilometre|kilometer|km|metres|meters|metre|meter|"
         r"m|centimetres|centimeters|cm|millimetres|millimeters|mm|miles|mile|feet|foot|ft|inches|inch|yards|kg|"
         r"kilograms|grams|g|tonnes|tons|pounds|lb|lbs|years|year|months|month|weeks|week|days|day|hours|hour|"
         r"minutes|minute|seconds|second|acres|hectares|ha|storeys|stories|floors|light-years|mph|knots|km/h|"
         r"degrees|percent|per cent|%|bar|litres|liters|litre|liter|l|millilitres|milliliters|ml|watts|watt|W|kW|MW|"
         r"GW|kWh|MWh|Wh|volts|volt|V|mAh|Ah|Hz|kHz|MHz|GHz|KB|MB|GB|TB|°C|°F|° C|° F)")
UNIT_AFTER = re.compile(rf"[ \t\u00a0]?{UNITS}(?![\w/-])", re.IGNORECASE)
_NAMES_UNIT = re.compile(rf"\bin\s+(?:degrees\s+)?(?:{UNITS}|celsius|fahrenheit)(?![\w/-])", re.IGNORECASE)
"""A question that names its unit ("In millimeters, how much ...?", "... in degrees celsius?") wants the number."""
_BARE_AMOUNT = re.compile(rf"(?:(?:about|around|over|nearly|some|almost|roughly|up to)\s+)?"
                          rf"(?:[{CURRENCY}]?\d[\d,.]*|(?:{NUMBER_WORDS})(?:[- ](?:{NUMBER_WORDS}))*)", re.IGNORECASE)


_ADDRESS = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]*[^\s<>\"'()\[\]{}.,;:!?]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def whole_address(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a span that starts or ends inside a web or mail address to the whole address, without the "<>" round
    it: the reader stopped "<https://example.org>" at "<https://example" (word pieces again)."""
    for m in _ADDRESS.finditer(text, max(0, start - 200), min(len(text), end + 200)):
        if m.start() < end and start < m.end():
            if m.start() < start or start == m.start() - 1 and text[start] == "<":
                start = m.start()
            end = m.end() if end < m.end() or end == m.end() + 1 and text[m.end()] == ">" else end
    return start, end


def with_unit(question: str, text: str, start: int, end: int) -> tuple[int, int]:
    """Take in the unit after a bare amount: "12" -> "12 kilometres" for "How far ...?", "15" -> "15 bar" for
    "What is the pump pressure?". On the training articles 21 of 25 "how far/long/tall/..." answers with a unit
    after them include it, and the other 4 but one ask "in meters"/"in acres": a question naming its unit keeps
    the bare number. Answers to other questions include the unit in 32 of 33 cases, once those naming their
    unit ("In millimeters, ...") and those asking "how many", "what percentage", "how often", "when" or an age,
    whose answers are often bare, are left out."""
    if _IN_UNITS.search(question) or _NAMES_UNIT.search(question) or \
            (not _MEASURE_QUESTION.match(question) and _BARE_ANSWER.search(question)):
        return start, end
    if not _BARE_AMOUNT.fullmatch(text, start, end) or not (unit := UNIT_AFTER.match(text, end)):
        return start, end
    return start, unit.end()


_SEVERAL = re.compile(r"\b(?:what|which|name|list)\s+(?:the\s+)?(?:two|three|four|five|six|several|both)\b|"
                      r"\b(?:who|what|which)\s+(?:\w+\s+)?(?:are|were)\b(?!\s+(?:the|a|an)\s+\w+\s*(?:of|'s))|"
                      r"\b(?:what|which)\s+(?:other\s+)?(?!(?:was|has|does|is|his|this|its)\b)[a-z]{2,}[^su\W']s\b",
                      re.IGNORECASE)
_NOT_NAME = r"(?!(?:In|On|At|By|For|From|With|Both|Originally|After|Before|During|When|While|Also|But)\b)"
"""Capitalised words that open a sentence, not a name: "Originally KLM and Air France" lists two airlines."""
_ITEM = rf"(?:(?:the|a|an)\s+)?{_NOT_NAME}[A-Z][\w'’\-]*(?:\s+(?:(?:of|the|de|du|von|van|la|le)\s+)?{_NOT_NAME}[A-Z0-9][\w'’\-]*)*"
_ITEMS = re.compile(rf"{_ITEM}(?:,\s+{_ITEM})*")
_NAME_LIST = re.compile(rf"{_ITEM}(?:,\s+{_ITEM})*,?\s+(?:and|or|&)\s+{_ITEM}")


def whole_list(question: str, text: str, start: int, end: int) -> tuple[int, int]:
    """Grow one name of a list of names to the whole list where the question asks for several ("Which
    airlines ...?", "What two ...?", "Who were ...?"): the reader answered "Who are Scout's two primary female
    models?" with "Miss Maudie" of "Calpurnia and Miss Maudie". On the training articles 53 of 60 such gold
    answers that lie in a list of names are the whole list, articles aside (against 47 of 145 for other questions)."""
    if not _SEVERAL.search(question) or not _ITEMS.fullmatch(text, start, end):
        return start, end  # a year inside "November 2013 MGM and the McClory" is not one of its names
    lo = max(0, start - 300)
    for m in _NAME_LIST.finditer(text, lo, min(len(text), end + 300)):
        if m.start() <= start and end <= m.end() and (m.start(), m.end()) != (start, end):
            return m.start(), m.end()
    return start, end


_YEAR_QUESTION = re.compile(r"\b(?:what|which) year\b", re.IGNORECASE)
_DAY_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
_WHOLE_DATE = re.compile(rf"(?:(?:on|in)\s+)?(?:{_DAY_ORDINAL}\s+(?:of\s+)?)?(?:{MONTHS})\.?(?:\s+{_DAY_ORDINAL})?,?\s+"
                         rf"(\d{{3,4}})(?:\s*(?:BC|AD|CE|BCE))?")


def year_of_date(question: str, text: str, start: int, end: int) -> tuple[int, int]:
    """Cut a whole date to its year where the question asks "what/which year": the reader answered "In what
    year was the iPod first introduced?" with "October 23, 2001". On the training articles 188 of 192 such
    gold answers are the bare year (one is "November 2003", the others a range or a 3-digit year)."""
    if _YEAR_QUESTION.search(question) and (m := _WHOLE_DATE.fullmatch(text, start, end)):
        return m.start(1), m.end(1)
    return start, end


TYPE_RULES = [
    ("date", r"\bwhen\b|\bwhat (?:year|date|time|decade|century|month)\b|\bwhich (?:year|decade|century|month)\b|\bin what year\b"),
    ("number", rf"\bhow (?:many|much|old|expensive|{MEASURES})\b|\bwhat (?:number|percentage|population|amount)\b"),
    ("name", r"\bwho(?:m|se)?\b|\bwhere\b|\bwhat (?:country|city|province|region|place|town|name|language|organi[sz]ation|company|school|college|university)\b|\bwhich (?:country|city|province|region|place|person|people)\b"),
]


WH_WORDS = "what|which|who|whom|whose|when|where|how|why"
"""The question words, as a regex alternation (the question reader and the type reader share them)."""
_WH = re.compile(rf"\b(?:{WH_WORDS})\b")


def answer_type(question: str) -> str:
    """What kind of span the question asks for: date, number, name or thing.

    Read from its first question word on: the "when" of "Who was the leader when the Franks entered ...?"
    or "What title did he give himself when signing?" asks for no date."""
    q = question.lower()
    first = _WH.search(q)
    for kind, rule in TYPE_RULES:
        if re.match(rule, q[first.start():]) if first else re.search(rule, q):
            return kind
    return "thing"


_BARE_NUMBER = re.compile(rf"[\d,.\s%{CURRENCY}–-]+(?:s|st|nd|rd|th)?")
"""Digits alone: on the SQuAD training articles no answer to a who/whom/whose question is one, and 2 of 205
to where-questions are (both a rank: "Where did it place among Wii titles?" -> "4th")."""


def fits_type(span: str, kind: str) -> bool:
    """Whether a span looks like what the question asks for; "thing" fits anything."""
    if kind == "name":  # a bare number or year is nobody and nowhere ("Where did she work?" -> "2015")
        return bool(re.search(r"(?:^|\s|\()[A-Z0-9]", span)) and not _BARE_NUMBER.fullmatch(span)
    return kind not in PATTERNS or any(re.search(p, span) for p in PATTERNS[kind])


def _spans(sentence: str, kind: str) -> list[tuple[int, int, bool]]:
    """Candidate spans in a sentence; the flag says whether they match the asked type."""
    found = [(m.start(), m.end(), True) for p in PATTERNS.get(kind, []) for m in re.finditer(p, sentence)]
    if kind == "thing" or not found:
        for p in PATTERNS["name"]:
            found += [(m.start(), m.end(), kind in ("name", "thing")) for m in re.finditer(p, sentence)]
        found += [(s, e, False) for s, e in _content_runs(sentence)]
    return [(s, e, t) for s, e, t in found if e > s]


def _content_runs(sentence: str) -> list[tuple[int, int]]:
    """Runs of words separated by punctuation: a fallback for noun-phrase answers."""
    runs = []
    for m in re.finditer(r"[^,;:()“”\"]+", sentence):
        s, e = m.start(), m.end()
        while s < e and not sentence[s].isalnum():
            s += 1
        while e > s and not sentence[e - 1].isalnum():
            e -= 1
        runs.append((s, e))
    return runs


def rank_sentences(question: str, qvec: np.ndarray, store: "Snapshot", ranked: Sequence[Ranked]) -> list[tuple[float, int]]:
    """Sentences of the ``ranked`` passages, best first, by meaning, rare shared words, and holding the asked type."""
    idf = store.term_idf()
    qterms = set(terms(question))
    total = sum(idf.get(t, 1.0) for t in qterms)
    patterns = PATTERNS.get(answer_type(question), [])
    seen: dict[int, float] = {}
    for r in ranked:
        p = store.passages[r.passage]
        for i in store.sentences_in(p.doc, p.start, p.end):
            text = store.sentences[i].text
            shared = qterms & store.sentence_terms(i)
            overlap = sum(idf.get(t, 1.0) for t in shared) / total if total else 0.0
            typed = 0.1 if any(re.search(pat, text) for pat in patterns) else 0.0
            dense = float(store.sentence_vecs[i] @ qvec.ravel())
            score = 0.45 * dense + 0.35 * overlap + 0.1 * r.fused + typed
            seen[i] = max(seen.get(i, 0.0), score)
    return sorted(((s, i) for i, s in seen.items()), reverse=True)


_SAYS = re.compile(r"\b[a-z]{2,}")
"""A word in lower case: a line that says something, not a title or a name standing as a heading."""
YES_NO_PASSAGES = 4
YES_NO_SENTENCES = 3


STEP_BONUS = 0.2
"""What a sentence saying "to <the asked verb>" ("To descale, fill ...") gains for a how-to question: it is the step
asked for, where a troubleshooting line sharing the verb ("..., then pair again.") only mentions it."""


def sentence_candidates(question: str, qvec: np.ndarray, store: "Snapshot", ranked: Sequence[Ranked],
                        candidates: Sequence[Candidate], step: str | None = None) -> list[Candidate]:
    """For a yes/no or how-to question (``step``: its verb), the sentences that bear on it, whole, instead of the
    extractor's spans.

    No span of a document says "yes": the reader, trained on questions that have a span, answered "Is
    Bazarak the capital of Panjshir?" with "173,000". The sentence most like the question ("Bazarak serves
    as the provincial capital.") is what a user needs to decide. Whether the documents speak to the question
    at all is still the extractor's calibrated confidence: its best span's score gates the best sentence,
    and the others get their share of it by sentence score."""
    best_score = gate(candidates)
    says_step = re.compile(rf"\bto\s+{re.escape(step)}\b", re.IGNORECASE) if step else None
    scored = sorted(((score + STEP_BONUS * bool(says_step and says_step.search(store.sentences[i].text)), i)
                     for score, i in rank_sentences(question, qvec, store, ranked[:YES_NO_PASSAGES])), reverse=True)
    best = [(score, i) for score, i in scored
            if _SAYS.search(store.sentences[i].text)][:YES_NO_SENTENCES]  # not a heading: "Helena Ferreira"
    if not best or best[0][0] <= 0:
        return []
    top = best[0][0]
    sentences = [(store.sentences[i], score) for score, i in best]
    return [Candidate(s.doc, s.start, s.end, best_score * max(0.0, score) / top) for s, score in sentences]


def choice_candidates(question: str, options: Sequence[str], qvec: np.ndarray, store: "Snapshot",
                      ranked: Sequence[Ranked], candidates: Sequence[Candidate]) -> list[Candidate]:
    """For a choice question ("Was he born in Piyu or in Kabul?"), the offered option the documents bear out,
    as found in the sentence most like the question, then the other; the extractor's spans where neither occurs.

    The reader, reading a passage that names one option, answered that one with "Takhar", the province around
    Piyu. Which option a sentence supports is judged like a yes/no question's sentence (meaning, rare shared
    words), nearest the question's other words where one sentence names both; the extractor's best score gates it."""
    best_score = gate(candidates)
    best: dict[str, tuple[float, float, Candidate]] = {}
    qwords = set(words(question)) - STOPWORDS - {w for o in options for w in words(o)}
    written = [_option_said(o) for o in options]
    for score, i in rank_sentences(question, qvec, store, ranked[:YES_NO_PASSAGES]):
        sent = store.sentences[i]
        anchors = [m.start() for m in re.finditer(r"[^\W_]+", sent.text) if m.group(0).lower() in qwords]
        for option, said in zip(options, written):
            for m in said.finditer(sent.text):
                near = -min((abs(a - m.start()) for a in anchors), default=1000)
                found = Candidate(sent.doc, sent.start + m.start(), sent.start + m.end(), score)
                if (score, near) > best.get(option, (float("-inf"), 0.0, found))[:2]:
                    best[option] = (score, near, found)
    if not best:
        return list(candidates)
    chosen = sorted(best.values(), key=lambda b: b[:2], reverse=True)
    top = max(chosen[0][0], 1e-9)
    return [Candidate(c.doc, c.start, c.end, best_score * max(0.0, min(1.0, s / top))) for s, _, c in chosen]


def _option_said(option: str) -> re.Pattern[str]:
    """Where a text says a choice's option: as a whole word or amount, so "$180" is not read in "$180.50" nor
    "180" in "1,180", and across any spacing ("20 pence" over a line break)."""
    spaced = r"\s+".join(re.escape(w) for w in option.split())
    return re.compile(rf"(?<!\w)(?<!\d[.,]){spaced}(?!\w|[.,]\d)", re.IGNORECASE)


_KIND_OF = re.compile(r"\b(?:what|which)\s+(?:kind|type|sort|form)s?\s+of\s+((?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*?)s?\b"
                      r"(?=\s+(?:is|are|was|were|did|does|do|has|have|had|can|could|will|would)\b|\W*$)",
                      re.IGNORECASE)


def kind_candidates(question: str, store: "Snapshot", candidates: Sequence[Candidate]) -> list[Candidate]:
    """For "What kind of military leader was Ahmad Shah Massoud?", the extractor's best span that stands right
    before the noun asked about ("anti-Soviet military leader"), first, at the extractor's best score; the reader
    had put "an Afghan politician" (0.45) over "anti-Soviet" (0.35). Only a reorder of the extractor's own spans."""
    m = _KIND_OF.search(question)
    if not m or not candidates:
        return list(candidates)
    noun = re.compile(rf"\s+{re.escape(m.group(1))}s?\b", re.IGNORECASE)
    before = next((c for c in candidates if noun.match(store.text(c.doc), c.end)), None)
    if before is None or before is candidates[0]:
        return list(candidates)
    return [replace(before, score=gate(candidates))] + [c for c in candidates if c is not before]


class HeuristicExtractor:
    """Picks the best supporting sentence, then the typed span inside it that the question does not already say."""

    def __init__(self, passages: int = 4) -> None:
        self.passages = passages

    def extract(self, question: str, qvec: np.ndarray, store: "Snapshot", ranked: Sequence[Ranked]) -> list[Candidate]:
        kind = answer_type(question)
        qwords = set(words(question))
        out: list[Candidate] = []
        for sent_score, i in rank_sentences(question, qvec, store, ranked[: self.passages])[:3]:
            sent = store.sentences[i]
            anchors = [m.start() for m in re.finditer(r"[^\W_]+", sent.text) if m.group(0).lower() in qwords - STOPWORDS]
            for s, e, typed in _spans(sent.text, kind):
                span_words = [w for w in words(sent.text[s:e]) if w not in STOPWORDS]
                if not span_words or all(w in qwords for w in span_words):
                    continue
                novelty = sum(w not in qwords for w in span_words) / len(span_words)
                near = min((abs(a - s) for a in anchors), default=200)
                shortness = 1.0 / (1.0 + max(0, len(span_words) - 4) / 4)
                score = sent_score * (0.6 + 0.4 * typed) * novelty * (0.7 + 0.3 / (1 + near / 60)) * shortness
                out.append(Candidate(sent.doc, sent.start + s, sent.start + e, float(max(0.0, min(1.0, score)))))
        return sorted(out, key=lambda c: -c.score)
