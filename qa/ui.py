"""The web UI: a Gradio chat, document panel and evaluation tab over the same ``QA.ask()``.

Everything that turns engine output into HTML lives in plain functions at the top
of this module (no Gradio import), so it can be tested quickly and reviewed for
safety in one place: every string that comes from a document, a file name or a
user is passed through :func:`inert` before it reaches the page.

Start it with ``python app.py`` (see ``parser()`` for the flags).  Gradio serves the
page first and the engine then loads on a background thread; events wait for it
before they answer, and the status line says when it is ready.
"""
# No ``from __future__ import annotations`` here: Gradio reads the real return type
# of the ``/ask`` API function to know it has two outputs.
import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from .cli import also_in, location_flags
from .config import PROJECT_ROOT
from .documents import LEGACY, SUFFIXES, DocumentError
from .index import show_log
from .pipeline import QuestionError, clean_question, folder_tag, is_seeds, resolve_dir
from .store import plural
from .types import Answer, Hit, Quote

if TYPE_CHECKING:
    from .evaluation import EvalResult
    from .pipeline import QA
    from .store import Store, UpdateReport

SEED_QUESTIONS = PROJECT_ROOT / "tests" / "data" / "seed_questions.jsonl"
DEFAULT_FEEDBACK = PROJECT_ROOT / "feedback" / "feedback.jsonl"
"""Where thumbs up/down on answers from seeds/ go; another documents folder gets a file of its own."""


def default_feedback(docs: Path) -> Path:
    """``DEFAULT_FEEDBACK`` for seeds/, else ``feedback/<folder>-<hash>.jsonl``: feedback rows are a question set
    about their documents (the Evaluation tab runs them), so two folders' rows must not mix in one file."""
    folder = docs.resolve()
    return DEFAULT_FEEDBACK if is_seeds(folder) else DEFAULT_FEEDBACK.parent / f"{folder_tag(folder)}.jsonl"
MAX_TURNS = 50
"""Turns kept in the browser: localStorage holds ~5 MB and each turn carries its passages."""
FEEDBACK_OPTIONS = ("Like", "Dislike")  # Gradio draws these two as thumbs
QUOTE_CHARS = 700
SNIPPET_CHARS = 300
LONG_WORD = 30
"""A cut at a word boundary may give up this many characters of the room (or half of it) to avoid splitting a word."""
CORRECTION_CHARS = 500

# ---------------------------------------------------------------------------
# Rendering: engine records -> inert HTML
# ---------------------------------------------------------------------------

# Every ASCII character that is not a letter, digit or space becomes a numeric entity.
# That covers html.escape's five (& < > " ') and all Markdown/GFM syntax ([ ] ( ) * _ `
# # ! | ~ : . @ $ \ ...), so no tag, link, autolink, emphasis or LaTeX can form from
# document text; the browser still shows the same characters.
_ENTITIES = {c: f"&#{c};" for c in range(0x21, 0x7F) if not chr(c).isalnum()}
_SPACE = re.compile(r"\s+")
_KEPT_FORMAT = frozenset("\u200c\u200d\u00ad")  # zero-width non-joiner and joiner ("می‌خواهم", 👨‍👩‍👧), soft hyphen


def inert(text: str) -> str:
    """Text made safe to drop into the chat's Markdown+HTML: shown literally, never parsed.

    Runs of whitespace become one space (a blank line would end our HTML block and
    let Markdown parsing resume), and invisible format/control characters such as
    bidi overrides are dropped so a document cannot disguise what it shows; the joiners
    that Persian, Indic scripts and emoji need, and soft hyphens, are kept.
    """
    text = _SPACE.sub(" ", text)
    text = "".join(ch for ch in text if ch in _KEPT_FORMAT or unicodedata.category(ch) not in ("Cc", "Cf"))
    return text.translate(_ENTITIES)


def keep_head(text: str, room: int) -> str:
    """At most ``room`` characters from the start of ``text``, ending after a whole word, " …" marking the cut.

    A reader should not meet half a word ("near the estuar …"). A cut falls inside a word only when going back to
    whitespace would lose more than half the room and more than ``LONG_WORD`` characters (a long URL, Chinese
    text); then "…" is joined to the cut word."""
    if len(text) <= room:
        return text
    gap = next((i for i in range(room, -1, -1) if text[i].isspace()), -1)  # text[room] too: a gap right at the cut
    if gap >= 0 and room - gap <= max(room // 2, LONG_WORD):
        return text[:gap].rstrip() + " …"
    return text[:room if room > LONG_WORD else 0] + "…"  # a small room keeps no part of a word


def keep_tail(text: str, room: int) -> str:
    """At most ``room`` characters from the end of ``text``, starting at a whole word: :func:`keep_head` mirrored."""
    return keep_head(text[::-1], room)[::-1]


def shorten(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of ``text`` with its whitespace runs made single spaces, cut after a whole word when too long."""
    return keep_head(_SPACE.sub(" ", text).strip(), limit)


def location(doc: str | None, start: int | None, end: int | None, page: int | None = None) -> str:
    """``name · characters a–b · page p`` as inert HTML."""
    parts = [f"<code>{inert(doc or '?')}</code>"]
    if start is not None and end is not None:
        parts.append(f"characters {int(start)}–{int(end)}")
    if page:
        parts.append(f"page {int(page)}")
    return " · ".join(parts)


def highlight(quote: Quote, start: int, end: int, limit: int = QUOTE_CHARS) -> str:
    """The quote with the answer span in ``<mark>``. A quote over ``limit`` characters keeps the whole span and
    as much context as fits, cut at word boundaries; room one side does not need goes to the other."""
    lo = min(max(start - quote.start, 0), len(quote.text))
    hi = min(max(end - quote.start, lo), len(quote.text))
    before, span, after = quote.text[:lo], quote.text[lo:hi], quote.text[hi:]
    room = max(limit - len(span), 0)
    if len(before) + len(after) > room:
        head = min(len(before), max(room // 2, room - len(after)))
        before, after = keep_tail(before, head), keep_head(after, room - head)
    return f"{inert(before)}<mark>{inert(span)}</mark>{inert(after)}"


def render_hits(hits: Sequence[Hit]) -> str:
    """An ordered list of passages with where they are and their retrieval score."""
    items = [f"<li>{location(h.doc, h.start, h.end, h.page)} · score {h.score:.3f}{render_copies(h.also)}<br>"
             f"<span class=\"qa-snippet\">{inert(shorten(h.text))}</span></li>" for h in hits]
    return f"<ol class=\"qa-passages\">{''.join(items)}</ol>"


def render_copies(docs: Sequence[str]) -> str:
    """`` · also in a.txt, b.md and 4 more``: where a passage left out as a copy of this one was."""
    if not docs:
        return ""
    return f" · <span class=\"qa-copies\">{also_in(docs, lambda d: f'<code>{inert(d)}</code>')}</span>"


def holds_answer(hit: Hit, ans: Answer) -> bool:
    """Whether ``hit`` is the passage the answer came from (it is not repeated under "other passages")."""
    if ans.start is None or ans.end is None:
        return False
    return hit.doc == ans.doc and hit.start <= ans.start and ans.end <= hit.end


def render_answer(ans: Answer) -> str:
    """One chat reply: the answer in bold, the quote with the span marked, where it is, the confidence,
    and the other top passages folded away; an abstention says so and shows the closest passages."""
    if ans.text is None:
        return render_abstention(ans)
    head = (f"{render_reading(ans)}<p><strong class=\"qa-answer\">{inert(ans.text)}</strong> "
            f"<span class=\"qa-confidence\">confidence {ans.score:.2f}</span></p>")
    if ans.message:  # how to read this answer (a yes/no question is answered with a whole sentence)
        head += f"<p class=\"qa-note\">Note: {inert(ans.message)}.</p>"
    quote = ""
    if ans.quote is not None and ans.start is not None and ans.end is not None:
        quote = f"<blockquote class=\"qa-quote\">{highlight(ans.quote, ans.start, ans.end)}</blockquote>"
    page = ans.quote.page if ans.quote else None
    source = f"<p class=\"qa-source\">From {location(ans.doc, ans.start, ans.end, page)}</p>"
    others = [h for h in ans.sources if not holds_answer(h, ans)]
    more = (f"<details class=\"qa-more\"><summary>Other top passages ({len(others)})</summary>"
            f"{render_hits(others)}</details>") if others else ""
    return f"<div class=\"qa-reply\">{head}{quote}{source}{render_alternatives(ans.alternatives)}{more}</div>"


def render_alternatives(alternatives: Sequence[Answer]) -> str:
    """The reader's runners-up, folded away: a partial answer ("Vice" for "First Vice President") often
    has the whole one among them. Each is marked in its own sentence so it can be checked like the answer."""
    items = []
    for alt in alternatives:
        if alt.text is None:
            continue
        where = location(alt.doc, alt.start, alt.end, alt.quote.page if alt.quote else None)
        marked = (highlight(alt.quote, alt.start, alt.end, SNIPPET_CHARS)
                  if alt.quote is not None and alt.start is not None and alt.end is not None else "")
        items.append(f"<li><strong class=\"qa-alt\">{inert(alt.text)}</strong> · confidence {alt.score:.2f} · "
                     f"{where}<br><span class=\"qa-snippet\">{marked}</span></li>")
    if not items:
        return ""
    return (f"<details class=\"qa-alternatives\"><summary>Other possible answers ({len(items)})</summary>"
            f"<ol>{''.join(items)}</ol></details>")


def render_abstention(ans: Answer) -> str:
    """No guess: say plainly that the documents hold no answer, and show the closest passages."""
    reason = inert(ans.message or "the documents do not seem to answer this")
    if not ans.sources:
        return f"<div class=\"qa-reply\">{render_reading(ans)}<p><strong class=\"qa-noanswer\">No answer found</strong>: {reason}.</p></div>"
    head = (f"{render_reading(ans)}<p><strong class=\"qa-noanswer\">No answer found</strong>: {reason}, "
            f"so I will not guess (best candidate confidence {ans.score:.2f}).</p>")
    closest = f"<p>The closest passages:</p>{render_hits(ans.sources[:3])}"
    return f"<div class=\"qa-reply\">{head}{closest}</div>"


def render_reading(ans: Answer) -> str:
    """How a follow-up was read ("When was he born?" as "When was Ahmad Massoud born?"), so a wrong guess shows."""
    return f"<p class=\"qa-reading\">Read as: <em>{inert(ans.resolved)}</em></p>" if ans.resolved else ""


def render_error(message: str) -> str:
    """A question we could not take (empty, too long, engine not loaded): a friendly line, no traceback."""
    return f"<div class=\"qa-reply qa-error\"><p>⚠️ Sorry, I can't answer that: {inert(message)}.</p></div>"


DAMAGED_TURN = (TypeError, KeyError, ValueError, AttributeError)
"""What rebuilding an Answer from a turn the browser kept raises when that turn was damaged or tampered with."""


answer_from_dict = Answer.from_dict
"""How turns kept in the browser become Answers again."""


# ---------------------------------------------------------------------------
# Chat turns: what the browser keeps, and the messages shown for them
# ---------------------------------------------------------------------------

def new_turn(question: str, answer: Answer | None = None, error: str | None = None) -> dict[str, Any]:
    """One question and its outcome as plain JSON (kept in localStorage, re-rendered on load)."""
    return {"id": uuid.uuid4().hex[:12], "question": question,
            "answer": answer.to_dict() if answer is not None else None, "error": error}


def render_turn(turn: dict[str, Any]) -> list[dict[str, str]]:
    """The two chat messages of a turn; data from the browser is re-rendered, never trusted as HTML."""
    user = {"role": "user", "content": inert(str(turn.get("question", "")))}
    try:
        reply = render_answer(answer_from_dict(turn["answer"])) if turn.get("answer") else \
            render_error(str(turn.get("error") or "no answer was recorded"))
    except DAMAGED_TURN:
        reply = render_error("this stored answer could not be shown")
    if turn.get("note"):  # the folder read again before answering: first inside the reply's box
        opening = reply.index(">") + 1
        reply = f'{reply[:opening]}<p class="qa-note">{inert(str(turn["note"]))}</p>{reply[opening:]}'
    return [user, {"role": "assistant", "content": reply}]


def render_history(turns: Sequence[dict[str, Any]] | None) -> list[dict[str, str]]:
    """All chat messages, two per turn, so message ``i`` belongs to turn ``i // 2``."""
    messages: list[dict[str, str]] = []
    for turn in turns or ():
        if isinstance(turn, dict):
            messages += render_turn(turn)
    return messages


def clean_ratings(ratings: Any, turns: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The thumbs the browser kept, by turn id, for the turns still shown (localStorage may hold anything)."""
    if not isinstance(ratings, dict):
        return {}
    ids = {t["id"] for t in turns}
    return {k: v for k, v in ratings.items() if k in ids and v in FEEDBACK_OPTIONS}


def thumbs(turns: Sequence[dict[str, Any]], ratings: Any, pending: int = 0) -> list[str | None]:
    """Each answer's thumb, in order, as the chat's ``feedback_value``: the chat forgot them whenever it was
    redrawn (another question, a reload); none yet for each of the ``pending`` questions still waiting."""
    kept = clean_ratings(ratings, turns)
    return [kept.get(t["id"]) for t in turns] + [None] * pending


def clean_turns(turns: Any) -> list[dict[str, Any]]:
    """The stored turns if they look like ours (localStorage may hold anything), newest MAX_TURNS."""
    if not isinstance(turns, list):
        return []
    return [t for t in turns if isinstance(t, dict) and isinstance(t.get("id"), str)][-MAX_TURNS:]


def ask_turn(bot: "QA", question: str, k: int | None = None,
             earlier: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """Ask through the shared ``QA.ask()``, with the answers of the ``earlier`` turns as the conversation
    a follow-up refers to; a QuestionError becomes a turn with a friendly error. Files changed in the folder since
    it was read are read first, and the turn says so: an edited document was quoted as it had been."""
    note = reread(bot)
    try:
        turn = new_turn(question, answer=bot.ask(question, k=k, history=earlier_answers(earlier)))
    except QuestionError as exc:
        turn = new_turn(question, error=str(exc))
    return {**turn, "note": note} if note else turn


def reread(bot: "QA") -> str | None:
    """What changed in the documents folder since it was read, now read again; None when nothing did."""
    try:
        report = bot.refresh_if_changed()
    except Exception as exc:  # noqa: BLE001 - the question is still answered, from the index as it was
        return f"The documents folder changed, but could not be read again ({exc}); answered from it as it was."
    if report is None or not (report.added or report.changed or report.removed):
        return None
    return f"The documents folder changed, so it was read again first: {changed_files(report)}."


def changed_files(report: "UpdateReport") -> str:
    """``1 added (a.txt), 0 changed, 2 removed (b.md, c.html)``: what a re-read found, naming the files."""
    def named(files: Sequence[str], verb: str) -> str:
        shown = ", ".join(files[:5]) + (" …" if len(files) > 5 else "")
        return f"{len(files)} {verb}" + (f" ({shown})" if files else "")

    return ", ".join([named(report.added, "added"), named(report.changed, "changed"),
                      named(report.removed, "removed")])


def earlier_answers(turns: Sequence[dict[str, Any]]) -> list[Answer]:
    """The answered turns as Answers (oldest first); turns the browser kept damaged are skipped."""
    out = []
    for turn in turns:
        if not turn.get("answer"):  # a question that got an error, not an answer
            continue
        try:
            out.append(answer_from_dict(turn["answer"]))
        except DAMAGED_TURN:
            continue
    return out


# ---------------------------------------------------------------------------
# Feedback: thumbs up/down appended as evaluator question rows
# ---------------------------------------------------------------------------

def feedback_row(turn: dict[str, Any], liked: bool | None, correction: str | None = None,
                 now: datetime | None = None) -> dict[str, Any]:
    """A question row for ``python -m qa eval`` built from a rated turn.

    up: our answer is right, so ``answers = [our answer]`` (``[]`` for a good abstention).
    down with a correction: ``answers = [correction]``.
    down without one: we only know ours is wrong, so ``answers = []`` and
    ``needs_answer = true``; such rows are not valid test questions until someone
    fills in the answer (``qa.evaluation.load_questions`` leaves them out).
    withdrawn (``liked`` None: a thumbs un-clicked): the same, so that it cancels the earlier row of the same id.
    A follow-up is recorded as it was read ("When was Ahmad Massoud born?", with the typed "When was he
    born?" as ``asked``), so the row stands on its own as a test question.
    """
    ans = turn.get("answer") or {}
    ours = ans.get("text")
    fix = " ".join((correction or "").split())[:CORRECTION_CHARS]
    if liked:
        answers = [ours] if ours is not None else []
    else:
        answers = [fix] if fix else []
    return {
        "id": f"fb-{turn.get('id', '')}",
        "question": ans.get("resolved") or turn.get("question", ""),  # a follow-up as it stands alone
        **({"asked": turn.get("question", "")} if ans.get("resolved") else {}),
        "answers": answers,
        "feedback": "withdrawn" if liked is None else "up" if liked else "down",
        "needs_answer": not liked and not fix,
        "our_answer": ours,
        "doc": ans.get("doc"),
        "start": ans.get("start"),
        "end": ans.get("end"),
        "score": ans.get("score"),
        "time": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
    }


class FeedbackLog:
    """Append-only JSONL of feedback rows; one lock so concurrent clicks never interleave lines."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @property
    def shown(self) -> str:
        """The file as a user finds it: from the project folder when it is in it (``feedback/feedback.jsonl``)."""
        try:
            return self.path.resolve().relative_to(PROJECT_ROOT.resolve()).as_posix()
        except ValueError:
            return str(self.path)

    def append(self, row: dict[str, Any]) -> None:
        line = json.dumps(row, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line)

    def save(self, row: dict[str, Any]) -> str:
        """``append``, or why the row was not saved: a click must not look saved when it was lost."""
        try:
            self.append(row)
        except OSError as exc:
            return f"Not saved: the feedback file {self.path} cannot be written ({exc.strerror or exc})."
        return ""


def liked_value(value: Any) -> bool | None:
    """Gradio's like payload as up (True) / down (False) / an un-click (None); ValueError for anything else."""
    if value is True or value == "Like":
        return True
    if value is False or value == "Dislike":
        return False
    if value is None or value == "":
        return None
    raise ValueError(f"not a thumbs up or down: {value!r}")


# ---------------------------------------------------------------------------
# Documents: the indexed list and uploads
# ---------------------------------------------------------------------------

def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"


LEGACY_NOTE = "read as Windows-1252, not UTF-8: re-save it as UTF-8 if accented letters look wrong"
"""The Documents table's note for a file decoded by guess (the index's own note is said once, when it is read)."""


def documents_rows(bot: "QA") -> list[list[Any]]:
    """[name, passages, size, note] per indexed document, for the Documents table."""
    store = bot.store
    rows = []
    for name in sorted(store.doc_entries):
        lo, hi = store.doc_entries[name]["passages"]
        doc = store.documents.get(name)
        size = human_size(doc.size if doc else int(store.doc_entries[name].get("size", 0)))
        rows.append([name, hi - lo, size, LEGACY_NOTE if getattr(doc, "encoding", "") == LEGACY else ""])
    return rows


def check_upload(name: str, size: int, limit_bytes: int) -> None:
    """Refuse, with a reason, a file the UI will not hand to the engine: odd names, wrong types, too big.

    Stricter than the engine's ``safe_upload_name`` (which keeps only the base name): a name
    that tries to point elsewhere is an error to report, not something to silently rename.
    """
    if not name or name != name.strip():
        raise DocumentError(f"{name!r}: a file name may not be empty or start or end with a space")
    if any(c in name for c in "/\\\x00") or name in (".", ".."):
        raise DocumentError(f"{name!r}: file names may not contain folders or path separators")
    if name.startswith("."):
        raise DocumentError(f"{name!r}: hidden files (names starting with '.') are not indexed")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise DocumentError(f"{name!r}: the file name contains control characters")
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise DocumentError(f"unsupported type {suffix or '(none)'}; use one of {', '.join(sorted(SUFFIXES))}", name)
    if size > limit_bytes:
        raise DocumentError(f"{size / 1e6:.1f} MB is over the {limit_bytes / 1e6:.0f} MB upload limit", name)
    if size == 0:
        raise DocumentError("the file is empty", name)


def add_upload(bot: "QA", name: str, data: bytes, limit_bytes: int, replace: bool = False) -> str:
    """Index one uploaded file; the returned line (Markdown-safe) says what happened or why not."""
    try:
        check_upload(name, len(data), limit_bytes)
        report = bot.add_file(name, data, replace=replace)
    except DocumentError as exc:
        return f"✗ {inert(str(exc))}"
    except OSError as exc:  # the documents folder gone, full or read-only: say so, and go on with the next file
        return f"✗ {inert(name)}: not saved ({inert(exc.strerror or str(exc))}: {inert(str(bot.store.docs_dir))})"
    name = report.saved_as or name  # another name when a different file already has this one
    if name in report.unchanged:
        return f"✓ {inert(name)}: already indexed with the same content"
    verb = "updated" if name in report.changed else "added"
    return (f"✓ {inert(name)}: {verb}, {plural(report.embedded_passages, 'passage')} embedded in "
            f"{report.seconds:.1f} s{report_notes(report)}")


def report_notes(report: "UpdateReport") -> str:
    """The report's notes (a damaged index rebuilt, a file read as Windows-1252) as Markdown list lines."""
    return "".join(f"\n- note: {inert(m)}" for m in report.messages)


def rescan_line(report: "UpdateReport") -> str:
    """What a rescan of the documents folder found, naming the files (Markdown-safe)."""
    return (f"Rescanned the folder: {inert(changed_files(report))}, {len(report.unchanged)} unchanged; "
            f"{plural(report.embedded_passages, 'passage')} embedded in {report.seconds:.1f} s{report_notes(report)}")


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------

def seed_examples(path: Path = SEED_QUESTIONS, answerable: int = 6, unanswerable: int = 1) -> list[str]:
    """A few questions of a question set (the seed set by default) for the Examples list: some answerable, one not."""
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError):
        return []
    good = shown_whole([r["question"] for r in rows if r.get("answers")], answerable)
    none = shown_whole([r["question"] for r in rows if not r.get("answers")], unanswerable)
    return good + none


EXAMPLE_CHARS = 60
"""Gradio's Examples list cuts a sample longer than this to its first 60 characters and "..." (no tooltip)."""


def shown_whole(questions: list[str], n: int) -> list[str]:
    """The first ``n`` questions, those the Examples list shows whole before any it would cut short, in file order:
    "Which news agency reported the Taliban spokesman's remarks a..." cannot be read before it is clicked."""
    questions = list(dict.fromkeys(questions))
    short = [q for q in questions if len(q) <= EXAMPLE_CHARS]
    chosen = set((short + [q for q in questions if len(q) > EXAMPLE_CHARS])[:n])
    return [q for q in questions if q in chosen][:n]


EVAL_MISSES = 10
"""Misses listed under the Evaluation tab's table, worst first (``qa eval --report`` writes them all)."""


def eval_summary(result: "EvalResult", seconds: float, store: "Store | None" = None) -> str:
    """The evaluator's metric table with one line of context above it and the worst misses below it."""
    from .evaluation import table

    n = len(result.outcomes)
    return (f"{n} question{'s' * (n != 1)} in {seconds:.1f} s · threshold {result.threshold:.2f} · k = {result.k}\n\n"
            f"{table(result.metrics)}\n\n{eval_misses(result, store)}")


def eval_misses(result: "EvalResult", store: "Store | None" = None) -> str:
    """The worst misses as a Markdown list, each with the stage that lost it (as in report.md); the questions,
    answers and quotes come from files and documents, so they are shown inert."""
    from .report import failed_stage, worst_misses

    wrong = worst_misses(result)
    if not wrong:
        return "No question missed."
    lines = [f"**{len(wrong)} missed**, worst first (all of them: `python -m qa eval ... --report DIR`):"]
    for o in wrong[:EVAL_MISSES]:
        pred = o.prediction(result.threshold)
        gold = ", ".join(f"“{inert(a)}”" for a in o.answers) or "no answer (unanswerable)"
        ours = f"“{inert(pred)}” ({o.score:.2f})" if pred is not None else f"no answer ({o.score:.2f})"
        lines.append(f"- {failed_stage(o, result.threshold, store)}: {inert(o.question)} · ours {ours} · gold {gold}")
    return "\n".join(lines)


def eval_plots(result: "EvalResult", folder: Path) -> tuple[str, str]:
    """The two report plots as PNG files (matplotlib is imported only here, not at startup)."""
    from . import report

    folder.mkdir(parents=True, exist_ok=True)
    coverage, confidence = folder / "accuracy_vs_coverage.png", folder / "confidence.png"
    report.plot_coverage(result.outcomes, coverage, result.threshold)
    report.plot_confidence(result.outcomes, confidence)
    return str(coverage), str(confidence)


# ---------------------------------------------------------------------------
# Engine: loaded in the background, shared by every event. No lock: ``QA.ask`` reads one published snapshot, and
# ``QA.add_file``/``refresh`` build the next one aside and swap it in, so a question asked while an upload is
# embedded is answered at once from the documents as they were (they serialise among themselves).
# ---------------------------------------------------------------------------

STATUS_SECONDS = 2.0
"""How often an open page's status line shows how far the engine's load has got."""


class EngineError(RuntimeError):
    """The engine failed to load or is not ready; the message is shown to the user."""


class Engine:
    """The QA object, loaded on a thread so Gradio can start serving at the same time."""

    def __init__(self, load: Callable[[], "QA"]) -> None:
        self._load = load
        self._bot: "QA | None" = None
        self._error: str | None = None
        self._done = threading.Event()
        self.started = time.perf_counter()
        self.seconds = 0.0
        self.built: tuple[int, int] | None = None
        """(passages embedded, passages to embed) while the load builds the index; ``note`` sets it."""

    def note(self, done: int, total: int) -> None:
        """The embedder's progress hook during the load."""
        self.built = (done, total)

    def embedded(self) -> str:
        """``1,737 of 3,342 passages embedded``, as the status line and a question asked meanwhile say it."""
        done, total = self.built or (0, 0)
        return f"{done:,} of {plural(total, 'passage')} embedded"

    def doing(self) -> str:
        """What the load is doing, for the status line: a first build of a large folder takes minutes."""
        if self.built is None:
            return "Loading the model and the index…"
        done, total = self.built
        return f"Building the index: {self.embedded()} ({100 * done // max(total, 1)}%); answers start when it is done…"

    def start(self) -> "Engine":
        self.started = time.perf_counter()
        threading.Thread(target=self._run, name="qa-engine-loader", daemon=True).start()
        return self

    def _run(self) -> None:
        try:
            self._bot = self._load()
        except Exception as exc:  # noqa: BLE001 - any load failure must reach the user, not kill a thread silently
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self.seconds = time.perf_counter() - self.started
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def error(self) -> str | None:
        return self._error

    def get(self, timeout: float = 900.0) -> "QA":
        """The loaded engine (waiting for it if needed), or EngineError saying why not."""
        if not self._done.wait(timeout):
            if self.built is not None:
                raise EngineError(f"the index is still being built ({self.embedded()}); please ask again when the "
                                  "status line says Ready")
            raise EngineError("the model is still loading; please try again in a moment")
        if self._bot is None:
            raise EngineError(f"the engine failed to load ({self._error})")
        return self._bot


def load_bot(docs: str, index: str | None, reader: str | None, k: int | None, config: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> "QA":
    """``qa.load`` with the configured reader, falling back to the heuristic one if its artifact is missing.

    The embedder is loaded once and reused for the fallback, so a missing reader costs no second model load.
    ``progress``: told (passages embedded, passages to embed) as the index is built or brought up to date.
    """
    from . import load
    from .config import load_config, with_overrides
    from .embedding import Embedder
    from .reader import ReaderError

    cfg = with_overrides(load_config(config), reader=reader)
    embedder = Embedder.load(cfg.model)
    with embedder.reporting(progress) if progress else nullcontext():
        try:
            return load(docs=docs, index=index, config=config, embedder=embedder, reader=reader, k=k)
        except ReaderError as exc:
            if cfg.reader.lower() != "default":
                raise  # a reader the user named explicitly must not be swapped silently
            print(f"qa: warning: the neural reader is not available ({exc}); using the heuristic extractor "
                  "(reader=\"none\") instead", file=sys.stderr, flush=True)
            return load(docs=docs, index=index, config=config, embedder=embedder, reader="none", k=k)


def reader_label(bot: "QA") -> str:
    """What answers, as the status line says it: the heuristic or the neural reader and its precision."""
    reader = getattr(bot.extractor, "reader", None)
    return "heuristic extractor" if reader is None else f"neural reader ({reader.precision})"


STATUS_NOTES = 2
"""Notes of the load (a damaged index rebuilt, a model changed) the status line shows; the rest are counted."""


def status_line(bot: "QA") -> str:
    """Ready, with what the load had to say: an index found damaged and rebuilt was told only in the server's log."""
    store = bot.store
    notes = store.report.messages
    said = "".join(f" · note: {shorten(m, 200)}" for m in notes[:STATUS_NOTES])
    more = f" · {plural(len(notes) - STATUS_NOTES, 'more note')} in the server log" if len(notes) > STATUS_NOTES else ""
    return (f"Ready · {plural(len(store.documents), 'document')}, {plural(len(store.passages), 'passage')} · "
            f"{reader_label(bot)} · answers below confidence {bot.cfg.answer_threshold:.2f} are withheld{said}{more}")


# ---------------------------------------------------------------------------
# The Gradio app
# ---------------------------------------------------------------------------

CSS = """
.qa-reply, .qa-pending { --qa-muted: var(--neutral-700); --qa-rule: var(--neutral-300); }
.dark .qa-reply, .dark .qa-pending { --qa-muted: var(--neutral-400); --qa-rule: var(--neutral-600); }
.qa-reply { overflow-wrap: anywhere; }
.qa-reply code { display: inline; overflow-wrap: anywhere; white-space: normal; }
.qa-reply mark { background: #ffe58a; color: #27272a; padding: 0 2px; border-radius: 2px; }
.qa-reply blockquote { border-left: 3px solid var(--qa-rule); margin: 6px 0; padding: 2px 10px; }
.qa-reply .qa-confidence, .qa-reply .qa-source, .qa-reply .qa-reading, .qa-reply .qa-note { color: var(--qa-muted);
                                                                                             font-size: 0.9em; }
.qa-pending { color: var(--qa-muted); font-style: italic; }
#qa-stale, #qa-offline { position: sticky; top: 0; z-index: 1000; background: #fff3cd; border-bottom: 1px solid #e0c36c;
                         padding: 8px 12px; }
#qa-stale, #qa-stale button, #qa-offline, #qa-offline button { color: #27272a; }
#qa-stale button, #qa-offline button { margin-left: 8px; text-decoration: underline; }
.qa-reply ol.qa-passages { margin-top: 4px; }
#qa-docs th .header { overflow-wrap: normal; word-break: keep-all; }
#qa-title h1 { font-size: 22px; font-weight: 600; margin: 0; }
[role=tab][aria-selected=true] { color: var(--primary-700); }
.dark [role=tab][aria-selected=true] { color: var(--primary-500); }
button.primary:focus-visible { outline: 3px solid var(--body-text-color); outline-offset: 2px; }
@media (max-width: 480px) { #qa-docs th, #qa-docs td { font-size: 12px; } }
"""
"""The page's own styles. Colours are Gradio theme variables, set per mode (Gradio puts class "dark" on <body>)
so that every text in a reply is at least 4.5:1 (WCAG AA) on the chat bubble as drawn: Gradio draws messages at
opacity 0.8 over neutral-50 (light) or neutral-900 (dark), which takes neutral-600 on light to 4.47:1 and its own
subdued text colour (neutral-400) to 1.6:1, hence neutral-700. Passage snippets keep the body text colour. The
mark and the stale-tab bar keep light backgrounds in dark mode, so they name a dark text colour, not inherit a
light one. Replies and the document names in them (Gradio draws code as an unbreakable inline-flex box) wrap
anywhere: a long name overflowed a phone's screen. The documents table's headers never break inside a word
("passage s"), in a smaller type on a phone. The chosen tab's name is the accent orange, 2.8:1 on white: a darker
orange on light (the theme's accent has no dark-mode value of its own). A primary button ("Ask", "Run evaluation")
focused from the keyboard drew a white ring on the white page: it gets one in the text colour."""

THEME_COLOURS = dict(
    button_primary_background_fill="*primary_700", button_primary_background_fill_dark="*primary_700",
    button_primary_background_fill_hover="*primary_800", button_primary_background_fill_hover_dark="*primary_800",
    button_primary_border_color="*primary_700", button_primary_border_color_dark="*primary_700",
    body_text_color_subdued="*neutral_600", input_placeholder_color="*neutral_500",
    input_placeholder_color_dark="*neutral_400")
"""Theme colours that give text 4.5:1 (WCAG AA): the default theme's white on orange "Ask" was 2.8:1 (3.6:1 dark),
and its subdued grey (the box's "Up to 2,000 characters.", its placeholder, the footer) 1.9:1 on white."""


SERVER_WATCH_MS = 5000
"""How often an open page checks that the server still runs (one HEAD request of the page's own address)."""

SERVER_WATCH_JS = """
  // A stopped server left the page saying "Ready", and a question sent to it was gone from the box (ASK_JS puts it
  // back when this says the server is down). Any HTTP answer means it runs; only a failed request means it stopped.
  window.qaServerUp = async () => {
    try { await fetch(location.href, {method: "HEAD", cache: "no-store"}); return true; } catch (error) { return false; }
  };
  window.qaWatchServer = async () => {
    const up = await window.qaServerUp();
    let bar = document.getElementById("qa-offline");
    if (!up && (!bar || bar.dataset.back)) {
      if (!bar) { bar = document.createElement("div"); bar.id = "qa-offline"; bar.setAttribute("role", "alert"); }
      delete bar.dataset.back;
      bar.textContent = "The qa server has stopped: questions and uploads cannot reach it. Start it again "
        + "(python app.py), then reload this page. The conversation is kept in this browser.";
      document.body.prepend(bar);
    } else if (up && bar && !bar.dataset.back) {
      bar.dataset.back = "1";
      bar.textContent = "The qa server runs again.";
      const reload = document.createElement("button");
      reload.textContent = "Reload to go on";
      reload.onclick = () => location.reload();
      bar.appendChild(reload);
    }
    return up;
  };
  setInterval(window.qaWatchServer, %d);
  // Gradio reloads the page itself once it reaches the server again: a question ASK_JS kept for it comes back
  const unsent = sessionStorage.getItem("qa-unsent");
  sessionStorage.removeItem("qa-unsent");
  const putBack = (tries) => {
    const box = document.querySelector("#qa-question textarea");
    if (box && box.value === "") {
      box.value = unsent;
      box.dispatchEvent(new Event("input", {bubbles: true}));
    } else if (!box && tries > 0) setTimeout(() => putBack(tries - 1), 200);
  };
  if (unsent) putBack(150);
""" % SERVER_WATCH_MS

LIVE_NOTES = "#qa-feedback-note, #qa-docs-status"
"""Lines that answer a click made elsewhere (a thumb, an upload, a rescan, a removal): a screen reader heard none of
them. Gradio draws them as plain text (and a tab's parts only once it is opened), so the page makes each a polite
live region (role=status) as it appears: a region must exist before its text changes for the change to be read."""

LIVE_JS = """
  const live = () => document.querySelectorAll(%s).forEach((el) => {
    if (!el.hasAttribute("role")) el.setAttribute("role", "status");
  });
  new MutationObserver(live).observe(document.body, {childList: true, subtree: true});
  live();
""" % json.dumps(LIVE_NOTES)

FOCUS_JS = """
  // checkVisibility is new (Safari 17.4): where it is missing, a laid-out element counts as shown
  const shown = (el) => (el.checkVisibility ? el.checkVisibility() : el.offsetParent !== null);
  window.qaToBox = () => {  // not on a touch screen, where focusing the box covers the answer with the keyboard
    const box = document.querySelector("#qa-question textarea");
    if (box && shown(box) && !matchMedia("(pointer: coarse)").matches) box.focus();
  };
  let focused = null, home = null, lost = null;  // what had the focus, the part of ours (id qa-…) it was in
  document.addEventListener("focusin", (event) => {
    focused = event.target;
    home = focused.closest("[id^='qa-']:not(#qa-chat)");
    lost = null;
  });
  new MutationObserver(() => {
    if (document.activeElement && document.activeElement !== document.body) return;
    if (focused && !shown(focused)) {
      [lost, focused] = [home, null];
      if (!lost) window.qaToBox();
    }
    if (!lost) return;
    const again = lost.querySelector("button, input, textarea");  // the same control, drawn anew
    if (again && shown(again)) again.focus();
    else if (!shown(lost)) { lost = null; window.qaToBox(); }
  }).observe(document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ["class", "style"]});
"""
"""Where the keyboard's focus goes when what held it is gone: a button that hides as it is pressed ("Bring back the
cleared conversation", "Save correction", the chat's own Clear) left it on the page itself, and the next Tab began
again at the top. It goes to the question box, as it does after "Ask" and after picking an example question; where
the control was drawn anew (the upload box, once its files are read), to the new one."""


def page_js(chat_key: str) -> str:
    """The page's own script: the server watch, live notes and focus keeping above, and when another tab of this
    app stores its conversation or thumbs, say so here. Each tab keeps the conversation it loaded, and its next
    question would store that one over the other tab's (last writer wins)."""
    keys = json.dumps([f"{chat_key}-turns", f"{chat_key}-ratings"])
    return f"""() => {{{SERVER_WATCH_JS}{LIVE_JS}{FOCUS_JS}
  window.addEventListener("storage", (event) => {{
    // a tab that opens stores what it loaded again, newly encrypted but as long: only a change of length is news
    const same = (event.oldValue || "").length === (event.newValue || "").length;
    if (!{keys}.includes(event.key) || same || document.getElementById("qa-stale")) return;
    const bar = document.createElement("div");
    bar.id = "qa-stale";
    bar.setAttribute("role", "alert");
    bar.textContent = "This conversation was changed in another tab; a question asked here would replace that.";
    const reload = document.createElement("button");
    reload.textContent = "Reload to continue from it";
    reload.onclick = () => location.reload();
    bar.appendChild(reload);
    document.body.prepend(bar);
  }});
}}"""


@dataclass(frozen=True)
class Settings:
    """What ``build()`` needs besides the engine: limits and file locations."""

    feedback: Path = DEFAULT_FEEDBACK
    questions: Path | None = SEED_QUESTIONS
    """The question set written for the served folder (the seed set, for seeds/ only): examples and evaluation."""
    max_upload_mb: float = 20.0
    max_question_chars: int = 2000
    k: int | None = None
    chat_key: str = "qa-chat"
    """The browser's store for the conversation served over this folder (``chat_key_for``)."""

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1e6)

    @property
    def browser_upload_bytes(self) -> int:
        """Gradio's own limit, which its toast states in binary megabytes ("19.1 Mb" for our 20 MB): whole MiB at
        or above ours, so it reads "20 Mb" and a file between the two gets our own message saying why."""
        return -(-self.max_upload_bytes // 2**20) * 2**20


def chat_key_for(docs: Path) -> str:
    """"qa-chat" for seeds/, else one of the folder's own: a conversation about one folder is no history for
    follow-ups about another served later on the same address."""
    folder = docs.resolve()
    return "qa-chat" if is_seeds(folder) else f"qa-chat-{folder_tag(folder)}"


def chat_secret(key: str) -> str:
    """The same key for the browser store on every start. Gradio draws a random one per start unless given, and
    the conversation and its thumbs, stored encrypted with it, were gone after the app restarted. Gradio sends
    the key to the page to decrypt, so a random one guarded nothing a fixed one does not."""
    return hashlib.sha256(f"qa chat store {key}".encode()).hexdigest()[:32]


def warning(exc: Exception) -> str:
    """An error as the app's status lines show it (Markdown-safe)."""
    return f"⚠️ {inert(str(exc))}"


class Handlers:
    """What the app's events do, as plain methods over the engine (the Gradio wiring is in ``build``).

    They return plain values; ``build`` turns "show the correction row" into ``gr.update`` calls."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.log = FeedbackLog(settings.feedback)
        self.eval_root = Path(tempfile.mkdtemp(prefix="qa-eval-"))

    def submit(self, question: str, turns: Any) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
        """A chat turn: the rendered conversation and the turns the browser keeps."""
        turns = clean_turns(turns)
        try:
            bot = self.engine.get()
            turn = ask_turn(bot, question, k=self.settings.k, earlier=turns)
        except EngineError as exc:
            turn = new_turn(question, error=str(exc))
        turns = (turns + [turn])[-MAX_TURNS:]
        return render_history(turns), turns

    def refusal(self, question: str) -> str | None:
        """Why the chat would not ask ``question`` (empty, too long, no words), else None: such a question was a
        turn of its own, and a too-long one was wiped from the box the user had to shorten it in."""
        limit = self.settings.max_question_chars
        if len(question) >= box_chars(limit):  # the box cut a longer paste to this: its length is not the paste's
            return (f"Not asked: the question is at least {box_chars(limit):,} characters long (all the box holds); "
                    f"please keep it to {limit:,} or fewer.")
        try:
            clean_question(question, limit)
        except QuestionError as exc:
            return f"Not asked: {exc}."
        return None

    def pending(self, questions: str | Sequence[str], turns: Any) -> list[dict[str, str]]:
        """The conversation with the questions asked and not yet answered, each with a note in place of its answer,
        shown at once: an answer takes a moment, and while the engine loads, many."""
        waiting = [questions] if isinstance(questions, str) else list(questions)
        first = ("Loading the index first, then looking…" if not self.engine.wait(0)
                 else "The documents folder changed: reading it again first, then looking…" if self.folder_changed()
                 else "Looking in the documents…")
        notes = [first] + ["Asked next, once the answer before it is in…"] * (len(waiting) - 1)
        return render_history(clean_turns(turns)) + [
            message for question, note in zip(waiting, notes)
            for message in ({"role": "user", "content": inert(question)},
                            {"role": "assistant", "content": f'<p class="qa-pending">{inert(note)}</p>'})]

    def folder_changed(self) -> bool:
        """Whether the next question reads changed files first (a listing, no file read): a large file dropped in
        takes a while to embed, and the note said only "Looking in the documents…" meanwhile."""
        try:
            return self.engine.get().store.changed_on_disk()
        except Exception:  # noqa: BLE001 - only a note: the question itself says what went wrong
            return False

    def follow_up(self, question: str, history: list) -> tuple[str, dict]:
        """The API's answer; QuestionError or EngineError for the caller to report."""
        bot = self.engine.get()
        earlier = earlier_answers([{"answer": a} for a in history or () if isinstance(a, dict)])
        ans = bot.ask(question, k=self.settings.k, history=earlier)
        return render_answer(ans), ans.to_dict()

    def like(self, turns: Any, liked_raw: Any, index: Any, ratings: Any = None
             ) -> tuple[str, bool | None, dict[str, Any] | None, dict[str, str] | None]:
        """A thumbs up/down: the note to show, whether to show the correction row (None: leave it), the rated turn
        when a right answer is asked for, and the thumbs the browser keeps from now on (None: as they were)."""
        turns = clean_turns(turns)
        index = index[0] if isinstance(index, (list, tuple)) else index
        try:
            liked = liked_value(liked_raw)
        except ValueError:
            return "", None, None, None
        if not isinstance(index, int) or not 0 <= index // 2 < len(turns):
            return "", None, None, None
        turn = turns[index // 2]
        if not turn.get("answer"):
            return "Nothing to rate: that question was not answered.", False, None, None
        if unsaved := self.log.save(feedback_row(turn, liked)):
            return unsaved, False, None, None
        kept = {k: v for k, v in clean_ratings(ratings, turns).items() if k != turn["id"]}
        if liked is None:
            return "Rating withdrawn.", False, None, kept
        kept[turn["id"]] = "Like" if liked else "Dislike"
        if liked:
            return (f"Thanks, noted as a good answer (in {inert(self.log.shown)}, which the Evaluation tab runs as a "
                    "question set).", False, None, kept)
        return (f"Thanks. If you know the right answer to “{inert(shorten(str(turn.get('question', ''))))}”, type it below "
                "so it becomes a test question.", True, turn, kept)  # which answer the box is for, after more questions

    def correct(self, text: str, turn: Any) -> tuple[str, bool]:
        """A typed right answer after a thumbs down: the note, and whether it was saved."""
        if not isinstance(turn, dict) or not text.strip():
            return "Type the right answer first (or ignore the box).", False
        if unsaved := self.log.save(feedback_row(turn, liked=False, correction=text)):
            return unsaved, False
        return f"Thanks, the correction was saved as a test question (in {inert(self.log.shown)}).", True

    def documents(self) -> tuple[list[list[Any]], str]:
        try:
            bot = self.engine.get()
        except EngineError as exc:
            return [], warning(exc)
        rows = documents_rows(bot)
        skipped = [f"- skipped {inert(s.name)}: {inert(s.reason)}" for s in bot.report.skipped]
        total = f"{plural(len(rows), 'document')}, {plural(len(bot.store.passages), 'passage')} indexed"
        return rows, "\n".join([inert(total)] + skipped)

    def document_names(self) -> list[str]:
        """The indexed documents, for the Documents tab's "remove" choice."""
        try:
            return sorted(self.engine.get().store.documents)
        except EngineError:
            return []

    def remove(self, name: str | None) -> tuple[list[list[Any]], str, str]:
        """Take a document out of the folder and the index (moved aside, not deleted): table, what happened, status."""
        def take_out(bot: "QA") -> list[str]:
            if not name:
                return ["Choose a document to remove first."]
            try:
                report, kept = bot.remove_file(name)
            except DocumentError as exc:
                return [f"✗ {inert(str(exc))}"]
            return [f"✓ {inert(name)}: removed from the folder and the index; the file was moved to "
                    f"{inert(str(kept))} (move it back and rescan to restore it){report_notes(report)}"]
        return self._change(take_out)

    def upload(self, files: list[str] | None, progress: Callable[..., Any],
               replace: bool = False) -> tuple[list[list[Any]], str, str]:
        """Index the uploaded files one at a time (asks may run between them): table, what happened, status.
        ``replace``: a file that shares a name with a different document takes its place (set aside, not deleted)."""
        paths = [Path(f) for f in files or []]

        def add(bot: "QA") -> list[str]:
            lines = []
            for i, path in enumerate(paths):
                progress((i, len(paths)), desc=f"indexing {path.name}", unit="files")
                try:
                    data = path.read_bytes()
                except OSError as exc:  # Gradio's temporary copy went missing
                    lines.append(f"✗ {inert(path.name)}: the upload could not be read ({inert(exc.strerror or str(exc))})")
                    continue
                def embedded(done: int, total: int, i: int = i, name: str = path.name) -> None:
                    progress((i + done / total, len(paths)), desc=f"indexing {name}: {done:,} of {total:,} passages",
                             unit="files")
                with bot.store.embedder.reporting(embedded):  # progress inside a big file, not only between files
                    lines.append(add_upload(bot, path.name, data, self.settings.max_upload_bytes, replace))
            return lines
        return self._change(add)

    def rescan(self) -> tuple[list[list[Any]], str, str]:
        """Pick up files added, edited or removed in the documents folder while the app runs."""
        def refresh(bot: "QA") -> list[str]:
            try:
                return [rescan_line(bot.refresh())]
            except (DocumentError, OSError) as exc:  # the folder renamed or unmounted: the index stays as it was
                return [f"✗ rescan failed, the index is unchanged: {inert(str(exc))}"]
        return self._change(refresh)

    def _change(self, work: Callable[["QA"], list[str]]) -> tuple[list[list[Any]], str, str]:
        """Run ``work`` on the engine: the documents table, its lines and what is
        indexed now, and the new status line."""
        try:
            bot = self.engine.get()
        except EngineError as exc:
            return [], warning(exc), warning(exc)
        lines = work(bot)
        rows, summary = self.documents()
        return rows, "\n\n".join(lines + [summary]), self.ready_status()

    def question_set(self, source: str, file: str | None) -> list[dict[str, Any]] | str:
        """The rows the Evaluation tab runs, or a message saying why there are none."""
        from .evaluation import QuestionSetError, load_questions

        if source == "uploaded JSONL":
            if not file:
                return "Upload a JSONL question file first."
            try:
                return load_questions(file)
            except QuestionSetError as exc:  # named as the user knows it, not by Gradio's temporary path
                raise QuestionSetError(str(exc).replace(str(file), Path(file).name)) from None
        if source == "feedback file":
            rows = load_questions(self.settings.feedback) if self.settings.feedback.exists() else []
            return rows or "The feedback file has no rated questions with answers yet."
        if self.settings.questions is None:
            return "No question set belongs to these documents (start the app with --questions); upload one instead."
        return load_questions(self.settings.questions)

    def evaluate(self, source: str, file: str | None) -> tuple[str, str | None, str | None]:
        """The metric table and the two plots for a question set, through the same ``ask()``."""
        from .evaluation import NothingIndexed, QuestionSetError, evaluate

        try:
            rows = self.question_set(source, file)
            if isinstance(rows, str):
                return rows, None, None
            bot = self.engine.get()
        except (QuestionSetError, EngineError, OSError) as exc:
            return warning(exc), None, None
        started = time.perf_counter()
        try:
            result = evaluate(rows, bot=bot, k=bot.cfg.k, progress=True)
        except (QuestionSetError, NothingIndexed) as exc:  # found before any question is asked
            return warning(exc), None, None
        seconds = time.perf_counter() - started
        for old in self.eval_root.iterdir():
            shutil.rmtree(old, ignore_errors=True)
        coverage, confidence = eval_plots(result, self.eval_root / uuid.uuid4().hex[:8])
        return eval_summary(result, seconds, bot.store), coverage, confidence

    def ready_status(self) -> str:
        try:
            return inert(status_line(self.engine.get()))
        except EngineError as exc:
            return warning(exc)

    def watch_status(self) -> Iterator[str]:
        """The status line as the page opens: what the load is doing every ``STATUS_SECONDS`` until it is done
        (a first build of a 10 MB folder said "Loading the model and the index…" for 15 minutes), then Ready."""
        while not self.engine.wait(STATUS_SECONDS):
            yield inert(self.engine.doing())
        yield self.ready_status()


def box_chars(limit: int) -> int:
    """How much the question box holds: ten times the question limit, so a paste too long to ask is refused with
    a reason rather than cut to something askable, while a paste of megabytes never reaches the server."""
    return limit * 10


CHAT_HEIGHT = "max(400px, calc(100vh - 280px))"
"""The chat fills the window above the question box (at 1920x1080 a fixed 520 px left a third of the screen empty);
280 px is what stands above and below it, and 400 px keeps a short window's chat usable."""


def chat_tab(gr: Any, limit: int, questions: Path | None) -> SimpleNamespace:
    """The Chat tab's components (inside an open ``gr.Tab``)."""
    # Replies are our own HTML around inert() text; Gradio's sanitizer stays on as a second guard.
    c = SimpleNamespace()
    # No copy or share buttons: they copy our HTML with its character references ("evil&#46;md"), and sharing
    # needs Hugging Face; selecting the text copies what is shown.
    # no label shown: Gradio pins it over the chat's top line, which it then hid once the chat scrolled
    c.chatbot = gr.Chatbot(label="Conversation", show_label=False, elem_id="qa-chat", height=CHAT_HEIGHT,
                           sanitize_html=True,
                           buttons=[],
                           render_markdown=True, latex_delimiters=[], feedback_options=FEEDBACK_OPTIONS,
                           placeholder="Ask a question; every answer is quoted from the documents.")
    with gr.Row():
        c.question = gr.Textbox(label="Your question", show_label=False, placeholder="Ask a question about the documents…",
                                max_length=box_chars(limit), scale=6, elem_id="qa-question", autofocus=True,
                                max_lines=6,  # a long question scrolls in the box instead of pushing the page down
                                info=f"Up to {limit:,} characters.")
        c.send = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
        c.clear = gr.Button("Clear conversation", scale=1, elem_id="qa-clear")  # the chat box has its own "Clear"
    # a Clear clicked by mistake loses nothing: the conversation can come back until the next question is asked
    c.restore = gr.Button("Bring back the cleared conversation", visible=False, size="sm", elem_id="qa-restore")
    c.feedback_note = gr.Markdown(elem_id="qa-feedback-note")
    with gr.Row(visible=False) as c.correction_row:
        c.correction = gr.Textbox(label="The right answer is …", scale=6, elem_id="qa-correction",
                                  max_length=CORRECTION_CHARS)
        c.save_fix = gr.Button("Save correction", scale=1, elem_id="qa-save-correction")
    examples = seed_examples(questions) if questions else []
    if examples:
        shown = gr.Examples(examples=[[q] for q in examples], inputs=[c.question], label="Example questions")
        shown.dataset.click(None, js=TO_BOX_JS, queue=False, api_visibility="private")  # ready to press Enter
    return c


def documents_tab(gr: Any, settings: Settings) -> SimpleNamespace:
    """The Documents tab's components: what is indexed, and the upload box."""
    d = SimpleNamespace()
    d.table = gr.Dataframe(headers=["document", "passages", "size", "note"], datatype=["str", "number", "str", "str"],
                           interactive=False, elem_id="qa-docs", wrap=True,  # every column on a phone's width
                           column_widths=["34%", "26%", "16%", "24%"])
    d.status = gr.Markdown(elem_id="qa-docs-status")
    d.files = gr.File(label=f"Add documents (.txt, .md, .html, .pdf; up to {settings.max_upload_mb:g} MB each)",
                      file_count="multiple", elem_id="qa-upload")  # no file_types: Gradio dropped a .docx
    # with a passing toast, and the status line told only of the rest; check_upload says why, file by file
    d.replace = gr.Checkbox(label="An upload replaces the document of the same name (the old file is set aside)",
                            value=False, elem_id="qa-replace")
    d.rescan = gr.Button("Rescan the documents folder", elem_id="qa-rescan")
    with gr.Row():
        d.pick = gr.Dropdown(label="Document to remove", choices=[], value=None, scale=4, elem_id="qa-remove-pick")
        d.remove = gr.Button("Remove from the folder", scale=1, elem_id="qa-remove")
    return d


COVERAGE_ALT = ("Plot: the accuracy of the answers given against the share of questions answered, as the confidence "
                "threshold moves; the table above holds the run's numbers")
CONFIDENCE_ALT = "Plot: how the confidence of right answers and of wrong answers is spread, from 0 to 1"


def evaluation_tab(gr: Any, questions: Path | None) -> SimpleNamespace:
    """The Evaluation tab's components: which question set, the run button, the table and plots."""
    e = SimpleNamespace()
    gr.Markdown("Runs a question set through the same `ask()` and scores it (same metrics as `python -m qa eval`).")
    sources = ["example questions"] * bool(questions) + ["feedback file", "uploaded JSONL"]
    e.source = gr.Radio(sources, value=sources[0] if questions else "uploaded JSONL", label="Question set")
    e.file = gr.File(label="JSONL question set ({\"question\", \"answers\": [...]} per line)",
                     file_types=[".jsonl", ".json"], type="filepath", elem_id="qa-eval-file")
    e.run = gr.Button("Run evaluation", variant="primary", elem_id="qa-run-eval")
    e.table = gr.Markdown(elem_id="qa-eval-table")
    with gr.Row():
        # the plots carry their own titles; Gradio's label box sat on top of them
        # alt text: the plots were images without one, and a screen reader skipped them as decoration
        e.coverage = gr.Image(label="accuracy vs coverage", show_label=False, type="filepath",
                              elem_id="qa-plot-coverage", alt_text=COVERAGE_ALT)
        e.confidence = gr.Image(label="confidence of right and wrong answers", show_label=False, type="filepath",
                                elem_id="qa-plot-confidence", alt_text=CONFIDENCE_ALT)
    return e


ASK_SLOTS = 4
"""Questions (of all pages) being answered or waiting their turn at once: a question waits in its slot for the one
its page asked before it, so four let a user send a few in a row and still see each at once."""
TO_BOX_JS = "() => { if (window.qaToBox) window.qaToBox(); }"
CLEAR_JS = "(turns, ratings, mark) => [turns, ratings, window.qaClears = (window.qaClears || 0) + 1]"
ASK_JS = """(question, turns, ratings, mark, asked) => {
    const box = document.querySelector('#qa-question textarea');
    if (document.activeElement && document.activeElement.id === 'qa-ask' && window.qaToBox) window.qaToBox();
    if (box && box.value === question) {  // emptied as it is sent: the next question may be typed at once
        box.value = '';
        box.dispatchEvent(new Event('input', {bubbles: true}));
        if (window.qaWatchServer) window.qaWatchServer().then((up) => {  // a stopped server would lose it
            if (!up && box.value === '') {
                sessionStorage.setItem('qa-unsent', question);
                box.value = question;
                box.dispatchEvent(new Event('input', {bubbles: true}));
            }
        });
    }
    return [question, turns, ratings, window.qaClears || 0, window.qaAsks = (window.qaAsks || 0) + 1];
}"""
"""Each Clear is numbered in the page as it is clicked, and a question carries the number of the last: the server
runs them in whatever order they reach it (even off the queue, a Clear clicked the instant before a question
could run after it, and the question's answer was dropped as cleared), so the order they were clicked in must
come with them. Questions are numbered too, so that several sent before the first is answered are answered one
after another, in the order they were asked (each a follow-up of the one before); the box is emptied in the
page as each is sent, so a question typed meanwhile is never wiped by the server's reply to an earlier one."""


def page_count(value: Any) -> int:
    """A count the page sends with an event, of its Clears or of its questions (0 when missing or not a number)."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


class Sessions:
    """What events of one browser session must see as soon as another changes it: the number of the last Clear it
    ran (``CLEAR_JS``; an answer on its way when Clear came must not land), its thumbs as last set (a rating made
    while an answer was on its way is in the browser's store, but not in the ratings that answer's event was
    given), and the conversation as the last answer, Clear or undo left it (a question sent before the answer
    before it came back carries the turns the page held then, and one sent with Clear the turns Clear took).
    Dropped when the page closes, so a server that runs for months does not keep every visit."""

    WAIT = 30.0
    """Seconds a question waits for the one asked before it to arrive or be answered, then goes on regardless."""

    def __init__(self) -> None:
        self.clears: dict[str, int] = {}
        self.rated: dict[str, dict[str, str]] = {}
        self.turns: dict[str, list[dict[str, Any]]] = {}  # as the last answer or Clear left them
        self.waiting: dict[str, dict[int, tuple[str, int]]] = {}  # question number -> (question, Clear mark)
        self.done: dict[str, int] = {}  # the number of the last question answered (or refused)
        self.turn = threading.Condition()

    def forget(self, session: str) -> None:
        with self.turn:
            for table in (self.clears, self.rated, self.turns, self.waiting, self.done):
                table.pop(session, None)  # type: ignore[attr-defined]

    def queue(self, session: str, number: int, question: str, mark: int) -> None:
        with self.turn:
            self.waiting.setdefault(session, {})[number] = (question, mark)

    def wait_turn(self, session: str, number: int) -> None:
        """Until the question asked before ``number`` is answered: Gradio may start two of a page's questions at
        once, and each must read the conversation the one before it left."""
        with self.turn:
            self.turn.wait_for(lambda: self.done.get(session, 0) >= number - 1, timeout=self.WAIT)

    def finish(self, session: str, number: int, turns: list[dict[str, Any]] | None = None) -> None:
        with self.turn:
            self.waiting.get(session, {}).pop(number, None)
            self.done[session] = max(self.done.get(session, 0), number)
            if turns is not None:
                self.turns[session] = turns
            self.turn.notify_all()

    def asked(self, session: str) -> list[str]:
        """The questions of the conversation as it is now (asked since the last Clear) still to be answered."""
        with self.turn:
            mark = self.clears.get(session, 0)
            return [q for _, (q, m) in sorted(self.waiting.get(session, {}).items()) if m == mark]

    def kept(self, session: str, turns: Any) -> list[dict[str, Any]]:
        """The conversation as the server last left it, else (before this page's first answer or Clear) its turns."""
        return list(self.turns[session]) if session in self.turns else clean_turns(turns)


def build(engine: Engine, settings: Settings) -> Any:
    """The Blocks app: the three tabs, wired to ``Handlers`` by thin adapters."""
    import gradio as gr

    h = Handlers(engine, settings)

    def hidden() -> Any:  # a fresh update each time: Gradio may consume the dict it is given
        return gr.update(visible=False)

    def unchanged() -> tuple[Any, ...]:  # the chat, turns, box, correction row, Clear's undo and its button as they are
        return gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), gr.update()

    sessions = Sessions()
    clears, rated = sessions.clears, sessions.rated

    def chat(messages: list[dict[str, str]], turns: Any, ratings: Any, pending: int = 0) -> Any:
        return gr.update(value=messages, feedback_value=thumbs(clean_turns(turns), ratings, pending))

    def submit(question: str, turns: Any, ratings: Any, mark: Any, asked: Any, request: gr.Request
               ) -> Iterator[tuple[Any, ...]]:
        session, number = request.session_hash or "", page_count(asked)
        if (refused := h.refusal(question)) is not None:  # no turn; the box gets the text back to fix or shorten
            sessions.finish(session, number)
            gr.Warning(refused)
            yield gr.update(), gr.update(), question, gr.update(), gr.update(), gr.update()
            return
        try:
            yield from answer_in_turn(question, turns, ratings, page_count(mark), session, number)
        finally:
            sessions.finish(session, number)

    def answer_in_turn(question: str, turns: Any, ratings: Any, asked_after: int, session: str, number: int
                       ) -> Iterator[tuple[Any, ...]]:
        """Shows the question at once, waits for the ones asked before it, then answers it."""
        with sessions.turn:
            if asked_after > clears.get(session, 0):  # a Clear sent before it has not run yet: the chat starts anew
                clears[session], sessions.turns[session] = asked_after, []
        sessions.queue(session, number, question, asked_after)
        # the question shows before its answer; it starts the conversation anew, so what Clear took is gone for good
        waiting = sessions.asked(session)
        yield (chat(h.pending(waiting, sessions.kept(session, turns)), turns, ratings, pending=len(waiting)),
               gr.update(), gr.update(), hidden(), None, hidden())
        sessions.wait_turn(session, number)
        if clears.get(session, 0) != asked_after:  # cleared before its turn came: the user no longer wants it
            return
        messages, turns = h.submit(question, sessions.kept(session, turns))
        if clears.get(session, 0) != asked_after:  # cleared while it was on its way: it had landed in the emptied chat
            yield unchanged()
            return
        sessions.finish(session, number, turns)
        later = sessions.asked(session)  # asked meanwhile: still shown as waiting below this answer
        shown = h.pending(later, turns)[len(messages):] if later else []
        yield (chat(messages + shown, turns, rated.get(session, ratings), pending=len(later)), turns, gr.update(),
               hidden(), gr.update(), gr.update())

    def api_ask(question: str) -> tuple[str, dict]:
        """Answer one question: the rendered HTML reply and the answer as JSON (Answer.to_dict())."""
        return api_follow_up(question, [])

    def api_follow_up(question: str, history: list) -> tuple[str, dict]:
        """Answer a follow-up: ``history`` holds the conversation's earlier answers as that JSON, oldest first."""
        try:
            return h.follow_up(question, history)
        except (QuestionError, EngineError) as exc:
            raise gr.Error(str(exc), print_exception=False) from None  # a refusal for the caller, not a crash to log

    def clear(turns: Any, ratings: Any, mark: Any, request: gr.Request) -> tuple[Any, ...]:
        session = request.session_hash or ""
        if (token := page_count(mark)) <= clears.get(session, 0):  # a question asked after it already began anew
            return tuple(gr.update() for _ in cleared)
        kept = sessions.kept(session, turns)
        with sessions.turn:
            clears[session], sessions.turns[session] = token, []
        rated[session] = {}
        if not kept:  # nothing to bring back: keep what an earlier Clear left to restore
            return [], [], {}, hidden(), "", gr.update(), gr.update()
        return [], [], {}, hidden(), "", (kept, clean_ratings(ratings, kept)), gr.update(visible=True)

    def restore(kept: Any, request: gr.Request) -> tuple[Any, Any, Any, None, Any]:
        if not kept:
            return gr.update(), gr.update(), gr.update(), None, hidden()
        turns, ratings = kept
        rated[request.session_hash or ""] = ratings
        with sessions.turn:
            sessions.turns[request.session_hash or ""] = clean_turns(turns)
        return chat(render_history(turns), turns, ratings), turns, ratings, None, hidden()

    def forget(request: gr.Request) -> None:
        sessions.forget(request.session_hash or "")

    def on_like(turns: Any, ratings: Any, data: gr.LikeData, request: gr.Request) -> tuple[str, Any, Any, Any]:
        note, show, turn, kept = h.like(turns, data.liked, data.index, ratings)
        if kept is not None:
            rated[request.session_hash or ""] = kept
        return (note, gr.update() if show is None else gr.update(visible=show), turn,
                gr.update() if kept is None else kept)

    def on_correction(text: str, turn: Any) -> tuple[str, Any, str, Any]:
        note, saved = h.correct(text, turn)
        return (note, hidden(), "", None) if saved else (note, gr.update(), text, turn)

    def upload(files: list[str] | None, replace: bool, progress: gr.Progress = gr.Progress()
               ) -> tuple[Any, str, None, str, bool]:
        rows, report, status_text = h.upload(files, progress, replace=bool(replace))
        return rows, report, None, status_text, False  # "replace" is for this upload: the next must ask again

    def removable() -> Any:
        return gr.update(choices=h.document_names(), value=None)

    def evaluate_set(source: str, file: str | None, progress: gr.Progress = gr.Progress(track_tqdm=True)
                     ) -> tuple[str, str | None, str | None]:
        return h.evaluate(source, file)

    with gr.Blocks(title="qa: answers from your documents") as demo:
        key, secret = settings.chat_key, chat_secret(settings.chat_key)
        turns_state = gr.BrowserState([], storage_key=f"{key}-turns", secret=secret)
        ratings_state = gr.BrowserState({}, storage_key=f"{key}-ratings", secret=secret)  # turn id -> Like/Dislike
        pending = gr.State(None)
        undo = gr.State(None)  # (turns, ratings) that the last Clear took, until a question is asked
        mark = gr.Number(0, visible=False)  # stands in for the page's Clear count, which CLEAR_JS and ASK_JS send
        asked = gr.Number(0, visible=False)  # stands in for the number ASK_JS gives each question as it is sent
        gr.Markdown("# qa: answers quoted from your documents", elem_id="qa-title")  # the page's one h1
        status = gr.Markdown("Loading the model and the index…", elem_id="qa-status")
        with gr.Tab("Chat"):
            c = chat_tab(gr, settings.max_question_chars, settings.questions)
        with gr.Tab("Documents") as documents_page:
            d = documents_tab(gr, settings)
        with gr.Tab("Evaluation"):
            e = evaluation_tab(gr, settings.questions)
        private = {"api_visibility": "private"}
        cleared = [c.chatbot, turns_state, ratings_state, c.correction_row, c.feedback_note, undo, c.restore]
        correction_out = [c.feedback_note, c.correction_row, c.correction, pending]
        # One event for Enter and the button; every question sent is its own event ("always_last" kept only the
        # newest of those sent while an answer was on its way, and the others were dropped unsaid), and the
        # ASK_JS numbers put them in turn on the server, each reading the conversation the one before it left.
        gr.on([c.question.submit, c.send.click], submit, [c.question, turns_state, ratings_state, mark, asked],
              [c.chatbot, turns_state, c.question, c.correction_row, undo, c.restore], concurrency_limit=ASK_SLOTS,
              concurrency_id="ask", trigger_mode="multiple", js=ASK_JS, **private)
        gr.api(api_ask, api_name="ask", concurrency_limit=ASK_SLOTS, concurrency_id="ask")
        gr.api(api_follow_up, api_name="ask_follow_up", concurrency_limit=ASK_SLOTS, concurrency_id="ask")
        # Off the queue, so Clear runs as it arrives: queued events of different listeners start in random order,
        # and a question sent right after Clear could start first and have its answer dropped as cleared.
        c.clear.click(clear, [turns_state, ratings_state, mark], cleared, queue=False, js=CLEAR_JS, **private)
        c.chatbot.clear(clear, [turns_state, ratings_state, mark], cleared, queue=False, js=CLEAR_JS, **private)
        c.restore.click(restore, [undo], [c.chatbot, turns_state, ratings_state, undo, c.restore], **private)
        c.chatbot.like(on_like, [turns_state, ratings_state], [c.feedback_note, c.correction_row, pending, ratings_state],
                       **private)
        c.save_fix.click(on_correction, [c.correction, pending], correction_out, **private)
        c.correction.submit(on_correction, [c.correction, pending], correction_out, **private)
        d.files.upload(upload, [d.files, d.replace], [d.table, d.status, d.files, status, d.replace],
                       concurrency_limit=1, **private)
        d.remove.click(h.remove, [d.pick], [d.table, d.status, status], concurrency_limit=1, **private)
        d.table.change(removable, None, [d.pick], **private)  # every change of the table renews the choice
        d.rescan.click(h.rescan, None, [d.table, d.status, status], concurrency_limit=1, **private)
        e.run.click(evaluate_set, [e.source, e.file], [e.table, e.coverage, e.confidence], concurrency_limit=1,
                    **private)
        # a file dropped on the box is the set the user means: the radio stayed on "example questions", which ran
        e.file.upload(lambda _: gr.update(value="uploaded JSONL"), [e.file], [e.source], queue=False, **private)
        demo.load(lambda turns, ratings: chat(render_history(clean_turns(turns)), turns, ratings),
                  [turns_state, ratings_state], [c.chatbot], queue=False, **private)
        demo.load(h.watch_status, None, [status], concurrency_limit=None, **private)  # waits, each tab its own
        demo.load(h.documents, None, [d.table, d.status], **private)
        # another browser tab may have uploaded or removed a document since: show the folder as it is now
        documents_page.select(h.documents, None, [d.table, d.status], **private)
        demo.unload(forget)  # a closed or reloaded page never comes back under the same session
    demo.qa_sessions = sessions  # type: ignore[attr-defined]  # for the tests
    demo.queue(default_concurrency_limit=1, max_size=64)
    return demo


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python app.py",
                                 description="Web UI for qa: ask questions about a folder of documents.")
    location_flags(ap)
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    ap.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    ap.add_argument("--k", type=int, default=None, help="how many source passages each answer lists")
    ap.add_argument("--reader", default=None,
                    help='"default" (neural reader; heuristic with a warning if it is missing), "none" or a model path')
    ap.add_argument("--feedback", default=None,
                    help="JSONL file that thumbs up/down are appended to (default: feedback/feedback.jsonl in the "
                         "project for seeds/, feedback/<folder>-<hash>.jsonl for another documents folder)")
    ap.add_argument("--questions", default=None,
                    help="JSONL question set about these documents: the example questions and the Evaluation tab's "
                         "own set (default: the seed questions when serving seeds/, else none)")
    ap.add_argument("--max-upload-mb", type=float, default=20.0, help="largest document upload in MB (default: 20)")
    return ap


def own_questions(docs: Path, given: str | None) -> Path | None:
    """The question set that belongs to ``docs`` (the seed set only to seeds/: its questions are about
    Panjshir); a given one that cannot be used raises ``QuestionSetError`` saying why."""
    from .evaluation import load_questions

    if given is None:
        return SEED_QUESTIONS if is_seeds(docs.resolve()) else None
    load_questions(given)  # refuses an empty set too
    return Path(given).resolve()


def cannot_write(path: Path) -> str | None:
    """Why ``path`` cannot be appended to (its folder is made if missing), else None. The file itself is not
    created: an empty feedback file would be an empty question set for the Evaluation tab."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        else:
            tempfile.TemporaryFile(dir=path.parent).close()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def prepare(args: argparse.Namespace) -> Settings | str:
    """The page's settings from the command line, or what is wrong with it (before anything loads)."""
    from .config import ConfigError, load_config
    from .evaluation import QuestionSetError

    docs = resolve_dir(args.docs)
    if not docs.is_dir():
        return f"documents folder {docs} does not exist"
    if args.k is not None and args.k < 1:
        return "--k must be at least 1"
    try:
        cfg = load_config(args.config)
        questions = own_questions(docs, args.questions)
    except (ConfigError, QuestionSetError) as exc:
        return str(exc)
    if not 0 < args.max_upload_mb <= cfg.max_file_mb:  # a larger upload would pass the page and fail the index
        return f"--max-upload-mb must be above 0 and at most the config's max_file_mb ({cfg.max_file_mb:g})"
    feedback = Path(args.feedback).resolve() if args.feedback else default_feedback(docs)
    if feedback.is_dir():  # every thumbs click would be lost
        return f"--feedback {feedback} is a folder; name a file (it is created if missing)"
    if unwritable := cannot_write(feedback):  # found at the first thumbs click, by a user, not the operator
        return f"the feedback file {feedback} cannot be written ({unwritable}); name another with --feedback"
    return Settings(feedback=feedback, questions=questions, max_upload_mb=args.max_upload_mb,
                    max_question_chars=cfg.max_question_chars, k=args.k, chat_key=chat_key_for(docs))


def launch_options(settings: Settings) -> dict[str, Any]:
    """``Blocks.launch`` arguments besides the address: the page's look and script, and the upload limit."""
    import gradio as gr

    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]
                              ).set(**THEME_COLOURS)
    return dict(prevent_thread_lock=True, quiet=True, max_file_size=settings.browser_upload_bytes, ssr_mode=False,
                theme=theme, css=CSS, show_error=False, js=page_js(settings.chat_key))


def exposure(host: str) -> str | None:
    """The warning for an address other machines can reach, else None: the app has no login, and anyone who can
    reach it can ask, upload and remove documents. ``--host 0.0.0.0`` started as quietly as the default."""
    import ipaddress

    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may well be reachable
        local = False
    if local:
        return None
    return (f"warning: --host {host} lets other machines reach this app, with no login: anyone who can reach it "
            "can ask questions and upload or remove documents")


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the page first, then load the engine, and say when answers are ready."""
    began = time.perf_counter()
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    args = parser().parse_args(argv)
    show_log()  # the server's console: a long first build logs how far it is
    settings = prepare(args)
    if isinstance(settings, str):
        print(f"qa: {settings}", file=sys.stderr)
        return 2
    if warned := exposure(args.host):
        print(f"qa: {warned}", file=sys.stderr, flush=True)
    docs = resolve_dir(args.docs)
    engine = Engine(lambda: load_bot(args.docs, args.index, args.reader, args.k, args.config, engine.note))
    demo = build(engine, settings)
    try:
        _, url, _ = demo.launch(server_name=args.host, server_port=args.port, **launch_options(settings))
    except OSError as exc:  # port taken or address not on this machine
        print(f"qa: cannot listen on {args.host}:{args.port} ({exc}); choose another --port or --host",
              file=sys.stderr)
        return 2
    # Load the engine only now: imports hold the GIL, so loading it while Gradio imports
    # made both slower (measured: page 18-20 s and ready 27-28 s in parallel, 7-8 s and 20-21 s in turn).
    engine.start()
    print(f"qa: serving on {url} (feedback goes to {settings.feedback}); loading the index of {docs} …", flush=True)
    engine.wait()
    if engine.error:
        print(f"qa: the engine failed to load: {engine.error}", file=sys.stderr, flush=True)
        demo.close()
        return 1
    bot = engine.get()
    print(f"qa: ready in {time.perf_counter() - began:.1f} s (engine {engine.seconds:.1f} s) · {reader_label(bot)}\n"
          f"{bot.report.summary()}", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    return 0
