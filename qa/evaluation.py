"""Scoring ``ask()`` against a question set: metrics, calibration, comparison.

Questions are asked once with the threshold at 0 so every candidate and its
confidence is kept; the configured threshold is then applied exactly as
``ask()`` applies it (``text=None`` below it), which lets the same run also
sweep thresholds for calibration and the accuracy/coverage plot.
"""
from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from .errors import QAError
from . import metrics as m

if TYPE_CHECKING:
    from .pipeline import QA
    from .types import Answer

JSON_KEYS = ("em", "f1", "quote_hit", "recall_at_1", "recall_at_k", "mrr", "false_abstain", "abstain",
             "p50_ms", "p95_ms", "n_answerable", "n_unanswerable")


class QuestionSetError(QAError, ValueError):
    """A question file we cannot use; the message names the line."""


class NothingIndexed(QAError, ValueError):
    """No passage to answer from: every question would score 0 and be blamed on retrieval."""


class Stopped(KeyboardInterrupt):
    """Ctrl-C during a run, with what was asked so far (``result``, set by ``evaluate``): an hour-long run
    stopped near its end lost every answer."""

    def __init__(self, outcomes: list["Outcome"], total: int) -> None:
        super().__init__(f"stopped after {len(outcomes)} of {total} questions")
        self.outcomes, self.total = outcomes, total
        self.result: EvalResult | None = None


class CalibrationError(QAError, ValueError):
    """No threshold keeps wrong abstentions within the limit: even 0 leaves too many questions unanswered."""


@dataclass(frozen=True)
class Outcome:
    """One question asked once: the best candidate (before the threshold) and its evidence."""

    id: str
    question: str
    answers: tuple[str, ...]
    candidate: str | None
    score: float
    doc: str | None
    start: int | None
    end: int | None
    quote: str | None
    sources: tuple[str, ...]
    ms: float
    extra: dict[str, Any] = field(default_factory=dict)
    places: tuple[tuple[str, int, int], ...] = ()
    """Each source's ``(doc, start, end)``, so a saved run can be checked against the documents."""

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    def prediction(self, threshold: float) -> str | None:
        return self.candidate if self.candidate is not None and self.score >= threshold else None

    def f1(self, threshold: float) -> float:
        return m.best(m.f1, self.answers, self.prediction(threshold))

    def em(self, threshold: float) -> float:
        return m.best(m.exact, self.answers, self.prediction(threshold))

    def rank(self) -> int | None:
        """1-based rank of the first source holding a gold answer."""
        return next((i + 1 for i, s in enumerate(self.sources) if m.contains_answer(s, self.answers)), None)


def load_questions(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """JSONL ``{"question", "answers": [...]}`` per line; extra fields are kept (see ``checked_rows``). A file that
    is one JSON document, a SQuAD file or a list of rows, is read as such: each was refused line by line."""
    try:
        data = Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf")  # a BOM, as editors write, is no row
    except OSError as exc:
        raise QuestionSetError(f"cannot read question set {path}: {exc.strerror or exc}") from None
    whole = _whole_document(data, str(path))
    return checked_rows(whole, str(path)) if whole is not None else _json_lines(data, str(path))


def _whole_document(data: bytes, path: str) -> list[tuple[str, int, Any]] | None:
    """The rows of a file that is one JSON list of rows or a SQuAD file (``{"data": [articles]}``), else None."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(doc, list):
        return [(f"{path}: item {n}", n, row) for n, row in enumerate(doc, 1)]
    if not (isinstance(doc, dict) and isinstance(doc.get("data"), list)) or "question" in doc:
        return None  # a one-line JSONL file
    try:
        qas = [q for article in doc["data"] for para in article["paragraphs"] for q in para["qas"]]
        return [(f"{path}: SQuAD question {n}", n, _squad_row(q)) for n, q in enumerate(qas, 1)]
    except (KeyError, TypeError):
        raise QuestionSetError(f'{path}: a JSON file with "data" that is not SQuAD\'s data → paragraphs → qas; '
                               'write JSON Lines, one {"question": ..., "answers": [...]} per line') from None


def _squad_row(q: dict[str, Any]) -> dict[str, Any]:
    """A SQuAD question as a row: its answers' texts, none when it is marked impossible (SQuAD 2.0)."""
    texts = [] if q.get("is_impossible") else [a["text"] for a in q["answers"]]
    return {"id": q["id"], "question": q["question"], "answers": list(dict.fromkeys(texts))}


def _json_lines(data: bytes, path: str) -> list[dict[str, Any]]:
    """The rows of a JSON Lines file; QuestionSetError names every line that is not UTF-8 or not JSON."""
    rows, bad = [], []
    for n, raw in enumerate(data.split(b"\n"), 1):
        # JSON Lines ends a row at "\n" only: str.splitlines also broke rows at U+2028/U+2029/U+0085 inside strings
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad.append(f"{path}:{n}: not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); save the "
                       "file as UTF-8")
            continue
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(f"{path}:{n}: not JSON ({exc.msg})")
            continue
        rows.append((f"{path}:{n}", n, row))
    if bad:  # all of them at once: fixing one line at a time only to be shown the next was a slow way to a set
        more = f"; and {len(bad) - BAD_LINES_SHOWN} more such lines" if len(bad) > BAD_LINES_SHOWN else ""
        hint = "" if rows or any("not UTF-8" in b for b in bad) else (
            '. qa eval reads JSON Lines: one {"question": ..., "answers": [...]} object per line '
            "(a CSV or text file is not read)")
        raise QuestionSetError("; ".join(bad[:BAD_LINES_SHOWN]) + more + hint)
    return checked_rows(rows, path)


BAD_LINES_SHOWN = 5


def question_rows(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows given in memory (``qa.evaluate([...])``), checked as a file's are; "row N" names a bad one."""
    return checked_rows([(f"row {n}", n, row) for n, row in enumerate(rows, 1)], "the questions")


def checked_rows(rows: Sequence[tuple[str, int, Any]], name: str) -> list[dict[str, Any]]:
    """Valid question rows (``where``, number, row) with an ``id`` each (``q<number>`` when it has none).

    Ids are unique, except that a feedback row (the UI's, with ``"feedback"``) corrects an earlier row of the
    same id: the last one wins, and one marked ``needs_answer`` (a thumbs-down without a correction, a
    withdrawn thumbs-up) then leaves the set, so the UI's feedback file is a question set as it stands.
    QuestionSetError names the first bad row."""
    given = {str(row["id"]) for _, _, row in rows if isinstance(row, dict) and "id" in row}
    out: dict[str, dict[str, Any]] = {}
    where_of: dict[str, str] = {}
    for where, n, row in rows:
        row = _checked_row(where, row)
        if "id" not in row:
            auto = f"q{n}"
            while auto in given:  # "q3" given to another row: this one must not take its place
                auto += "'"
            row["id"] = auto
        key = str(row["id"])
        if key in out and "feedback" not in row:
            raise QuestionSetError(f"{where}: id {row['id']!r} is taken by {where_of[key]}; give each question its own "
                                   "id (only the web UI's feedback rows correct an earlier row of the same id)")
        if "after" in row and str(row["after"]) not in out:
            raise QuestionSetError(f'{where}: "after" must name the id of an earlier question, not {row["after"]!r}')
        out[key], where_of[key] = row, where  # a correction keeps the place of what it corrects: follow-ups come after it
    kept = [r for r in out.values() if not r.get("needs_answer")]  # still waiting for the right answer
    if not kept:
        waiting = len(out) - len(kept)
        raise QuestionSetError(f"{name}: no questions" + (f" with answers yet ({waiting} still waiting for the right "
                                                          "answer to be written)" if waiting else ""))
    return kept


def _checked_row(where: str, row: Any) -> dict[str, Any]:
    """A copy of ``row`` if it is a usable question, else QuestionSetError naming ``where``."""
    wrong = _shape_error(row)
    if wrong:
        raise QuestionSetError(f'{where}: {wrong} (expected {{"question": "...", "answers": ["...", ...]}})')
    answers = row.get("answers", [])
    if not row["question"].strip():
        raise QuestionSetError(f"{where}: the question is empty")
    if "id" in row and (not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool) or row["id"] == ""):
        raise QuestionSetError(f"{where}: an id is a text or a whole number, not {row['id']!r}")  # null read as "None"
    if "answers" not in row and not row.get("needs_answer"):  # a typo ("answer") must not make it unanswerable
        raise QuestionSetError(f'{where}: no "answers" list; write "answers": [] for a question the '
                               "documents cannot answer")
    blank = next((a for a in answers if not m.normalize_answer(a)), None)
    if blank is not None:
        raise QuestionSetError(f"{where}: the answer {blank!r} is empty once normalised (case, punctuation and "
                               '"a", "an", "the" are dropped), so no answer could match it')
    return dict(row)


def _shape_error(row: Any) -> str | None:
    """What is wrong with a row's shape, said so that it can be fixed: "expected {...}" alone left users to find
    that "answers" was a string, a number or SQuAD's {"text": ...}."""
    if not isinstance(row, dict):
        return f"a row is a JSON object {{...}}, not {json.dumps(row, ensure_ascii=False)[:40]}"
    if not isinstance(row.get("question"), str):
        return 'no "question" text' + (' (the keys are lower case: "question", "answers")'
                                        if any(k.lower() == "question" for k in row) else "")
    answers = row.get("answers", [])
    if isinstance(answers, str):
        return f'"answers" is a list, even of one: write "answers": {json.dumps([answers], ensure_ascii=False)}'
    if not isinstance(answers, list):
        return f'"answers" is a list, not {json.dumps(answers)} (write [] for a question the documents cannot answer)'
    odd = [a for a in answers if not isinstance(a, str)]
    if odd and isinstance(odd[0], dict) and isinstance(odd[0].get("text"), str):
        return f'each answer is a text: write {json.dumps(odd[0]["text"], ensure_ascii=False)}, not SQuAD\'s {{"text": ...}}'
    return f"each answer is a text in quotes, not {json.dumps(odd[0], ensure_ascii=False)}" if odd else None


def repeats(rows: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """(id, id of the earlier row) for each question asked again in the same words: a row pasted twice counted
    twice in every metric, unsaid. A follow-up (``after``) is left out: the same words mean another thing there."""
    first: dict[str, str] = {}
    found = []
    for row in rows:
        if "after" in row:
            continue
        key = " ".join(row["question"].split()).casefold()
        if key in first:
            found.append((str(row["id"]), first[key]))
        first.setdefault(key, str(row["id"]))
    return found


def conversation(row: dict[str, Any], answers: dict[str, tuple["Answer", Any]], threshold: float) -> list["Answer"]:
    """The earlier turns a follow-up row (``"after": id``) continues, oldest first, as the chat would
    have shown them: an answer below the threshold was an abstention."""
    from .question import FOLLOW_UP_TURNS

    turns: list["Answer"] = []
    key = row.get("after")
    while key is not None and str(key) in answers and len(turns) < FOLLOW_UP_TURNS:
        ans, key = answers[str(key)]
        turns.insert(0, ans if ans.score >= threshold else replace(ans, text=None))
    return turns


def refuse_early(bot: "QA", questions: Sequence[dict[str, Any]]) -> None:
    """QuestionSetError naming the first question ``ask()`` would refuse (too long, no words), before
    any is asked: found halfway, it would throw away every answer before it."""
    from .pipeline import QuestionError, clean_question

    for row in questions:
        try:
            clean_question(row["question"], bot.cfg.max_question_chars)
        except QuestionError as exc:
            raise QuestionSetError(f"question {row.get('id')!s}: {exc}") from None


def run(bot: "QA", questions: Sequence[dict[str, Any]], k: int = 5, progress: bool | None = None,
        threshold: float | None = None) -> list[Outcome]:
    """Ask every question through ``bot.ask`` (threshold 0, so candidates are kept); ``threshold``
    (default: the configured one) only decides which earlier answers a follow-up saw as abstentions."""
    from tqdm.auto import tqdm

    from .embedding import progress_enabled

    show = progress_enabled() if progress is None else progress
    refuse_early(bot, questions)
    out: list[Outcome] = []
    rows = tqdm(questions, desc="evaluating", unit="q", disable=not show) if show else _logged(questions)
    try:
        _ask_all(bot, rows, k, threshold, out)
    except KeyboardInterrupt:
        raise Stopped(out, len(questions)) from None
    return out


def _logged(rows: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """``rows``, saying on the ``qa`` log every minute how far the run is: off a terminal, where no bar is drawn, a
    2,000-question run said nothing for a quarter of an hour (an index build already logs its progress so)."""
    from .embedding import progress_log

    tell = progress_log("evaluating", len(rows), " questions")
    for n, row in enumerate(rows):
        if n:  # none done yet is no news
            tell(n)
        yield row


def _ask_all(bot: "QA", rows: Iterable[dict[str, Any]], k: int, threshold: float | None, out: list[Outcome]) -> None:
    """``run``'s loop: appends each outcome to ``out`` as it comes, so a Ctrl-C keeps those before it."""
    asked: dict[str, tuple["Answer", Any]] = {}  # id -> (its answer, the id it followed)
    for row in rows:
        history = conversation(row, asked, bot.cfg.answer_threshold if threshold is None else threshold)
        t0 = time.perf_counter()
        ans = bot.ask(row["question"], k=k, threshold=0.0, history=history)
        ms = (time.perf_counter() - t0) * 1000
        asked[str(row["id"])] = (ans, row.get("after"))
        top = ans if ans.text is not None else (ans.alternatives[0] if ans.alternatives else None)
        extra = {key: v for key, v in row.items() if key not in ("id", "question", "answers")}
        if ans.resolved:
            extra["resolved"] = ans.resolved
        out.append(Outcome(str(row["id"]), row["question"], tuple(row["answers"]),
                           top.text if top else None, ans.score, top.doc if top else None,
                           top.start if top else None, top.end if top else None,
                           top.quote.text if top and top.quote else None,
                           tuple(h.text for h in ans.sources), ms, extra,
                           tuple((h.doc, h.start, h.end) for h in ans.sources)))


def _mean(values: Iterable[float]) -> float:
    vals = list(values)
    return sum(vals) / len(vals) if vals else 0.0


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def compute(outcomes: Sequence[Outcome], threshold: float) -> dict[str, float | int | None]:
    """The metric table; answerable questions score spans, unanswerable ones abstention.

    A metric with no question behind it (abstention in a set without unanswerable questions) is None,
    shown as "n/a": 0.000 would read as "never abstains"."""
    ans = [o for o in outcomes if o.answerable]
    una = [o for o in outcomes if not o.answerable]
    answered = lambda o: o.prediction(threshold) is not None  # noqa: E731
    ranks = [o.rank() for o in ans]
    per_question = {
        "em": [o.em(threshold) for o in ans],
        "f1": [o.f1(threshold) for o in ans],
        "quote_hit": [float(answered(o) and m.contains_answer(o.quote, o.answers)) for o in ans],
        "recall_at_1": [float(r == 1) for r in ranks],
        "recall_at_k": [float(r is not None) for r in ranks],
        "mrr": [1.0 / r if r else 0.0 for r in ranks],
        "false_abstain": [float(not answered(o)) for o in ans],
        "abstain": [float(not answered(o)) for o in una],
    }
    return {key: _mean(vals) if vals else None for key, vals in per_question.items()} | {
        "p50_ms": statistics.median([o.ms for o in outcomes]) if outcomes else 0.0,
        "p95_ms": _percentile([o.ms for o in outcomes], 0.95),
        "n_answerable": len(ans),
        "n_unanswerable": len(una),
    }


def calibrate(outcomes: Sequence[Outcome], max_false_abstain: float = 0.10) -> tuple[float, float]:
    """The threshold maximising F1 over all questions (abstaining on unanswerable = right), and that F1.

    Only thresholds that wrongly abstain on at most ``max_false_abstain`` of the answerable
    questions compete: on sets dominated by hard unanswerable questions (SQuAD 2.0's are written
    to look answerable) the unconstrained optimum is to answer almost nothing, which no user wants.
    ``max_false_abstain=1`` gives the plain optimum. Ties go to the lower threshold (answer when in doubt).
    CalibrationError when no threshold meets the limit.
    """
    candidates = sorted({0.0} | {o.score for o in outcomes} | {1.01})
    answerable = [o for o in outcomes if o.answerable]
    best_t, best_f1 = 0.0, -1.0
    for t in candidates:
        wrongly = _mean(float(o.prediction(t) is None) for o in answerable)
        if answerable and wrongly > max_false_abstain + 1e-12:
            continue
        score = _mean(o.f1(t) for o in outcomes)
        if score > best_f1 + 1e-12:
            best_t, best_f1 = t, score
    if best_f1 < 0:  # "-> 0.0000 (F1 -1.000)" was saved: a threshold that met nothing
        empty = sum(o.candidate is None for o in answerable)
        raise CalibrationError(f"no threshold wrongly abstains on at most {max_false_abstain:.0%} of the answerable "
                               f"questions: {empty} of {len(answerable)} get no candidate answer at all, whatever the "
                               "threshold (are these the documents the questions are about?)")
    below = max([s for s in candidates if s < best_t], default=0.0)
    return round((below + best_t) / 2 if best_t > 0 else 0.0, 4), best_f1


@dataclass
class EvalResult:
    """What ``qa.evaluate`` returns: metrics at the threshold plus every outcome."""

    metrics: dict[str, float | int | None]
    outcomes: list[Outcome]
    threshold: float
    k: int
    documents: dict[str, str] = field(default_factory=dict)
    """Each document's sha256 at the run: ``compare`` says which changed between two saved runs."""
    stopped_of: int | None = None
    """The set's size when the run was stopped before its end (the outcomes are the questions asked)."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {key: self.metrics[key] for key in JSON_KEYS}
        data |= {"threshold": self.threshold, "k": self.k, "documents": self.documents}
        if self.stopped_of is not None:
            data["stopped_of"] = self.stopped_of
        data["questions"] = [question_row(o, self.threshold) for o in self.outcomes]
        return data


def question_row(o: Outcome, threshold: float) -> dict[str, Any]:
    """One question of a saved run, with where its answer, quote and sources are, so that quote hit and recall
    can be re-checked from the file and the documents, not only F1 and abstention."""
    answered = o.prediction(threshold) is not None
    row = {"id": o.id, "question": o.question, "answers": list(o.answers), "prediction": o.prediction(threshold),
           "candidate": o.candidate, "score": o.score, "f1": round(o.f1(threshold), 4), "em": o.em(threshold),
           "doc": o.doc if answered else None, "start": o.start if answered else None,
           "end": o.end if answered else None, "quote": o.quote if answered else None,
           "sources": [list(place) for place in o.places]}
    return row | {key: value for key, value in o.extra.items() if key not in row}  # the set's own fields, kept


def evaluate(questions: str | os.PathLike[str] | Sequence[dict[str, Any]], bot: "QA | None" = None,
             docs: str = "seeds", index: str | None = None, k: int | None = None, threshold: float | None = None,
             progress: bool | None = False) -> EvalResult:
    """Run a question set through ``ask()`` and score it; ``k`` and ``threshold`` default to the bot's config,
    as the CLI's do. NothingIndexed when the bot has no passage to answer from."""
    from .pipeline import check_k, check_threshold, load

    k = None if k is None else check_k(k)
    threshold = None if threshold is None else check_threshold(threshold)  # threshold=5 scored F1 0
    rows = load_questions(questions) if isinstance(questions, (str, os.PathLike)) else question_rows(questions)
    bot = bot or load(docs=docs, index=index)
    if not bot.store.passages:
        raise NothingIndexed(f"nothing to evaluate: no readable documents are indexed in {bot.store.docs_dir}")
    k = bot.cfg.k if k is None else k
    threshold = bot.cfg.answer_threshold if threshold is None else threshold
    documents = {name: doc.sha256 for name, doc in bot.store.documents.items()}
    try:
        outcomes = run(bot, rows, k=k, progress=progress, threshold=threshold)
    except Stopped as stop:  # Ctrl-C: the questions asked so far, scored, travel with it
        stop.result = EvalResult(compute(stop.outcomes, threshold), stop.outcomes, threshold, k, documents, stop.total)
        raise
    return EvalResult(compute(outcomes, threshold), outcomes, threshold, k, documents)


def compare(current: dict[str, Any], previous: dict[str, Any]) -> str:
    """Metrics side by side and the questions that flipped between two ``--json`` runs, matched by their words
    (ids given by line number would pair different questions once one is inserted), repeats in order."""
    lines = [*unlike_runs(current, previous), "| metric | previous | current | change |", "|---|---|---|---|"]
    for key in JSON_KEYS:
        a, b = previous.get(key), current.get(key)
        delta = f"{b - a:+d}" if isinstance(a, int) and isinstance(b, int) else \
            f"{b - a:+.3f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) else ""
        lines.append(f"| {key} | {_fmt(a)} | {_fmt(b)} | {delta} |")
    earlier = previous.get("questions", [])
    pairs = paired(current.get("questions", []), earlier)
    worse, better = [], []
    for q, old in pairs:
        if old["f1"] >= 0.5 > q["f1"]:
            worse.append(f"- {q['question']} — was {old['prediction']!r}, now {q['prediction']!r}")
        elif q["f1"] >= 0.5 > old["f1"]:
            better.append(f"- {q['question']} — was {old['prediction']!r}, now {q['prediction']!r}")
    if not earlier:
        lines.append("\n(previous run has no per-question results: flips unknown)")
    else:
        new, gone = len(current.get("questions", [])) - len(pairs), len(earlier) - len(pairs)
        lines.append(f"\n{len(pairs)} question{'s' * (len(pairs) != 1)} in both runs"
                     + (f", {new} only in this one" if new else "")
                     + (f", {gone} only in the previous one (its metrics cover them)" if gone else ""))
    lines += [f"\nright → wrong ({len(worse)}):", *worse, f"\nwrong → right ({len(better)}):", *better,
              "\n(right: F1 ≥ 0.5 against a gold answer, or no answer to an unanswerable question)"]
    return "\n".join(lines)


def unlike_runs(current: dict[str, Any], previous: dict[str, Any]) -> list[str]:
    """Warnings that two runs differ in more than the code: another threshold or k, or changed documents
    (a run saved before these were recorded says nothing)."""
    notes = [f"note: the previous run used {key} {previous[key]}, this one {current.get(key)}"
             for key in ("threshold", "k") if key in previous and previous[key] != current.get(key)]
    before, after = previous.get("documents"), current.get("documents")
    if isinstance(before, dict) and isinstance(after, dict) and before != after:
        changed = sorted(n for n in before.keys() & after.keys() if before[n] != after[n])
        parts = [f"{label} {len(names)} ({', '.join(names[:5])}{', …' if len(names) > 5 else ''})"
                 for label, names in (("changed", changed), ("added", sorted(after.keys() - before.keys())),
                                      ("removed", sorted(before.keys() - after.keys()))) if names]
        notes.append("note: the documents differ between the runs: " + "; ".join(parts))
    return [*notes, ""] if notes else []


def paired(current: Sequence[dict[str, Any]], previous: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(current, previous) rows of the same question: same words, the n-th repeat with the n-th."""
    waiting: dict[str, list[dict[str, Any]]] = {}
    for row in previous:
        waiting.setdefault(str(row.get("question")), []).append(row)
    return [(row, waiting[key].pop(0)) for row in current if waiting.get(key := str(row.get("question")))]


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else "n/a" if v is None else str(v)


def table(metrics: dict[str, float | int | None]) -> str:
    rows = ["| metric | value |", "|---|---|"] + [f"| {k} | {_fmt(metrics[k])} |" for k in JSON_KEYS]
    return "\n".join(rows)

