"""``python -m qa``: index, ask, chat, eval, train-reader and train-scorer from the shell."""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from .types import Answer

CALIBRATION_MIN = 20
"""Fewer answerable or unanswerable questions than this and --calibrate warns that its threshold is noise."""

if TYPE_CHECKING:
    from .evaluation import EvalResult
    from .pipeline import QA


def location_flags(p: argparse.ArgumentParser) -> None:
    """--docs, --index and --config, which the CLI and the web UI (app.py) share."""
    p.add_argument("--docs", default="seeds", help="documents folder (default: seeds)")
    p.add_argument("--index", default=None,
                   help="index folder (default: embeddings/ for seeds/, embeddings/other/<docs>-<hash>/ otherwise)")
    p.add_argument("--config", default=None, help="settings file (default: ./qa.json, else the project's qa.json)")


def _common(p: argparse.ArgumentParser) -> None:
    location_flags(p)
    p.add_argument("--model", default=None, help="sentence-transformers model name or path")


def _reader_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reader", default=None, help='"default" (shipped reader), "none" (heuristic), a folder made by train-reader, or a HF QA model path')
    p.add_argument("--k", type=int, default=None, help="how many source passages to return")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m qa", description="Extractive question answering over a folder of documents.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="build or update the index and say what changed")
    _common(p)
    p = sub.add_parser("ask", help="answer one question")
    _common(p)
    _reader_flags(p)
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p = sub.add_parser("chat", help="answer questions from standard input, one per line, follow-ups included",
                       description="Answers each line of standard input in turn; a follow-up such as "
                       "\"When was he born?\" is read against the earlier answers, as in the web chat. "
                       "Interactive on a terminal (an empty line or Ctrl-D ends); pipe a file to script it.")
    _common(p)
    _reader_flags(p)
    p.add_argument("--json", action="store_true", help="print one JSON answer per line (JSONL)")
    p = sub.add_parser("eval", help="score answers against a JSONL question set")
    _common(p)
    _reader_flags(p)
    p.add_argument("questions", help='JSONL file: {"question": ..., "answers": [...]} per line (or a SQuAD '
                   'JSON file, or a JSON list of such rows)')
    p.add_argument("--json", action="store_true", help="print one JSON object with the metrics")
    p.add_argument("--report", default=None, help="write report.md, results.json and plots to this folder")
    p.add_argument("--overwrite", action="store_true", help="let --report replace the report already in its folder")
    p.add_argument("--compare", default=None, help="an earlier --json output to compare with")
    p.add_argument("--calibrate", action="store_true", help="pick the abstention threshold and save it to the config "
                   "(threshold, or heuristic_threshold with --reader none)")
    p.add_argument("--threshold", type=float, default=None, help="abstention threshold for this run")
    p.add_argument("--max-false-abstain", type=float, default=0.10,
                   help="--calibrate only considers thresholds that wrongly abstain on at most this share (default 0.10)")
    sub.add_parser("train-reader", help="train the span reader (see qa/models/reader/README.md)", add_help=False)
    sub.add_parser("train-scorer", help="fit the reader's answer scorer on held-out articles", add_help=False)
    return ap


def _load(args: argparse.Namespace) -> "QA":
    """The engine for ask/eval; what its index update did goes to stderr when there is news,
    so a skipped file or a rebuilt index is never silent (stdout stays the answer or the JSON)."""
    from .pipeline import load

    bot = load(args.docs, args.index, config=args.config, model=args.model,
               reader=getattr(args, "reader", None))
    if bot.report.has_news:
        print(bot.report.summary(logged=False), file=sys.stderr)  # main() shows the log: its notes are out
    return bot


def cmd_index(args: argparse.Namespace) -> int:
    from .pipeline import open_store

    store = open_store(args.docs, args.index, config=args.config, model=args.model)
    print(store.report.summary(logged=False))  # the log's notes (a rebuild's reason) went to stderr as they came
    if not store.passages:  # the summary's note says why; the exit code alone read as an unexplained failure
        print(f"qa: nothing indexed: no readable documents in {args.docs}", file=sys.stderr)
        return 1
    return 0


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shown(name: str | None) -> str:
    """A document's name on one line: a name holding a newline ("a\\nb.txt") broke the layout of the output."""
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], name or "")


def also_in(docs: Sequence[str], show: Callable[[str], str], named: int = 3) -> str:
    """``also in a.txt, b.md and 4 more``: the documents holding copies of a source, each as ``show`` writes a
    name (the CLI and the web UI)."""
    rest = len(docs) - named
    return f"also in {', '.join(show(d) for d in docs[:named])}" + (f" and {rest} more" if rest > 0 else "")


def render(ans: Answer) -> str:
    """A person-readable answer: the span, the quote with the span marked, the sources."""
    lines = []
    if ans.text is None:
        lines.append(f"No answer: {ans.message or 'the documents do not seem to answer this'}.")
    else:
        q = ans.quote
        assert q is not None and ans.start is not None and ans.end is not None
        marked = q.text[: ans.start - q.start] + "»" + ans.text + "«" + q.text[ans.end - q.start:]
        where = f"{shown(ans.doc)} [{ans.start}:{ans.end}]" + (f", page {q.page}" if q.page else "")
        lines += [f"Answer: {ans.text}   (confidence {ans.score:.2f})", f"Quote:  {marked}", f"From:   {where}"]
        if ans.message:
            lines.append(f"Note:   {ans.message}.")
        others = [a for a in ans.alternatives if a.text is not None]
        if others:  # a partial answer ("Vice") often has the whole one ("First Vice President") here
            lines.append("Other possible answers:")
            lines += [f"  - {a.text}   (confidence {a.score:.2f}) {shown(a.doc)} [{a.start}:{a.end}]" for a in others]
    if ans.resolved:
        lines.insert(0, f"Read as: {ans.resolved}")
    lines.append("Sources:" if ans.sources else "Sources: none")
    for i, h in enumerate(ans.sources, 1):
        snippet = " ".join(h.text.split())[:160]
        lines.append(f"  {i}. {shown(h.doc)} [{h.start}:{h.end}] score {h.score:.3f}: {snippet}")
        if h.also:
            lines.append(f"     ({also_in(h.also, shown)})")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    from .config import load_config
    from .pipeline import QuestionError, check_k, clean_question

    try:  # before the engine loads: a question we would refuse should not first cost its ten seconds
        clean_question(args.question, load_config(args.config).max_question_chars)
        if args.k is not None:
            check_k(args.k)
    except QuestionError as exc:
        print(f"qa: {exc}", file=sys.stderr)
        return 2
    bot = _load(args)
    try:
        ans = bot.ask(args.question, k=args.k)
    except QuestionError as exc:
        print(f"qa: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(ans.to_dict(), ensure_ascii=False, indent=1) if args.json else render(ans))
    return 0


CHAT_MEMORY = 20
"""Earlier answers a chat keeps (follow-ups reach back only a few turns; this bounds a long piped session)."""


def cmd_chat(args: argparse.Namespace) -> int:
    """Each line of stdin asked with the earlier answers as its conversation: exit 2 if any line was refused."""
    from .pipeline import QuestionError

    bot = _load(args)
    interactive = sys.stdin.isatty()
    if interactive:
        print("Ask about the documents; an empty line or Ctrl-D ends.", file=sys.stderr)
    history: list[Answer] = []
    status = number = 0
    while True:
        try:
            line = input("? ") if interactive else sys.stdin.readline()
        except EOFError:
            break
        number += 1
        if not line.strip():
            if interactive or not line:
                break
            continue  # a blank line in a piped file
        if (report := bot.refresh_if_changed()) is not None:  # a document edited meanwhile is not quoted as it was
            print(f"qa: the documents folder changed, so it was read again:\n{report.summary(logged=False)}", file=sys.stderr)
        try:
            ans = bot.ask(line.strip(), k=args.k, history=history)
        except QuestionError as exc:
            print(f"qa: line {number}: {exc}" if not interactive else f"qa: {exc}", file=sys.stderr)
            status = 2
            continue
        history = [*history, ans][-CHAT_MEMORY:]
        print(json.dumps(ans.to_dict(), ensure_ascii=False) if args.json else render(ans) + "\n", flush=True)
    return status


def cmd_eval(args: argparse.Namespace) -> int:
    from . import report
    from .evaluation import compare, load_questions, table

    rows = load_questions(args.questions)
    _note_repeats(rows)
    previous = _previous_run(args.compare, rows) if args.compare else None
    _check_eval_args(args, rows)
    new_config = Path(args.config) if args.calibrate and args.config and not Path(args.config).exists() else None
    if new_config:  # --calibrate --config new.json starts new.json (and the run reads it: built-in settings)
        new_config.write_text("{}\n", encoding="utf-8")
    calibrated = False
    try:
        bot, result, calibrated = _evaluate(args, rows, new_file=new_config is not None)
    finally:
        if not calibrated and new_config and new_config.exists() and new_config.read_text(encoding="utf-8") == "{}\n":
            new_config.unlink()  # a run that failed, was stopped or saved nothing leaves no empty config behind
    if args.report:
        print(f"report: {report.write(result, bot.store, args.report, max_false_abstain=args.max_false_abstain)}",
              file=sys.stderr)
    if previous is not None:
        print(compare(result.to_json(), previous), file=sys.stderr if args.json else sys.stdout)
    print(json.dumps(result.to_json(), ensure_ascii=False) if args.json else table(result.metrics))
    if result.stopped_of is not None:
        return 130  # 128 + SIGINT, as for a Ctrl-C anywhere else
    return 0 if calibrated or not args.calibrate else 1


def _note_repeats(rows: Sequence[dict[str, Any]]) -> None:
    """A note on stderr naming the questions the set asks more than once, each of which counts in the metrics."""
    from .evaluation import repeats

    found = repeats(rows)
    if found:
        named = ", ".join(f"{again} repeats {first}" for again, first in found[:5]) + (", …" if len(found) > 5 else "")
        print(f"qa: note: {len(found)} question{'s' * (len(found) != 1)} asked again in the same words ({named}); "
              "each is asked and counted", file=sys.stderr)


def _evaluate(args: argparse.Namespace, rows: list[dict[str, Any]], new_file: bool = False
              ) -> tuple["QA", "EvalResult", bool]:
    """Ask every row, and with --calibrate pick the threshold and save it (the bool: whether it was saved; a
    calibration that finds no threshold still leaves the run's metrics and report). ``new_file``: the config
    was created for this run, so undoing it means deleting it."""
    from .config import load_config, save_config, with_overrides
    from .evaluation import CalibrationError, Stopped, calibrate, compute, evaluate

    bot = _load(args)
    try:
        with _terminate_as_interrupt():
            result = evaluate(rows, bot=bot, k=args.k, threshold=args.threshold, progress=None)
    except Stopped as stop:
        if stop.result is None or not stop.outcomes:
            raise
        print(f"\nqa: {stop}; the metrics{' and report' if args.report else ''} below cover those only"
              + (", and --calibrate saved nothing" if args.calibrate else ""), file=sys.stderr)
        return bot, stop.result, False
    if not args.calibrate:
        return bot, result, False
    try:
        best, f1_all = calibrate(result.outcomes, args.max_false_abstain)
    except CalibrationError as exc:
        print(f"qa: --calibrate saved nothing: {exc}", file=sys.stderr)
        return bot, result, False
    key = bot.cfg.threshold_key
    cfg = load_config(args.config)
    was = getattr(cfg, key)
    path = save_config(with_overrides(cfg, **{key: best}), args.config, only=(key,))
    undo = f"to undo, delete {path}" if new_file else f'to undo, set "{key}": {was} there again'
    print(f"calibrated {key} {was:.4f} -> {best:.4f} (F1 over all questions {f1_all:.3f}) saved to {path}; "
          f"{undo}", file=sys.stderr)
    if best == 0:
        print("qa: note: 0 answers every candidate: on this set no higher threshold scored better",
              file=sys.stderr)
    result.threshold, result.metrics = best, compute(result.outcomes, best)
    return bot, result, True


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``timeout``, a cancelled CI job, ``kill``) stops a run as Ctrl-C does, keeping the questions asked:
    it ended the process and lost every answer of a run that had taken most of an hour."""
    if threading.current_thread() is not threading.main_thread():  # signal handlers belong to the main thread
        yield
        return
    before = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _previous_run(path: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The earlier ``--json`` run that ``--compare`` names, read before the evaluation so a typo costs nothing."""
    from .evaluation import JSON_KEYS, paired

    try:
        previous = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--compare {path}: cannot read it ({exc})") from None
    except json.JSONDecodeError:  # a report's answers.jsonl, say
        previous = None
    earlier = previous.get("questions", []) if isinstance(previous, dict) else None
    if not isinstance(earlier, list) or not all(isinstance(q, dict) and {"question", "f1", "prediction"} <= set(q)
                                                for q in earlier) or not set(JSON_KEYS) & set(previous):
        raise ValueError(f"--compare {path}: not the output of qa eval --json (nor a --report folder's "
                         "results.json)")
    if earlier and not paired(rows, earlier):
        raise ValueError(f"--compare {path}: it shares no question with this question set; compare two runs of the "
                         "same set")
    return previous


def _check_writable(folder: Path, what: str) -> None:
    """ValueError unless ``folder`` can be created and written: found after the run, it lost every answer."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".qa-write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ValueError(f"{what} {folder}: cannot be written ({exc.strerror or exc})") from None


class ArgumentRefused(ValueError):
    """An argument refused before anything is asked: exit code 2, as ``ask`` gives for a bad question or --k."""


def _check_inside_docs(report: Path, docs: str) -> None:
    """ArgumentRefused for a report folder in the documents folder: its report.md, which quotes the gold
    answers, was indexed as a document and answered the next run's questions."""
    from .pipeline import resolve_dir

    folder, target = resolve_dir(docs).resolve(), report.resolve()
    if target == folder or folder in target.parents:
        raise ArgumentRefused(f"--report {report} is inside the documents folder {docs}, where its report.md would "
                              "be indexed as a document; write it elsewhere")


def _check_earlier_report(folder: Path, overwrite: bool) -> None:
    """ArgumentRefused for a folder that holds an earlier report, unless ``overwrite``: one mistyped run replaced
    a report (and its answers.jsonl) that took minutes to make."""
    from .report import WRITES

    found = [folder / name for name in WRITES if (folder / name).exists()]
    if found and not overwrite:
        when = datetime.fromtimestamp(max(f.stat().st_mtime for f in found)).strftime("%Y-%m-%d %H:%M")
        raise ArgumentRefused(f"--report {folder} already holds a report (written {when}); add --overwrite to "
                              "replace it, or name another folder")


def _check_eval_args(args: argparse.Namespace, rows: Sequence[dict[str, Any]]) -> None:
    """ArgumentRefused (or ValueError, for a folder that cannot be written) for settings that would fail or
    mislead only after the whole set has been asked."""
    from .pipeline import QuestionError, check_k, check_threshold

    try:
        if args.k is not None:
            check_k(args.k)
        if args.threshold is not None:
            check_threshold(args.threshold)
    except QuestionError as exc:
        raise ArgumentRefused(str(exc)) from None
    if not 0.0 <= args.max_false_abstain <= 1.0:
        raise ArgumentRefused(f"--max-false-abstain must be a share from 0 to 1, not {args.max_false_abstain}")
    if args.report and Path(args.report).exists() and not Path(args.report).is_dir():
        raise ValueError(f"--report {args.report} is a file; name a folder (it is created if missing)")
    if args.report:
        _check_inside_docs(Path(args.report), args.docs)
        _check_earlier_report(Path(args.report), args.overwrite)
        _check_writable(Path(args.report), "--report")
    if args.calibrate and args.threshold is not None:
        raise ArgumentRefused("--calibrate picks the threshold itself; leave out --threshold")
    if args.calibrate:
        from .config import config_path

        _check_writable(config_path(args.config).parent, "--calibrate saves the threshold in")
    answerable = sum(bool(r["answers"]) for r in rows)
    if args.calibrate and not 0 < answerable < len(rows):
        raise ArgumentRefused("--calibrate needs answerable and unanswerable questions: with one kind only, the best "
                         "threshold is 0 or 1, which would answer everything or nothing")
    if args.calibrate and min(answerable, len(rows) - answerable) < CALIBRATION_MIN:
        print(f"qa: note: calibrating on {answerable} answerable and {len(rows) - answerable} unanswerable "
              f"questions; under {CALIBRATION_MIN} of either, the threshold is mostly chance", file=sys.stderr)


def _os_error(exc: OSError) -> str:
    """``exc`` as a user reads it: "cannot write /tmp/i2/.v-1.tmp: Permission denied"."""
    verb = "cannot write" if isinstance(exc, PermissionError) else "cannot use"
    where = f" {exc.filename}" if exc.filename else ""
    return f"{verb}{where}: {exc.strerror or exc}" if where else f"{exc.strerror or exc}"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train-reader"]:
        from .train_reader import main as train

        return train(argv[1:])
    if argv[:1] == ["train-scorer"]:
        from .train_scorer import main as fit

        try:
            return fit(argv[1:])
        except (ValueError, RuntimeError) as exc:
            print(f"qa: {exc}", file=sys.stderr)
            return 1
    args = parser().parse_args(argv)
    from .documents import DocumentError
    from .index import show_log

    show_log()
    from .embedding import ModelError
    from .evaluation import QuestionSetError

    handlers = {"index": cmd_index, "ask": cmd_ask, "chat": cmd_chat, "eval": cmd_eval}
    try:
        return handlers[args.command](args)
    except ArgumentRefused as exc:
        print(f"qa: {exc}", file=sys.stderr)
        return 2
    except (DocumentError, ModelError, QuestionSetError, ValueError, RuntimeError) as exc:
        print(f"qa: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C at the chat prompt or while indexing: the user knows why it stopped
        print("", file=sys.stderr)
        return 130  # 128 + SIGINT
    except BrokenPipeError:  # `qa ask ... | head -2`: the reader of our output left; no traceback for that
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit-time flush cannot fail again
        return 141  # 128 + SIGPIPE, as a shell tool killed by it would report
    except OSError as exc:  # a read-only index folder, a path too long: one line, not a traceback
        print(f"qa: {_os_error(exc)}", file=sys.stderr)
        return 1
