"""Reading a user's message: which sentences ask, which names it mentions that the documents do not,
whether it asks yes or no, which options a choice offers, whether it asks what is not so, and who "he"
or "it" is in a follow-up question."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from .extract import (CURRENCY, MEASURE_LEAD, MEASURES, MONTH_NAMES, NAME_PHRASE, NUMBER_WORDS, UNIT_AFTER, UNITS, WH_WORDS,
                      opens_sentence)
from .retrieval import composed, fold_accents, terms
from .splitter import sentence_spans

if TYPE_CHECKING:
    from .types import Answer


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


_AUXILIARY = re.compile(r"\s*[\"'\u201c(]*(?:is|are|was|were|am|do|does|did|has|have|had|can|could|will|would|shall|should|may|"
                        r"might|must)(?:n['\u2019]t)?\s+\w", re.IGNORECASE)
_WH_OR_CHOICE = re.compile(rf"\b(?:{WH_WORDS}|or)\b", re.IGNORECASE)


def is_yes_no(question: str) -> bool:
    """Whether a question asks yes or no ("Is Bazarak the capital?"), which no span of a document answers.

    A choice ("Was it for male or female students?") has its answer in the text, and so does a wh-question
    asked politely ("Can you tell me when he was born?"); both stay with the reader."""
    return bool(_AUXILIARY.match(question)) and not _WH_OR_CHOICE.search(question)


_HOW_TO = re.compile(r"^\W*(?:(?:please|so|and|ok(?:ay)?),?\s+)?how\s+(?:(?:do|can|could|should|would|must|may|might|"
                     r"shall)\s+(?:i|we|you)|to)\s+(?:(?:best|ever|safely|quickly|properly)\s+)?([^\W\d_][\w-]*)",
                     re.IGNORECASE)


def asks_how_to(question: str) -> str | None:
    """The verb a user asks how to do ("How do I pair the kettle?" -> "pair", "How to reset it?" -> "reset"), else
    None: the answer is a step, a sentence, which no short span is. The reader answered "How do I pair the kettle?"
    over a manual with "router" (from "Move the router closer or restart it, then pair again."). SQuAD's "How does
    one ...?" asks for a short answer and stays with the reader; of the training articles' questions one matches
    ("How could you only get to this quake lake?" -> "by foot or air", inside the sentence given)."""
    m = _HOW_TO.match(question)
    return m.group(1).lower() if m else None


_CHOICE = re.compile(r"([^\W_][\w'\u2019-]*)\s+or\s+(?:(?:in|at|on|the|a|an|by|for|from|to|with|of|as)\s+)*"
                     r"([^\W_][\w'\u2019-]*)")
_CAPITALISED_RUN = r"(?:[A-Z][\w'\u2019-]*\s+)*"
_OPTION_AMOUNT = (rf"[{CURRENCY}]?\d+(?:[.,]\d+)*%?"
                  rf"(?:[ \t\u00a0]?(?:{UNITS}|pence|p|cents?|dollars?|euros?|yen|rupees?)(?![\w/-]))?")
_AMOUNT_CHOICE = re.compile(rf"(?<![\w.,])({_OPTION_AMOUNT})\s+or\s+(?:(?:in|at|on|for|by|to|about)\s+)?"
                            rf"({_OPTION_AMOUNT})(?![\w%]|[.,]\d)", re.IGNORECASE)
"""Two amounts offered as a choice, each with its currency sign, percent sign or unit ("$180 or $260", "20 pence or
50 pence"): the word pattern took "pence" and "50", and no option of "$180 or $260"."""


def choice_options(question: str) -> list[str]:
    """The two things a choice question offers ("Was he born in Piyu or in Kabul?" -> Piyu, Kabul), else [].

    A choice opens like a yes/no question and joins its options with "or"; an option that is a name takes
    in the capitalised words around it ("Ahmad Shah Massoud or Ahmad Massoud"), one that is an amount its sign or
    unit ("$180", "20 pence"). "... or not" is no choice."""
    if not _AUXILIARY.match(question):
        return []
    if amounts := _AMOUNT_CHOICE.search(question):
        left, right = amounts.group(1), amounts.group(2)
        return [left, right] if left.lower() != right.lower() else []
    m = _CHOICE.search(question)
    if not m or m.group(2).lower() == "not":
        return []
    left, right = m.group(1), m.group(2)
    if left[:1].isupper():
        run = re.search(_CAPITALISED_RUN + re.escape(left) + r"$", question[:m.end(1)])
        found = run.group(0).split() if run else [left]
        left = " ".join(found[1:] if run and opens_sentence(question, run.start()) else found)  # not "Was"
    if right[:1].isupper():
        phrase = NAME_PHRASE.match(question, m.start(2)).group(0)  # type: ignore[union-attr]  # "La Règle du Jeu"
        right = re.split(r"\s+(?:the|and)\s+", phrase)[0]  # not "Amrullah Saleh the Vice President"
    return [left.strip(), right.strip()] if left.lower() != right.lower() else []


_NEGATED = re.compile(r"\b(?:not|never|cannot)\b|n['\u2019]t\b", re.IGNORECASE)
_NOT_A_NEGATION = re.compile(r"\bor not\b|\bor may not\b|\bnot only\b|\bif not\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without|cannot|nothing|nobody|nowhere|lacks?|lacking|lacked|"
                       r"unable|den(?:y|ies|ied)|refus(?:e|es|ed)|forb(?:id|ids|ade|idden)|prohibit(?:s|ed)?|banned|"
                       r"fail(?:s|ed)?|unsuccessful(?:ly)?|unused|unlikely)\b|n['\u2019]t\b", re.IGNORECASE)
"""Negation in a sentence: "not" and its kin, and words that deny what the sentence says of its subject ("denied by
the government", "were unable to contact", "forbade them", "went unused"), which answer a question asked with "not".
A prefix ("non-deterministic"), "except" and "instead" qualify a phrase instead and are no negation here."""


def asks_negated(question: str) -> bool:
    """Whether a question asks about what is not so ("What method is not used to ...?").

    "whether or not", "may or may not" and "not only" negate nothing, and neither does a yes/no question
    asked in the negative ("Isn't Bazarak the capital?" asks whether it is)."""
    return not is_yes_no(question) and bool(_NEGATED.search(_NOT_A_NEGATION.sub(" ", question)))


def negates(sentence: str) -> bool:
    """Whether a sentence says that something is not so, in any of the usual words ("it had no military solution")."""
    return bool(_NEGATION.search(sentence))


OPPOSITES = (("earliest", "latest"), ("largest", "smallest"), ("biggest", "smallest"), ("most", "least"),
             ("increase", "decrease"), ("increased", "decreased"), ("higher", "lower"), ("highest", "lowest"),
             ("above", "below"), ("minimum", "maximum"), ("north", "south"), ("east", "west"), ("northern", "southern"),
             ("eastern", "western"), ("oldest", "youngest"), ("oldest", "newest"), ("success", "failure"),
             ("successful", "unsuccessful"), ("positive", "negative"), ("rise", "fall"), ("rose", "fell"),
             ("inside", "outside"), ("internal", "external"), ("private", "public"), ("legal", "illegal"),
             ("strongest", "weakest"), ("best", "worst"), ("better", "worse"), ("longest", "shortest"),
             ("ancient", "modern"), ("accepted", "rejected"), ("allowed", "banned"), ("gain", "loss"))
"""Words SQuAD 2.0's writers swap for their opposite to make a question unanswerable ("the least used type" of
a sentence about the most used one: "antonym", a fifth of its unanswerable questions, Rajpurkar et al. 2018).
Chosen on the training articles, where 4 of 348 unanswerable questions and none of 4,371 answerable ones say
one of these words where their sentence says its opposite. Left out because paraphrases flip them there: last (also a
verb), late ("his late father"), before/after, more/less, older/younger, won/lost, major/minor."""
_OPPOSITE = {w: frozenset(b if w == a else a for a, b in OPPOSITES if w in (a, b)) for pair in OPPOSITES for w in pair}
NEGATIVE_PREFIXES = ("un", "non", "in", "im", "il", "ir")
"""A word and its negation by prefix are opposites too ("unofficial" of a sentence saying "official"). On the training
articles: 5 of 348 unanswerable questions and none of 4,371 answerable ones, once a question that says "not" or
"non" is left out ("not being used" is "unused"). "dis" is not used: "display" is no negation of "play"."""
_STEM = 4  # letters a word must keep without its prefix ("unit" is not "un" + "it")
_LETTERS = re.compile(r"[^\W\d_]+")
_YEAR = re.compile(r"(?<![\d.,])(?:1\d{3}|20\d{2})(?![\d.,]\d|['\u2019]?s\b)")  # not a decade ("the 1950s")
_AT_LEAST = re.compile(r"\bat (?:least|most)\b", re.IGNORECASE)
_COUNTED_MEASURES = "|".join(w for w in MEASURES.split("|") if w not in ("long", "fast"))
"""Measures whose answer always holds a number: "months" answers "how long", and no training question asks "how fast"."""
_COUNT_QUESTION = re.compile(
    rf"^\W*(?:how (?:many|much|old|expensive|{_COUNTED_MEASURES})|"  # a count, or a measure:
    r"what (?:number|percentage|percent|proportion|amount))\b"
    r"|^\W*(?:what|which) (?:is|was|are|were) (?:the |its |their |his |her )?(?:(?:total|estimated|approximate|average|"
    r"annual)\s+)?(?:population|area|size|length|height|width|depth|weight|distance|cost|price|budget|revenue|income|"
    r"salary|speed|temperature|age|elevation|altitude|capacity|attendance)(?:\s+(?:of|in)\b|\W*$)"
    r"|\bin (?:square )?(?:kilometres|kilometers|miles|metres|meters|feet|km|kg|pounds|dollars|euros|tons|tonnes|acres|"
    r"hectares|degrees|percent)\W*$", re.IGNORECASE)
_DIGIT = r"[\d\u00bc-\u00be\u2150-\u215e]"
"""A digit or a fraction written as one character ("½ cup", "¾ tsp"): a recipe's amounts held no number before."""
_COUNT = re.compile(rf"{_DIGIT}|\b(?:{NUMBER_WORDS}|\w+teen|hundreds|thousands|millions|billions|trillions?|dozens|"
                    r"half|once|twice|thrice|single|double|triple|both|all|every|each|none|no|several|many|much|few|"
                    r"little|most|some|majority|minority|couple)\b", re.IGNORECASE)
_WEIGHT = (r"kg|mg|g|lbs?|oz|t", r"kilos?|kilograms?|grams?|tonnes?|tons?|pounds?|ounces?|stones?|carats?|"
           r"weigh\w*|mass|heavy|heavier|heaviest")
_LENGTH = (r"km|m|cm|mm|mi|ft|in|yd|['\"′″]",
           r"(?:kilo|centi|milli)?(?:metres?|meters?)|miles?|feet|foot|inches|inch|yards?|storeys?|stories|floors|"
           r"\w*(?:height|tall|high|depth|deep|thick|width|wide|length|long|elevation|altitude)\w*")
_DIMENSIONS = {"heavy": ("weight", _WEIGHT), "tall": ("height", _LENGTH), "deep": ("depth", _LENGTH),
               "thick": ("thickness", _LENGTH), "wide": ("width", _LENGTH),
               "far": ("distance", (_LENGTH[0], _LENGTH[1] + r"|blocks?|distance|away|walk|drive|ride|hours?|minutes?"))}
_DIMENSION_QUESTION = re.compile(rf"{MEASURE_LEAD}({'|'.join(_DIMENSIONS)})\b", re.IGNORECASE)
_DIMENSION_SAID = {adjective: re.compile(rf"{_DIGIT}\s?(?:{short})(?![^\W\d_])|(?<![^\W\d_])(?:{words})(?![^\W\d_])",
                                         re.IGNORECASE) for adjective, (_, (short, words)) in _DIMENSIONS.items()}
"""A measure's units, short ones only after a number ("11.2 kg", "6'2\""), and its words: "How heavy is Panjshir?"
was answered "173,000" (its population), a number but no weight. The sentence, not the span, must say one: SQuAD's
annotators often leave the unit out ("541.3" of "How tall is One World Trade Center in meters?"). "high", "large",
"big" and "old" measure counts too ("as high as 11 million") and are not checked; "far" takes a walk or a drive
("a few blocks", "ten minutes' walk")."""
_CODE = re.compile(r"(?<![\w-])([A-Z]{1,3})-?(\d{1,4})(?![\w-])")
"""A code of capitals and digits ("E2", "MI6", "Q3", "C-17"): a different one in the answer's sentence, with the
same letters, is about something else. "What does error code E2 mean?" was answered from "E1 means the
temperature sensor has failed." SQuAD 2.0's writers swap codes too ("the old MI66 building")."""


def _codes(text: str) -> frozenset[tuple[str, str]]:
    return frozenset(_CODE.findall(text))


_DAY_QUESTION = re.compile(r"^\W*(?:on |by )?(?:what|which) (?:date|day)s?\b", re.IGNORECASE)  # "On what days ...?"
_CALENDAR = (f"{MONTH_NAMES}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|"
             "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?")
"""Months, their short forms and weekdays, plural too ("closed on Mondays"): a day's name, and never a name a
number belongs to ("May 27")."""
_DAY = re.compile(rf"\b(?:{_CALENDAR}|Christmas|Easter|New Year|day|weekdays?|weekends?|today|yesterday|tomorrow)\b"
                  r"|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", re.IGNORECASE)
TITLE_WORDS = ("President|Minister|Chancellor|King|Queen|Prince|Princess|Emperor|Empress|Duke|Duchess|Count|Earl|Lord|"
               "Lady|Sir|General|Admiral|Colonel|Captain|Commander|Marshal|Chief|Director|Chairman|Chairwoman|Chair|"
               "CEO|CFO|CTO|Governor|Mayor|Senator|Secretary|Ambassador|Bishop|Archbishop|Pope|Cardinal|Saint|St|"
               "Professor|Prof|Doctor|Dr|Judge|Justice|Sheikh|Khan|Sultan|Emir|Caliph|Head|Leader|Founder|Officer")
"""Words that make a capitalised span a description of someone ("First Vice President") rather than a name."""
_NAME_WORD = r"[A-Z][\w.-]*(?:['\u2019](?!s\b)[\w.-]+)?"  # "O'Brien", not "Guy's"
_NAME_JOIN = r"of|de|da|di|del|der|du|la|le|van|von|bin|ibn|al|and|y"
_WHO_IS_NAME = re.compile(rf"^\W*(?i:who)\s+(?i:is|was|are|were)\s+(?!.*\b(?:{TITLE_WORDS})\b)(?P<name>{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|{_NAME_JOIN}))*)"
                          r"\s*\?*\s*$")
_DESCRIBES = re.compile(rf"\b(?!(?:{_NAME_JOIN}|the|a|an)\b)[a-z][\w'-]*|\b(?:{TITLE_WORDS})\b")
_WHY_QUESTION = re.compile(r"^\W*(?:why|for what reason)\b", re.IGNORECASE)
_REASON = re.compile(r"\b(?!(?:in|on|at|the|of|and|by|for|to|a|an)\b)[a-z][a-z'-]{2,}")
_ASKED = {"number": (_COUNT_QUESTION, _COUNT, "holds none"), "day": (_DAY_QUESTION, _DAY, "names none"),
          "description": (_WHO_IS_NAME, _DESCRIBES, "is only a name or a label"), "reason": (_WHY_QUESTION, _REASON, "gives none")}
"""What a question's answer itself must hold, by how the question opens: a count or measure ("How many ...", "What
is the area of ...") a number or an amount; "On what date/day ..." a day, not only a year; "Who is <a name>?" a
description ("a U.S. inventor, engineer and solar energy pioneer", "First Vice President"), not another name: the
reader, which saw few such questions, answered "Who is Stephen Cook?" with "Leonid Levin", named beside him. In
the SQuAD training articles each of the 3 questions of that form is answered with a description. "Why ...?" asks for
a reason, which takes a word in lower case: a user's "Why did Margaret Holloway retire?" was answered "2015" (0.81);
each of the 36 "why" questions of the training articles has such a word in its answer."""


_CARDINALS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
              "seventeen eighteen nineteen").split()
_ORDINALS = ("zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
             "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth").split()
_TENS = ("twenty thirty forty fifty sixty seventy eighty ninety").split()
_TENTHS = [w[:-1] + "ieth" for w in _TENS]  # "twentieth" ...
_NUMBER_VALUE = {w: i for i, w in enumerate(_CARDINALS)} | {w: i for i, w in enumerate(_ORDINALS)} | \
    {w: 20 + 10 * i for i, w in enumerate(_TENS)} | {w: 20 + 10 * i for i, w in enumerate(_TENTHS)} | \
    {"hundred": 100, "dozen": 12}
_ORDINALS_SET = frozenset(_ORDINALS + _TENTHS)
_ORDINAL_WORD = re.compile(rf"\b(?:\d+(?:st|nd|rd|th)|(?:(?:{'|'.join(_TENS)})-)?(?:{'|'.join(_ORDINALS + _TENTHS)}))\b",
                           re.IGNORECASE)
"""An ordinal ("twenty-fourth", "41st"): a rank, never a count; "twenty" of "twenty-fourth" counts nothing."""
_VAGUE = frozenset({"zero", "zeroth", "one", "first", "second"})  # "one of", "at first", "a second"
_NUMBER = re.compile(r"(?<![\w.,/-])(\d+(?:,\d{3})*(?:\.\d+)?)(?:st|nd|rd|th)?(?![\w/-]|[.,]\d)"
                     rf"|\b({'|'.join(_NUMBER_VALUE)})(?:-({'|'.join(_CARDINALS[1:10] + _ORDINALS[1:10])}))?\b",
                     re.IGNORECASE)
_ASKED_COUNT = re.compile(r"\b(?:what|which|name)\s+(?:(?:are|were|is|was)\s+)?(?:the\s+)?$", re.IGNORECASE)


_IN_NAME = re.compile(rf"(?<![.!?:;]\s)(?<![.!?:;]\s\s)(?<!^)\b(?!(?:{_CALENDAR}|The|In|On|At|By|For|From|To|Of|With|"
                      r"About|After|Before|Since|Until|Over|Under|Around|Nearly|Some|All|Only|Top|Page|Chapter|Section|"
                      r"Table|Figure|Step|Part|Article|Room|Floor|Level|Grade|Class|Year|Day|Week|Month|Season|Episode|"
                      r"Volume|No)\b)[A-Z][\w-]*[ \t]+$")
"""A capitalised word, not a sentence's first, right before a number: the number is part of a name ("Pro 450",
"Boeing 747"), unless the word is a month ("May 27"), a preposition or a numbered part ("Chapter 3")."""


def _numbers(text: str, loose: bool, in_names: bool = True) -> Iterator[tuple[str, str]]:
    """(value, as written) for each number ``stated_numbers`` takes from ``text``; unless ``in_names``, not those
    that are part of a name ("the Brewmaster Pro 450"), which a question's number check must not hold against
    a sentence about the same thing ("It costs €549"). A sentence's numbers all count: its "Hot 100" says 100."""
    for m in _NUMBER.finditer(text):
        if not in_names and m.group(1) and _IN_NAME.search(text, max(0, m.start() - 30), m.start()) \
                and not UNIT_AFTER.match(text, m.end()):
            continue  # not "Kodak 45 mm": a measure
        ordinal = m.group(0)[-1].isalpha() if m.group(1) else (m.group(3) or m.group(2)).lower() in _ORDINALS_SET
        if not loose and not ordinal and _ASKED_COUNT.search(text, max(0, m.start() - 40), m.start()):
            continue  # "What two guests ...?" counts the answer; "What is the third ...?" states a fact
        if m.group(1):
            if not _YEAR.fullmatch(m.group(1)):
                yield m.group(1).replace(",", ""), m.group(0)
            continue
        word = m.group(2).lower()
        if loose or m.group(3) or word not in _VAGUE:
            yield str(_NUMBER_VALUE[word] + (_NUMBER_VALUE[m.group(3).lower()] if m.group(3) else 0)), m.group(0)


@functools.lru_cache(maxsize=512)  # the same paragraph is checked for each candidate answer in it
def stated_numbers(text: str, loose: bool = False) -> frozenset[str]:
    """The numbers a text states, as values ("thirty-fourth" -> "34", "1,000" -> "1000"), years left out (``_YEAR``).

    Unless ``loose``, words that are seldom a number ("one of", "at first") and a count the question asks of its
    answer ("What two guests ...?") are left out too; a number inside a code or range ("Q3", "2013-14") always."""
    return frozenset(value for value, _ in _numbers(text, loose))


def _lower_words(text: str) -> frozenset[str]:
    """Words written in lower case: "North Korea" and "at least" are no direction or amount to contradict."""
    return frozenset(w for w in _LETTERS.findall(_AT_LEAST.sub(" ", text)) if w.islower())


def _every_word(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _LETTERS.findall(text))


def _negations(word: str) -> list[str]:
    """The word without its negative prefix, or with one: "unofficial" -> "official", "formal" -> "informal"."""
    bare = [word[len(p):] for p in NEGATIVE_PREFIXES if word.startswith(p) and len(word) - len(p) >= _STEM]
    return bare + [p + word for p in NEGATIVE_PREFIXES]


def _option_values(options: Sequence[str]) -> frozenset[str]:
    """The years and numbers of a choice's options, as ``stated_numbers`` and ``_figure`` write them ("$1,180" ->
    "1180")."""
    return frozenset(v for o in options for v in (*_YEAR.findall(o), *(value for value, _ in _numbers(o, loose=True))))


def described(question: str) -> str | None:
    """The name a "Who is <a name>?" question asks about ("Margaret Holloway"), else None; "Who was King of
    France?" names a role, and asks for a name."""
    m = _WHO_IS_NAME.match(question)
    return m.group("name") if m else None


@dataclass(frozen=True)
class Bearing:
    """What a quoted sentence has to bear out for a question as asked: its "not", and its words that have an
    opposite (in ``OPPOSITES`` or by a negative prefix). An answer from a sentence that says neither ("the most used type" for "the least used type")
    answers another question. The same goes for a year: SQuAD 2.0's writers also move one ("in 1974" of a
    sentence saying 1975), so a question's year that the answer's paragraph never says, where its sentence says
    another year, marks the answer. On the training articles (``benchmarks/bearing_checks.py``) that is 11 of 348
    unanswerable questions and 1 of 4,371 answerable ones; with the sentence in place of the paragraph it was 12
    and 13 ("in 2011" of a sentence saying 2010, the one before it 2011). Other numbers are moved too ("the
    thirty-fourth film" of the twenty-fourth): see ``_number_objection``."""

    negated: bool = False
    contrasts: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()  # every word of the question, lower-cased
    years: frozenset[str] = frozenset()
    prefixed: frozenset[str] = frozenset()  # its lower-case words that may be negated by a prefix, or negate one
    asks: str = ""  # "number", "day" or "description" (``_ASKED``): what the answer itself must hold
    numbers: tuple[tuple[str, str], ...] = ()  # its numbers other than years: (value, as written), ``stated_numbers``
    plain: frozenset[str] = frozenset()  # the words it writes in lower case and their stems (none for a choice)
    about: str = ""  # whom a "Who is <a name>?" question asks about
    measure: str = ""  # the adjective of "How heavy/tall/deep/thick/wide/far ...?" (``_DIMENSIONS``)
    codes: frozenset[tuple[str, str]] = frozenset()  # its codes ("E2", "MI6", "Q3"): (letters, digits), ``_CODE``
    figures: frozenset[str] = frozenset()  # every number it writes in digits, names' and years' too ("3.7", "1989")
    options: frozenset[str] = frozenset()  # the years and numbers a choice offers ("1989 or 1990"): one is enough

    @classmethod
    def of(cls, question: str) -> "Bearing":
        """A yes/no question is exempt: a sentence saying the opposite still answers it (with "no"). So is the
        answer to a choice that is one of its numbers ("Was he born in 1989 or 1990?" -> "1989")."""
        if is_yes_no(question):
            return cls()
        negated, every, lower = asks_negated(question), _every_word(question), _lower_words(question)
        prefixed = frozenset() if negated or "non" in every else frozenset(w for w in lower if len(w) >= _STEM)
        options = choice_options(question)
        offered = _option_values(options)
        return cls(negated, frozenset(w for w in lower if w in _OPPOSITE), every, frozenset(_YEAR.findall(question)),
                   prefixed, next((kind for kind, (opening, *_) in _ASKED.items() if opening.search(question)), ""),
                   tuple(_numbers(_asking_clause(question), loose=False, in_names=False)),
                   frozenset() if options else _plain_words(question), described(question) or "",
                   m.group(1).lower() if (m := _DIMENSION_QUESTION.search(question)) else "", _codes(question),
                   frozenset(_figure(m.group(0)) for m in _FIGURE.finditer(question)) - offered, offered)

    def _borne(self, said: Iterable[str]) -> frozenset[str]:
        """The years or numbers ``said`` bears out: a choice's options all, once it says one of them (the answer)."""
        said = frozenset(said)
        return said | self.options if said & self.options else said

    @property
    def checks(self) -> bool:
        """Whether there is anything for a sentence to bear out: false for a yes/no question; true for almost
        every other, since any word of 4+ letters may meet its prefixed negation."""
        return self.negated or bool(self.asks or self.contrasts or self.years or self.codes or self.prefixed
                                    or self.numbers or self.plain)

    @property
    def reads_paragraph(self) -> bool:
        """Whether ``objection`` reads the paragraph around the sentence: only for a year or another number."""
        return bool(self.years or self.numbers)

    def objection(self, sentence: str, span: str = "", paragraph: str = "") -> str:
        """Why ``span`` of ``sentence`` (in ``paragraph``) does not answer the question as asked, or "" when nothing
        is amiss.

        A count or measure question's answer must hold a number or an amount ("seven", "both", "most"): the
        reader's best span for "How many fighters does the resistance have?" of a text that never counts them
        was "the Second Resistance", and for "What is the area of Panjshir in square kilometres?" "the
        northeastern". On the training articles none of the 484 answerable count or measure questions has a gold
        answer without one ("All of the highways" has "all"), and each of the 27 "On what date ...?" ones names a
        month or a weekday ("2021" is no answer to "On what date did Kabul surrender?")."""
        # composed: "Who is José Núñez?" was answered with a decomposed "René" its composed copy is declined for
        sentence, span, paragraph = (composed(t) for t in (sentence, span, paragraph))
        if self.asks and span:
            _, holds, verb = _ASKED[self.asks]
            if not holds.search(_ORDINAL_WORD.sub(" ", span) if self.asks == "number" else span):
                return f'the question asks for a {self.asks}, but the closest answer, "{span}", {verb}'
            if self.measure and not _DIMENSION_SAID[self.measure].search(sentence):
                return (f'the question asks how {self.measure}, but the closest answer, "{span}", comes from a sentence '
                        f'that gives no {_DIMENSIONS[self.measure][0]}')
            if self.about and re.search(rf"(?<![\w-]){re.escape(self.about)}(?![\w-])", span):
                return f'the question asks who {self.about} is, but the closest answer, "{span}", names them itself'
        if span and self.plain and _only_echoes(span, self.plain):
            return f'the closest answer, "{span}", only repeats the question\'s words'
        if span and (m := _FIGURE.fullmatch(span.strip())) and _figure(m.group(0)) in self.figures:
            return f'the closest answer, "{span}", only repeats the question\'s number'
        if self.negated and not negates(sentence):
            return 'the question says "not", but the closest sentence negates nothing'
        lower, every = _lower_words(sentence), _every_word(sentence)
        pairs = [(w, _OPPOSITE[w]) for w in sorted(self.contrasts - every)] + \
                [(w, _negations(w)) for w in sorted(self.prefixed - every)]
        for word, opposites in pairs:
            flipped = sorted(o for o in opposites if o in lower and o not in self.words)
            if flipped:
                return f'the question says "{word}", but the closest sentence says "{flipped[0]}"'
        if self.codes and (other := _codes(sentence)) and not self.codes & other:
            asked = sorted(self.codes)
            if swapped := sorted(c for c in other if c[0] in {letters for letters, _ in asked}):
                return f'the question says "{"".join(asked[0])}", but the closest sentence says "{"".join(swapped[0])}"'
        said, unsaid = set(_YEAR.findall(sentence)), self.years - self._borne(_YEAR.findall(paragraph or sentence))
        if unsaid and said - self.years:
            return f'the question says {min(unsaid)}, but the closest sentence says {min(said - self.years)}'
        return self._number_objection(sentence, paragraph)

    def _number_objection(self, sentence: str, paragraph: str) -> str:
        """A number of the question that its answer's paragraph never states, where the sentence states another
        ("the thirty-fourth James Bond film" of a sentence saying "twenty-fourth"): SQuAD 2.0's writers change
        numbers as they change years. On the training articles this marks 29 of 348 unanswerable questions and
        11 of 4,371 answerable ones ("the 200 letters" of a sentence saying "two hundred"); the paragraph, not the
        sentence, because a number said one sentence earlier still bears the answer out (with the sentence alone:
        31 unanswerable and 30 answerable)."""
        if not self.numbers:
            return ""
        said = self._borne(stated_numbers(paragraph or sentence, loose=True))
        unsaid = [written for value, written in self.numbers if value not in said]
        asked = {value for value, _ in self.numbers}
        other = [written for value, written in _numbers(sentence, loose=False) if value not in asked]
        other.sort(key=sentence.lstrip().startswith)  # a clause's label ("3.2 The employee must ...") named last
        if unsaid and other:
            return f'the question says "{unsaid[0]}", but the closest sentence says "{other[0]}"'
        return ""


_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")


def _plain_words(question: str) -> frozenset[str]:
    """The words a question writes in lower case, with their stems ("prices" -> "price")."""
    lower = [w for w in _WORD.findall(question) if w.islower()]
    return frozenset(lower) | frozenset(terms(" ".join(lower)))


_FIGURE = re.compile(rf"(?<![\w.,])[{CURRENCY}]?\d+(?:[.,]\d+)*%?(?![\w%]|[.,]\d)")
"""A number written in digits standing alone, with its currency or percent sign: "Which release removed Python
3.7?" was answered "3.7". No answerable question of the training articles has such an answer in its question."""


def _figure(written: str) -> str:
    return written.strip(CURRENCY + "%").replace(",", "")


def _only_echoes(span: str, plain: frozenset[str]) -> bool:
    """Whether every word of ``span`` but an article is one the question writes in lower case, as a word or a stem:
    "Price" (a table's header cell) for "What are the ticket prices?". Answers are never copied from the question;
    of the 4,371 answerable questions of the training articles 28 have an answer made of the question's words,
    all names or a choice's option but "both sides" (whose "both" the question lacks)."""
    spoken = [w.lower() for w in _WORD.findall(span) if w.lower() not in ("a", "an", "the")]
    return bool(spoken) and not any(c.isdigit() for c in span) and \
        all(w in plain or bool((stems := terms(w)) and set(stems) <= plain) for w in spoken)


_LEAD_IN = re.compile(rf"[^?]*?[,:;]\s*(?=(?:{WH_WORDS})\b)", re.IGNORECASE)


def _asking_clause(question: str) -> str:
    """The question from its question word on, when a lead-in clause comes first: the numbers of a chat preamble
    in the same sentence ("For my 3rd grade report, when was he born?", "Quick question #2: when ...?") are not
    facts the answer has to bear out."""
    lead = _LEAD_IN.match(question)
    return question[lead.end():] if lead else question


_NAME = re.compile(r"(?<=[\s(\"'\u201c])[A-Z][^\W_]*(?:-[^\W_]+)*(?:['\u2019][^\W_]+)?")
"""A name as a question writes it, hyphenated parts included: "Wi-Fi", not "Wi" (named so in a decline's message)."""
_ASKED_KIND = re.compile(r"\b(?:which|what)\s+$", re.IGNORECASE)
_DEMONYM = re.compile(r"[A-Z][a-z]+(?:an|ese|ish|ic)$")
"""A people's adjective ("European", "Chinese", "British"): right after "which"/"what" and before the noun asked
for, it says what kind of answer is wanted ("Which European country's ...?" -> "Swiss"), not what the text is about."""


def asked_kind(question: str, m: re.Match) -> bool:
    """Whether the capitalised word ``m`` is a people's adjective qualifying the noun a which/what question asks for."""
    return (bool(_ASKED_KIND.search(question, 0, m.start())) and bool(_DEMONYM.fullmatch(m.group(0)))
            and bool(re.match(r"\s+[a-z]", question[m.end():])))


def shouted(text: str) -> bool:
    """Whether a message is in capitals throughout ("WHO LEADS THE RESISTANCE?"), where every word reads as a name.

    Such a question is still checked word by word (a capitalised word no document has may be a name, as
    "HAMLET" is): answering "WHO WROTE HAMLET?" from these documents would be worse than asking for it in
    lower case, which the reply suggests."""
    return any(c.isalpha() for c in text) and not any(c.islower() for c in text)


def unknown_names(question: str, vocabulary: dict[str, float], offered: Sequence[str] = (),
                  texts: Iterable[str] = ()) -> list[str]:
    """Names in the question (capitalised, not a sentence's first word) that no indexed sentence contains.

    "Who is the president of France?" over documents that never say "France" is about
    something else, however confidently the reader finds a president in them. Names within ``offered``
    (a choice's options) do not count, nor initials that ``texts`` (the documents) spell out ("UK").
    """
    unknown = []
    for m in _NAME.finditer(question):
        if opens_sentence(question, m.start()) or any(m.group(0) in o for o in offered) or asked_kind(question, m):
            continue
        name = m.group(0)
        stems = terms(name)
        if name.lower() in vocabulary or all(t in vocabulary for t in stems) or _plural_known(name, vocabulary):
            continue
        # terms are accent-free already; the bare word too, in case the stemmer cut it oddly
        if not _near(fold_accents(name.lower()), vocabulary) and not all(_near(t, vocabulary) for t in stems):
            unknown.append(name)
    if not unknown:
        return unknown
    texts = tuple(texts)  # read once per name below: a generator would be spent by the first
    return [n for n in unknown if not spelled_out(n, texts)]


def _plural_known(name: str, vocabulary: dict[str, float]) -> bool:
    """Whether the documents write the name's plural: initials are not stemmed ("DVDs" stays "dvds"), so "How long
    can I keep a DVD?" was declined as naming something no document mentions."""
    return any(name.lower() + ending in vocabulary for ending in ("s", "es", "'s"))


def unfamiliar(question: str, vocabulary: dict[str, float]) -> bool:
    """Whether most of a question's content words (two or more) appear in no document: a question in another
    language ("Quand est né Ahmad Massoud ?") or about another subject, which a plain "the documents do not seem
    to answer this" leaves the user to guess."""
    stems = terms(question)
    unknown = [t for t in stems if t not in vocabulary]
    return len(unknown) >= 2 and len(unknown) > len(stems) / 2


def unknown_words(question: str, vocabulary: dict[str, float], shown: int = 5) -> str:
    """The question's words that no document has, as typed and quoted ('"boiling", "point", "water"'): a decline
    that only said "most of its words appear in no document" left the user to guess which ("When does the last
    ferry leave?" over a timetable that says "departs": "last" and "leave")."""
    found = dict.fromkeys(w for w in _WORD.findall(question)
                          if (stems := terms(w)) and any(t not in vocabulary for t in stems))
    quoted = [f'"{w}"' for w in list(found)[:shown]]
    return ", ".join(quoted) + (", ..." if len(found) > shown else "")


_INITIALS = re.compile(r"[A-Z]{2,4}")
_BETWEEN_WORDS = r"(?:[ \t\u00a0]+(?:of|the|and|for)[ \t\u00a0]+|[ \t\u00a0]+|-)"
"""What stands between the words of a name written out, within one line ("United States of America", "Saint-Denis")."""


ROLE_INITIALS = {"CEO": "chief executive", "CFO": "chief financial officer", "COO": "chief operating officer",
                 "CTO": "chief technology officer", "VP": "vice president", "PM": "prime minister",
                 "MP": "member of parliament", "HQ": "headquarters", "GDP": "gross domestic product"}
"""Initials that texts write out in lower case, "CEO" often without its last word ("remained chief executive")."""
_ROLE_INITIALS = re.compile(rf"\b(?:{'|'.join(ROLE_INITIALS)})\b")


def written_out(question: str, texts: Iterable[str]) -> str:
    """``question`` with initials the documents never use but write out ("CEO") in their words ("chief
    executive"): "Who is the CEO of Northwind?" was declined for "CEO" over a history saying "remained chief
    executive", and neither keyword search nor the reader takes one for the other."""
    found = dict.fromkeys(_ROLE_INITIALS.findall(question))
    if not found:
        return question
    texts = tuple(texts)
    for initials in found:
        words = re.compile(rf"\b{ROLE_INITIALS[initials]}\b", re.IGNORECASE)
        if not any(re.search(rf"\b{initials}\b", t) for t in texts) and any(words.search(t) for t in texts):
            question = re.sub(rf"\b{initials}\b", ROLE_INITIALS[initials], question)
    return question


def spelled_out(name: str, texts: Iterable[str]) -> bool:
    """Whether ``name`` is a few capitals that ``texts`` write out as capitalised words: users type "US" and
    "UK" for the "United States" and "United Kingdom" of the text ("United States of America" for "USA")."""
    if not _INITIALS.fullmatch(name):
        return False
    full = re.compile(r"\b" + _BETWEEN_WORDS.join(f"{c}[a-z]+" for c in name) + r"\b")
    return any(full.search(t) for t in texts)


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


_PRONOUN = re.compile(r"\b(he|she|it|they|him|them|his|its|their|her)\b", re.IGNORECASE)
_POSSESSIVE = {"his", "its", "their"}
_PERSONAL = {"he", "she", "him", "his", "her"}
_NOT_A_NOUN = {"in", "on", "at", "to", "for", "with", "from", "by", "and", "or", "as", "about"}
_NOT_A_NAME = {"i", "how", "when", "who", "whom", "whose", "where", "what", "which", "why"}
FOLLOW_UP_TURNS = 3  # how many earlier turns a pronoun may reach back to
REFERENT_WORDS = 6  # a longer "name" is a phrase the reader found, not someone to ask about


def resolve_follow_up(question: str, earlier: Sequence["Answer"]) -> str:
    """The question with its first pronoun replaced by what the conversation was about.

    A chat user asks "When was he born?" after "Who leads the resistance?"; alone, "he" matches
    every man in the documents. A pronoun after a name of the question's own ("Did Massoud say he ...")
    refers to that name and is left alone.
    """
    return follow_up(question, earlier)[0]


def follow_up(question: str, earlier: Sequence["Answer"]) -> tuple[str, str | None]:
    """``resolve_follow_up``'s question and the name it put in (None when it changed nothing)."""
    found = _open_pronoun(question)
    if not found:
        return question, None
    word = found.group(1).lower()
    personal = word in _PERSONAL
    # "it" means the last turn's subject or nothing: reaching back past a turn about something unnamed ("Who
    # proposed the open day?" -> "When is it?") read it as the person two turns before
    turns = earlier[-FOLLOW_UP_TURNS:] if personal else earlier[-1:]
    referent = next(filter(None, (_referent(a, personal) for a in reversed(turns))), None)
    if referent is None:
        return question, None
    after = question[found.end():].split(maxsplit=1)
    owner = word in _POSSESSIVE or (word == "her" and bool(after) and after[0].strip("?.!,").lower() not in _NOT_A_NOUN
                                    and after[0][:1].isalnum())
    return question[:found.start()] + referent + ("'s" if owner else "") + question[found.end():], referent


_ENGLISH = frozenset("the a an of and or in on at to for with by from is are was were be been do does did can could will "
                     "would shall should may might must has have had what which who whom whose when where why how "
                     "name list tell give".split())
"""Words nearly every English question holds one of."""


def foreign(question: str, vocabulary: dict[str, float]) -> bool:
    """Whether a question is in another language than the documents, as far as words can tell: most of its words
    appear in no document (``unfamiliar``) and it holds none of English's commonest words. "Wann wurde Ahmad
    Massoud geboren?" was answered "son" above the threshold: the reader saw only the names, which are left out of
    the count. Only a sentence that asks ("?") is judged: "Massoud birth date" is an English keyword search."""
    if "?" not in question or any(w.lower() in _ENGLISH for w in _WORD.findall(question)):
        return False
    unnamed = question
    for name in named_phrases(question):  # names read alike in any language: "Quando nasceu Helena Ferreira?"
        unnamed = unnamed.replace(name, " ")
    return unfamiliar(unnamed, vocabulary)


def _open_pronoun(question: str) -> re.Match[str] | None:
    """The question's first pronoun when it names no one before it ("When was he born?", not "When did Massoud
    say he ..."): the one an earlier answer has to explain."""
    found = _PRONOUN.search(question)
    return None if not found or named_phrases(question[:found.start()]) else found


def unresolved_person(question: str) -> str | None:
    """The he/she/his/her/him of ``_open_pronoun``, which only an earlier answer can say who it is."""
    found = _open_pronoun(question)
    word = found.group(1).lower() if found else None
    return word if word in _PERSONAL else None


def _with_model_number(text: str, name: str) -> str:
    """The name with the model number written after it ("Brewmaster Pro 450"): "How much does it weigh?" after
    "What is the Brewmaster Pro 450?" was asked of the "Brewmaster Pro" and answered "450"."""
    m = re.search(re.escape(name) + r"(?:[ \t]+\d[\w.-]*(?<![.-]))?", text)
    return m.group(0) if m else name


def named_phrases(text: str) -> list[str]:
    """Capitalised phrases ("Ahmad Shah Massoud", "City, University") that are not just a sentence's first word."""
    out = []
    for m in NAME_PHRASE.finditer(text):
        phrase = m.group(0)
        if opens_sentence(text, m.start()):
            phrase = phrase.split(maxsplit=1)[1] if " " in phrase else ""
        phrase = re.sub(r"['\u2019]s?$", "", phrase)  # "Massoud's father" is about Massoud
        if phrase and not _PRONOUN.fullmatch(phrase) and phrase.lower() not in _NOT_A_NAME:
            out.append(phrase)
    return out


_OWNED = re.compile(r"['\u2019]s?(?!\w)")
"""A possessive after a name ("Jürgen Müller's", "James'"): "Who is X's daughter?" asks for someone else than X."""


def _referent(turn: "Answer", personal: bool) -> str | None:
    """Whom an earlier turn was about: the name in "Who is X?", else (for he/she) the person a "who"
    question asked for ("Who is X's daughter?" too), else the first name it asked about."""
    asked = turn.resolved or turn.question
    names = [_with_model_number(asked, n) for n in named_phrases(asked)]
    copula = re.match(r"\s*who (?:is|was|are|were)\s+", asked, re.IGNORECASE)
    if copula and names and asked[copula.end():].startswith(names[0]) \
            and not _OWNED.match(asked, copula.end() + len(names[0])):
        return names[0] if personal else None  # a person is a "he" or "she", not an "it"
    if personal and re.match(r"\s*who", asked, re.IGNORECASE):  # the person is the answer, if it is a name
        found = turn.text if turn.text and NAME_PHRASE.match(turn.text) else None  # "an Afghan politician" is not
        return found if found and len(found.split()) <= REFERENT_WORDS else None
    return names[0] if names and len(names[0].split()) <= REFERENT_WORDS else None
