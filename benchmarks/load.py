"""Load test of the web UI: many clients asking at once, with document uploads midway.

    python benchmarks/load.py [--clients 32] [--seconds 60] [--reader none|default|PATH] [--uploads 3]
                              [--client httpx|gradio]

Starts ``python app.py`` on a free port of 127.0.0.1 over a private copy of ``seeds/``
and a fresh index, waits until the ``/ask`` API answers, then runs ``--clients``
threads for ``--seconds``. Each thread has its own HTTP client and loops over its own
slice of ``tests/data/seed_questions.jsonl``.

By default a client is an ``httpx.Client`` on Gradio's HTTP API for ``/ask``
(``POST /gradio_api/call/ask``, then its event stream). ``--client gradio`` uses one
``gradio_client.Client`` per thread instead; it gives the same answers but costs
~100 ms of CPU per request in this process (measured: 4 ms with httpx), which on a
2-core machine is load on the server's own cores, so it overstates the app's latency.

Every reply is checked against the request it answers:

* ``answer["question"]`` is the question this client sent (whitespace-normalised);
  one equal to another client's question is counted as a *mixed-up* answer;
* an answer span, its quote and every source passage are verbatim:
  ``document_text[start:end] == text``, read from the documents folder;
* the HTML reply shows that same answer (or says it abstained).

Midway it uploads ``--uploads`` small new ``.txt`` documents the way the browser does:
``POST /gradio_api/upload``, then the Documents tab's ``upload`` event through the
queue (``/gradio_api/queue/join`` + ``/queue/data``). That event is
``api_visibility="private"``, so ``gradio_client`` will not call it; the browser's
route is the UI's real upload path. After each upload a question about the new
document must retrieve it. Questions answered while an upload was in flight are
counted separately.

Prints requests served, failures (errors, wrong answers, mixed-up answers), p50/p95/max
latency and throughput; exits 1 if anything failed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from qa.ui import inert  # plain functions; no Gradio or model import

QUESTIONS = PROJECT / "tests" / "data" / "seed_questions.jsonl"
PROBE = "Who is Ahmad Massoud?"
READY_LINE = "qa: ready in"
REQUEST_TIMEOUT = 180.0
"""Seconds one question may take before it counts as failed (queue wait included)."""


def env(tmp: Path) -> dict[str, str]:
    return dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
                PYTHONUNBUFFERED="1", GRADIO_TEMP_DIR=str(tmp / "gradio"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def norm(text: str) -> str:
    return " ".join(text.split())


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


class HttpAsker:
    """``/ask`` through Gradio's HTTP API: POST the question, read the result from the event stream."""

    def __init__(self, url: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=url + "gradio_api", timeout=REQUEST_TIMEOUT)

    def ask(self, question: str) -> tuple[Any, Any]:
        response = self.http.post("/call/ask", json={"data": [question]})
        response.raise_for_status()
        event_id = response.json()["event_id"]
        event = None
        with self.http.stream("GET", f"/call/ask/{event_id}") as stream:
            stream.raise_for_status()
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "complete":
                    html, answer = json.loads(line[5:])
                    return html, answer
                elif line.startswith("data:") and event == "error":
                    raise RuntimeError(f"the app answered with an error: {line[5:].strip()[:300]}")
        raise RuntimeError(f"the event stream of {event_id} ended without a result (last event {event!r})")

    def close(self) -> None:
        self.http.close()


class GradioAsker:
    """``/ask`` through ``gradio_client`` (one Client, i.e. one session, per asker)."""

    def __init__(self, url: str) -> None:
        from gradio_client import Client

        self.client = Client(url, verbose=False, analytics_enabled=False, download_files=False)

    def ask(self, question: str) -> tuple[Any, Any]:
        html, answer = self.client.submit(question, api_name="/ask").result(timeout=REQUEST_TIMEOUT)
        return html, answer

    def close(self) -> None:
        self.client.close()


ASKERS: dict[str, Callable[[str], Any]] = {"httpx": HttpAsker, "gradio": GradioAsker}


# ---------------------------------------------------------------------------
# The app under test
# ---------------------------------------------------------------------------

class App:
    """``python app.py`` in its own process group over a temp copy of the seed documents."""

    def __init__(self, tmp: Path, reader: str | None, log: Callable[[str], None] = print) -> None:
        self.tmp = tmp
        self.docs = Path(shutil.copytree(PROJECT / "seeds", tmp / "docs"))
        for path in self.docs.iterdir():  # seeds/ is read-only; uploads write next to the copies
            path.chmod(0o644)
        self.docs.chmod(0o755)
        self.index = tmp / "index"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = tmp / "app.log"
        self.reader = reader
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [sys.executable, "app.py", "--docs", str(self.docs), "--index", str(self.index),
               "--port", str(self.port), "--feedback", str(self.tmp / "feedback.jsonl")]
        if self.reader is not None:
            cmd += ["--reader", self.reader]
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=PROJECT, env=env(self.tmp), stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 600.0) -> float:
        """Seconds until ``/ask`` answers a question (the engine loads after the page is served)."""
        began = time.perf_counter()
        asker = HttpAsker(self.url)
        last = ""
        while time.perf_counter() - began < timeout:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited with code {self.proc.returncode}:\n{self.output()[-3000:]}")
            try:
                _, answer = asker.ask(PROBE)  # waits for the engine once the server is up
                if isinstance(answer, dict) and norm(answer.get("question", "")) == PROBE:
                    asker.close()
                    return time.perf_counter() - began
                last = f"unexpected reply {answer!r:.200}"
            except Exception as exc:  # noqa: BLE001 - not up yet: connection refused, route not served, ...
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(1.0)
        asker.close()
        raise RuntimeError(f"/ask did not answer within {timeout:.0f} s (last: {last}):\n{self.output()[-3000:]}")

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds of the app process so far (Linux /proc), or None."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()  # type: ignore[union-attr]
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError, AttributeError):
            return None

    def problems_logged(self) -> list[str]:
        """Lines of the app's output that look like errors or warnings."""
        words = ("Traceback", "Error", "Exception", "error", "warning", "Warning")
        return [line for line in self.output().splitlines() if any(w in line for w in words)]

    def reader_label(self) -> str:
        for line in self.output().splitlines():
            if line.startswith(READY_LINE) and "·" in line:
                return line.rsplit("·", 1)[1].strip()
        return "?"

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


# ---------------------------------------------------------------------------
# Checking a reply against its request
# ---------------------------------------------------------------------------

class Documents:
    """Document texts as the engine reads them (UTF-8, newlines untouched), cached by name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._texts: dict[str, str] = {}
        self._lock = threading.Lock()

    def text(self, name: str) -> str | None:
        with self._lock:
            if name not in self._texts:
                path = self.folder / name
                if Path(name).name != name or path.suffix.lower() != ".txt" or not path.is_file():
                    return None
                self._texts[name] = path.read_bytes().decode("utf-8")
            return self._texts[name]


def span_problem(docs: Documents, what: str, span: Any) -> str | None:
    """Why ``span`` ({doc, start, end, text}) is not its document's text at its offsets, or None."""
    if not isinstance(span, dict):
        return f"{what} is not an object: {span!r:.80}"
    doc, start, end, text = span.get("doc"), span.get("start"), span.get("end"), span.get("text")
    if not (isinstance(doc, str) and isinstance(start, int) and isinstance(end, int) and isinstance(text, str)):
        return f"{what} lacks doc/start/end/text: {span!r:.120}"
    body = docs.text(doc)
    if body is None:
        return f"{what} names an unknown document {doc!r}"
    if body[start:end] != text:
        return f"{what} is not verbatim: {doc}[{start}:{end}] is {body[start:end]!r:.60}, reply says {text!r:.60}"
    return None


def reply_problems(question: str, html: Any, answer: Any, docs: Documents) -> list[str]:
    """Everything wrong with one ``/ask`` reply to ``question`` (empty when it is right)."""
    if not isinstance(answer, dict):
        return [f"answer is not a dict: {answer!r:.120}"]
    problems = []
    if norm(str(answer.get("question", ""))) != norm(question):
        problems.append(f"question mismatch: sent {norm(question)!r}, reply is for {answer.get('question')!r}")
    text = answer.get("text")
    if not isinstance(html, str):
        problems.append(f"html is not a string: {html!r:.80}")
    elif text is None:
        if "qa-noanswer" not in html:
            problems.append("abstention whose HTML does not say 'No answer found'")
    elif f'<strong class="qa-answer">{inert(text)}</strong>' not in html:
        problems.append(f"HTML does not show the answer {text!r:.60}")
    if text is not None:
        for problem in (span_problem(docs, "answer", answer), span_problem(docs, "quote", answer.get("quote"))):
            if problem:
                problems.append(problem)
        quote = answer.get("quote") or {}
        if not problems and not (quote.get("doc") == answer.get("doc") and
                                 quote.get("start", 0) <= answer["start"] and answer["end"] <= quote.get("end", -1)):
            problems.append("quote does not hold the answer span")
    for i, source in enumerate(answer.get("sources") or []):
        problem = span_problem(docs, f"source {i}", source)
        if problem:
            problems.append(problem)
    return problems


# ---------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------

@dataclass
class Record:
    client: int
    question: str
    started: float
    seconds: float
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    mixed: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems


@dataclass
class Upload:
    name: str
    started: float = 0.0
    finished: float = 0.0
    status: str = ""
    indexed: bool = False
    found: bool = False
    answer: str | None = None
    error: str | None = None


@dataclass
class Result:
    clients: int
    seconds: float
    wall: float = 0.0
    records: list[Record] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    upload_note: str | None = None
    client: str = "httpx"
    reader: str = "?"
    startup: float = 0.0
    app_cpu: float | None = None
    """CPU seconds the app used during the load (both cores: up to 2 x wall)."""
    client_cpu: float = 0.0
    """CPU seconds this load generator used meanwhile (it shares the same cores)."""
    app_log: list[str] = field(default_factory=list)

    @property
    def served(self) -> int:
        return sum(1 for r in self.records if r.error is None)

    @property
    def errors(self) -> list[Record]:
        return [r for r in self.records if r.error is not None]

    @property
    def mixed(self) -> list[Record]:
        return [r for r in self.records if r.mixed]

    @property
    def wrong(self) -> list[Record]:
        return [r for r in self.records if r.error is None and r.problems and not r.mixed]

    @property
    def failures(self) -> int:
        bad_uploads = sum(1 for u in self.uploads if not (u.indexed and u.found))
        return sum(1 for r in self.records if not r.ok) + bad_uploads

    def latencies(self) -> list[float]:
        return [r.seconds for r in self.records if r.error is None]

    def during_uploads(self) -> list[Record]:
        windows = [(u.started, u.finished) for u in self.uploads if u.finished]
        return [r for r in self.records if any(r.started < hi and r.started + r.seconds > lo for lo, hi in windows)]


def load_questions(path: Path = QUESTIONS) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows]


def upload_doc(i: int) -> tuple[str, bytes, str]:
    """(file name, content, question) for the i-th upload: a fact found in no seed document."""
    colour = ("vermilion", "ultramarine", "chartreuse", "magenta", "ochre")[i % 5]
    name = f"load_test_upload_{i}_{uuid.uuid4().hex[:6]}.txt"
    text = (f"Harbour note {i}. The lighthouse at Kestrel Point number {i} is painted {colour}. "
            f"Its keeper, Ilse Varga-{i}, lights the lamp every evening at seven o'clock.\n")
    return name, text.encode("utf-8"), f"What colour is the lighthouse at Kestrel Point number {i} painted?"


def find_upload_event(url: str) -> tuple[int, int] | None:
    """(fn_index, trigger component id) of the Documents tab's file ``upload`` event, from /config."""
    import httpx

    config = httpx.get(url + "config", timeout=30).json()
    ids = {c["id"] for c in config.get("components", []) if c.get("props", {}).get("elem_id") == "qa-upload"}
    for i, dep in enumerate(config.get("dependencies", [])):
        for target, event in dep.get("targets", []):
            if target in ids and event == "upload":
                return int(dep.get("id", i)), int(target)
    return None


def browser_upload(url: str, event: tuple[int, int], name: str, data: bytes, timeout: float = 300.0) -> str:
    """Upload one file as the page does and return the Documents status Markdown the event answers with."""
    import httpx

    api = url + "gradio_api"
    fn_index, trigger = event
    with httpx.Client(timeout=timeout) as http:
        response = http.post(api + "/upload", files=[("files", (name, data, "text/plain"))])
        response.raise_for_status()
        paths = response.json()
        files = [{"path": p, "orig_name": name, "meta": {"_type": "gradio.FileData"}} for p in paths]
        session = uuid.uuid4().hex[:11]
        # Join first: /queue/data ends at once for a session with nothing queued; messages wait for the reader.
        # the event's inputs: the files, then "An upload replaces the document of the same name" (off, as shown)
        joined = http.post(api + "/queue/join", json={"data": [files, False], "fn_index": fn_index, "event_data": None,
                                                      "session_hash": session, "trigger_id": trigger})
        joined.raise_for_status()
        with http.stream("GET", api + "/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") != "process_completed":
                    continue
                output = message.get("output") or {}
                if not message.get("success", True) or "data" not in output:
                    raise RuntimeError(f"upload event failed: {output!r:.300}")
                return str(output["data"][1])
    raise RuntimeError("the upload event's stream ended without a result")


def run(clients: int = 32, seconds: float = 60.0, reader: str | None = None, uploads: int = 3,
        client: str = "httpx", log: Callable[[str], None] = print) -> Result:
    """Start the app, drive the load, stop the app; the returned Result holds every request."""
    make_asker = ASKERS[client]
    result = Result(clients=clients, seconds=seconds, client=client)
    questions = load_questions()
    with tempfile.TemporaryDirectory(prefix="qa-load-") as tmp_name:
        tmp = Path(tmp_name)
        app = App(tmp, reader, log)
        docs = Documents(app.docs)
        try:
            app.start()
            log(f"starting app.py on {app.url} over a copy of seeds/ (reader: {reader or 'app default'}) …")
            result.startup = app.wait_ready()
            result.reader = app.reader_label()
            log(f"/ask answered after {result.startup:.1f} s ({result.reader}); "
                f"{clients} {client} clients for {seconds:g} s, {uploads} upload(s) midway …")
            event = find_upload_event(app.url) if uploads else None
            if uploads and event is None:
                result.upload_note = "no file upload event found in the app's /config; uploads skipped"
                log(f"note: {result.upload_note}")

            lock = threading.Lock()
            origin = [0.0]
            deadline = [0.0]

            def go() -> None:  # run once, by the last thread to reach the barrier, before any is released
                origin[0] = time.perf_counter()
                deadline[0] = origin[0] + seconds

            ready = threading.Barrier(clients + 2, action=go)
            everyone = {norm(q) for q in questions}

            def ask(asker: Any, who: int, question: str) -> tuple[Record, Any]:
                """One checked question; the record is kept in the result, the reply returned."""
                t0 = time.perf_counter()
                record = Record(who, question, t0 - origin[0], 0.0)
                answer = None
                try:
                    html, answer = asker.ask(question)
                except Exception as exc:  # noqa: BLE001 - any failed request is what we count
                    record.error = f"{type(exc).__name__}: {exc}"
                else:
                    record.problems = reply_problems(question, html, answer, docs)
                    got = norm(str(answer.get("question", ""))) if isinstance(answer, dict) else ""
                    record.mixed = got != norm(question) and got in everyone
                record.seconds = time.perf_counter() - t0
                with lock:
                    result.records.append(record)
                return record, answer

            def new_asker(who: int) -> Any:
                try:
                    return make_asker(app.url)
                except Exception as exc:  # noqa: BLE001
                    with lock:
                        result.records.append(Record(who, "(client setup)", 0.0, 0.0,
                                                     error=f"{type(exc).__name__}: {exc}"))
                    return None

            def client_loop(who: int) -> None:
                mine = questions[who % len(questions)::clients] or questions
                asker = new_asker(who)
                try:
                    ready.wait()
                except threading.BrokenBarrierError:
                    return
                if asker is None:
                    return
                n = 0
                while time.perf_counter() < deadline[0]:
                    ask(asker, who, mine[n % len(mine)])
                    n += 1
                asker.close()

            def upload_one(asker: Any, i: int) -> None:
                name, data, question = upload_doc(i + 1)
                up = Upload(name, started=time.perf_counter() - origin[0])
                with lock:
                    result.uploads.append(up)
                try:
                    up.status = browser_upload(app.url, event, name, data)  # type: ignore[arg-type]
                    up.indexed = f"✓ {inert(name)}: added" in up.status
                    if not up.indexed:
                        up.error = f"upload status: {up.status!r:.200}"
                except Exception as exc:  # noqa: BLE001
                    up.error = f"{type(exc).__name__}: {exc}"
                up.finished = time.perf_counter() - origin[0]
                if not up.indexed:
                    return
                record, answer = ask(asker, -1 - i, question)
                if not record.ok:
                    up.error = record.error or "; ".join(record.problems)
                    return
                up.found = any(s.get("doc") == name for s in answer.get("sources") or [])
                up.answer = answer.get("text")
                if not up.found:
                    up.error = "a question about the uploaded document did not retrieve it"

            def uploader() -> None:
                asker = new_asker(-1) if event is not None else None
                try:
                    ready.wait()
                except threading.BrokenBarrierError:
                    return
                if asker is None:
                    return
                for i in range(uploads):  # spread over the middle of the run: 35 % .. 65 %
                    at = seconds * (0.35 + 0.3 * i / (uploads - 1)) if uploads > 1 else seconds * 0.5
                    time.sleep(max(0.0, origin[0] + at - time.perf_counter()))
                    upload_one(asker, i)
                asker.close()

            threads = [threading.Thread(target=client_loop, args=(i,), name=f"load-client-{i}", daemon=True)
                       for i in range(clients)]
            threads.append(threading.Thread(target=uploader, name="load-uploader", daemon=True))
            for thread in threads:
                thread.start()
            try:
                ready.wait(timeout=300)
            except threading.BrokenBarrierError:
                raise RuntimeError("the clients did not all connect within 300 s") from None
            app_cpu, own_cpu = app.cpu_seconds(), time.process_time()
            for thread in threads:
                thread.join(timeout=max(1.0, deadline[0] + REQUEST_TIMEOUT + 60 - time.perf_counter()))
            app_cpu_after = app.cpu_seconds()
            if app_cpu is not None and app_cpu_after is not None:
                result.app_cpu = app_cpu_after - app_cpu
            result.client_cpu = time.process_time() - own_cpu
            result.app_log = app.problems_logged()
            result.wall = time.perf_counter() - origin[0]
            hung = [t.name for t in threads if t.is_alive()]
            if hung:
                result.records.append(Record(-99, "(join)", 0.0, 0.0, error=f"threads still running: {hung}"))
            if app.proc is not None and app.proc.poll() is not None:
                log(f"app.py exited during the run:\n{app.output()[-3000:]}")
        finally:
            app.stop()
    return result


def report(result: Result, log: Callable[[str], None] = print) -> None:
    lat = result.latencies()
    served = result.served
    log(f"\nload: {result.clients} {result.client} clients x {result.seconds:g} s on 127.0.0.1 · {result.reader} · "
        f"app answered /ask {result.startup:.1f} s after launch")
    log(f"requests served: {served} ({served / result.wall if result.wall else 0:.1f}/s over {result.wall:.1f} s)")
    log(f"failures: {result.failures} (errors {len(result.errors)}, wrong answers {len(result.wrong)}, "
        f"mixed-up answers {len(result.mixed)}, uploads failed "
        f"{sum(1 for u in result.uploads if not (u.indexed and u.found))})")
    log(f"latency: p50 {percentile(lat, 50):.2f} s, p95 {percentile(lat, 95):.2f} s, max {max(lat, default=0):.2f} s")
    if result.app_cpu is not None:
        log(f"cpu during the load: app {result.app_cpu:.0f} s, this load generator {result.client_cpu:.0f} s "
            f"(of {2 * result.wall:.0f} core-seconds on 2 cores, shared with whatever else runs)")
    log(f"app log: {len(result.app_log)} error/warning line(s)"
        + "".join(f"\n  | {line[:200]}" for line in result.app_log[:10]))
    if result.upload_note:
        log(f"uploads: {result.upload_note}")
    for u in result.uploads:
        state = "indexed" if u.indexed else "NOT indexed"
        found = "retrieved by a question about it" if u.found else "NOT retrieved"
        log(f"upload {u.name}: {state} in {u.finished - u.started:.1f} s (t={u.started:.1f}-{u.finished:.1f} s), "
            f"{found}; answer {u.answer!r}" + (f"; problem: {u.error}" if u.error else ""))
    during = result.during_uploads()
    if result.uploads:
        log(f"questions in flight during uploads: {len(during)}, failed {sum(1 for r in during if not r.ok)}")
    per_client = [sum(1 for r in result.records if r.client == c and r.error is None) for c in range(result.clients)]
    if per_client:
        log(f"per client: min {min(per_client)}, max {max(per_client)} requests served")
    shown = 0
    for r in result.records:
        if not r.ok and shown < 10:
            log(f"  FAILED client {r.client} t={r.started:.1f} s {r.question!r:.70}: {r.error or '; '.join(r.problems)}")
            shown += 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=32, help="concurrent clients (default: 32)")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long they ask (default: 60)")
    ap.add_argument("--reader", default=None, help="passed to app.py --reader (default: the app's default)")
    ap.add_argument("--uploads", type=int, default=3, help="documents uploaded midway (default: 3)")
    ap.add_argument("--client", choices=sorted(ASKERS), default="httpx",
                    help="how clients call /ask: httpx on Gradio's HTTP API (default) or gradio_client")
    args = ap.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.uploads < 0:
        ap.error("--clients must be >= 1, --seconds > 0 and --uploads >= 0")
    result = run(args.clients, args.seconds, args.reader, args.uploads, args.client)
    report(result)
    ok = result.failures == 0 and result.served > 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
