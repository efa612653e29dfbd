"""Index integrity: kill -9 during updates, damaged files on disk, two writers at once.

Updaters run in forked child processes that share the session's loaded model (loading it
again takes longer than the whole test here). After every SIGKILL the index must load as
one whole saved state (each document's passages match one complete version of that
document) and answer the Panjshir question.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import shutil
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

import qa
from qa import index as persist
from qa.config import load_config
from qa.embedding import Embedder
from qa.store import sync

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROOT = Path(__file__).resolve().parent.parent
SEED_NAME = "panjshir_resistance_ahmad_massoud.txt"
VILLAGES = "How many villages does Panjshir contain?"
SOURCES = {"notes-a.txt": "Normans.txt", "notes-b.txt": "Computational_complexity_theory.txt"}
VERSIONS = 4
"""Version i of a notes file is the first i+1 paragraphs of its source: updates append a paragraph."""
Verbatim = Callable[[qa.QA, qa.Answer], None]
HANG_GUARD = 600.0
"""Seconds before a child that never finishes is killed and reported (a hang, not a timing limit)."""


def versions(name: str) -> list[str]:
    paragraphs = (ROOT / "benchmarks" / "squad2-dev" / "docs" / SOURCES[name]).read_text(encoding="utf-8").split("\n\n")
    return ["\n\n".join(paragraphs[: i + 1]) + "\n" for i in range(VERSIONS)]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Corpus:
    """A docs folder and its index, plus every text each document may hold."""

    docs: Path
    index: Path
    known: dict[str, str]
    """sha256 -> text, for every version of every document."""

    def write(self, name: str, version: int) -> None:
        """Replace a notes file atomically (a hidden temp file, then rename)."""
        tmp = self.docs / f".{name}.tmp"
        tmp.write_text(versions(name)[version], encoding="utf-8")
        os.replace(tmp, self.docs / name)


def make_corpus(root: Path, embedder: Embedder) -> Corpus:
    docs = Path(shutil.copytree(ROOT / "seeds", root / "docs"))
    seed = (docs / SEED_NAME).read_text(encoding="utf-8")
    known = {sha(seed): seed} | {sha(t): t for name in SOURCES for t in versions(name)}
    corpus = Corpus(docs, root / "index", known)
    for name in SOURCES:
        corpus.write(name, 0)
    qa.load(docs=docs, index=corpus.index, embedder=embedder, reader="none")
    return corpus


def check_state(corpus: Corpus) -> persist.IndexData:
    """The saved state loads, and each document in it is one complete known version, never a mix."""
    data = persist.load(corpus.index)
    assert data is not None
    assert sorted(data.documents) == sorted([SEED_NAME, *SOURCES])
    for name, entry in data.documents.items():
        text = corpus.known.get(entry["sha256"])
        assert text is not None, f"{name}: the manifest names a version that was never written"
        lo, hi = entry["passages"]
        assert hi > lo and all(p.doc == name and text[p.start:p.end] == p.text for p in data.passages[lo:hi])
        lo, hi = entry["sentences"]
        assert all(s.doc == name and text[s.start:s.end] == s.text for s in data.sentences[lo:hi])
    return data


def check_answers(corpus: Corpus, embedder: Embedder, verbatim: Verbatim) -> qa.QA:
    """qa.load takes the state as it is (no repair needed) and answers from it."""
    bot = qa.load(docs=corpus.docs, index=corpus.index, embedder=embedder, reader="none")
    assert not [m for m in bot.report.messages if "damaged" in m], bot.report.messages
    ans = bot.ask(VILLAGES)
    assert ans.text == "512"
    verbatim(bot, ans)
    return bot


def pointer(corpus: Corpus) -> str:
    return (corpus.index / persist.CURRENT).read_text(encoding="utf-8")


# -- child processes --------------------------------------------------------------------------

def private_tqdm_lock() -> None:
    """Give this (forked) process a tqdm lock of its own.

    tqdm's default lock includes a multiprocessing semaphore that a forked child shares with its
    parent, and every tqdm, even a disabled one inside ``encode``, takes it: a child killed while
    holding it left the test process waiting on it for ever (seen once in CI, by gdb).
    """
    from tqdm.std import tqdm

    lock = threading.RLock()
    classes = [tqdm]
    while classes:
        cls = classes.pop()
        if cls is tqdm or "_lock" in vars(cls):
            cls._lock = lock  # type: ignore[attr-defined]
        classes.extend(cls.__subclasses__())


def fork_child(work: Callable[[], None], errors: Path) -> int:
    """Run ``work`` in a forked child (one torch thread); a failure's traceback goes to ``errors``."""
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        import torch

        private_tqdm_lock()
        torch.set_num_threads(1)
        work()
    except BaseException:  # noqa: BLE001 - everything must reach the parent
        errors.write_text(traceback.format_exc(), encoding="utf-8")
        code = 1
    finally:
        os._exit(code)


def wait(pid: int) -> int:
    """The child's wait status; a child still running after HANG_GUARD is killed and the test fails."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"child {pid} hung for {HANG_GUARD:.0f}s")


def kill(pid: int) -> int:
    os.kill(pid, signal.SIGKILL)
    return wait(pid)


def update_forever(corpus: Corpus, embedder: Embedder, seed: int) -> None:
    """Append a paragraph to a notes file (back to one paragraph after the last), sync; repeat."""
    cfg = load_config()
    rng = random.Random(seed)
    version = {name: rng.randrange(VERSIONS) for name in SOURCES}
    for turn in itertools.count():
        name = sorted(SOURCES)[turn % len(SOURCES)]
        version[name] = (version[name] + 1) % VERSIONS
        corpus.write(name, version[name])
        sync(corpus.docs, corpus.index, cfg, embedder)


STEPS = ((persist, "_fsync_write"), (persist, "_fsync_dir"), (persist.os, "rename"), (persist.os, "replace"),
         (persist.np, "save"), (persist.shutil, "rmtree"))
"""Every file-system step of ``qa.index.save``: writes, syncs, the rename, the switch, the cleanup."""
Hook = Callable[[str, tuple], None]


def patch_save_steps(hook: Hook, set_attr: Callable[[object, str, object], None] = setattr) -> None:
    """Call ``hook(step name, args)`` before every file-system step of a save."""
    for owner, name in STEPS:
        set_attr(owner, name, _before(getattr(owner, name), name, hook))


def _before(fn: Callable[..., object], name: str, hook: Hook) -> Callable[..., object]:
    def step(*args: object, **kwargs: object) -> object:
        hook(name, args)
        return fn(*args, **kwargs)
    return step


def save_steps(corpus: Corpus, embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The steps one save takes, in order (recorded in this process, on a real update)."""
    steps: list[str] = []
    corpus.write("notes-a.txt", 1)
    with monkeypatch.context() as m:
        patch_save_steps(lambda name, args: steps.append(name), m.setattr)
        sync(corpus.docs, corpus.index, load_config(), embedder)
    return steps


def update_killed_at(corpus: Corpus, embedder: Embedder, version: int, step: int, torn: bool) -> None:
    """Write a new notes-a version, sync, and SIGKILL ourselves at the ``step``-th save step:
    before it, or (``torn``) half way through its write."""
    corpus.write("notes-a.txt", version)
    counter = itertools.count(1)

    def maybe_die(name: str, args: tuple) -> None:
        if next(counter) != step:
            return
        if torn:
            path, data = args
            Path(path).write_bytes(data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)

    patch_save_steps(maybe_die)
    sync(corpus.docs, corpus.index, load_config(), embedder)


# -- tests ------------------------------------------------------------------------------------

def test_a_kill_at_every_step_of_a_save_leaves_the_old_or_the_new_state(
        tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch, assert_verbatim: Verbatim) -> None:
    corpus = make_corpus(tmp_path, embedder)
    steps = save_steps(corpus, embedder, monkeypatch)
    assert len(steps) >= 8  # here 11: 4 data files, manifest, 2 folder syncs, rename, pointer write, switch, cleanup
    kills = [(n, False) for n in range(1, len(steps) + 1)]
    kills += [(n, True) for n, name in enumerate(steps, 1) if name == "_fsync_write"]
    outcomes = []
    for number, (step, torn) in enumerate(kills):
        version = 2 - number % 2  # differs from the indexed one (1 after save_steps), so every sync saves
        old, new = check_state(corpus).documents["notes-a.txt"]["sha256"], sha(versions("notes-a.txt")[version])
        pid = fork_child(partial(update_killed_at, corpus, embedder, version, step, torn), tmp_path / "child-error.txt")
        status = wait(pid)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, _child_error(tmp_path)
        now = check_state(corpus).documents["notes-a.txt"]["sha256"]
        assert now in (old, new), f"killed at step {step} ({steps[step - 1]}): neither the old nor the new state"
        outcomes.append("new" if now == new else "old")
        check_answers(corpus, embedder, assert_verbatim)  # also brings the index up to date again
    assert outcomes[0] == "old" and outcomes[len(steps) - 1] == "new", outcomes  # kills before and after the switch


def test_a_first_build_killed_between_its_rename_and_its_pointer_is_used_not_rebuilt(
        tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch, assert_verbatim: Verbatim) -> None:
    """The whole state was on disk, but with no CURRENT the next load called it lost and embedded everything again."""
    corpus = make_corpus(tmp_path, embedder)
    steps = save_steps(corpus, embedder, monkeypatch)
    after_rename = steps.index("rename") + 2  # the pointer's write: the state is in place, CURRENT not yet
    first = Corpus(corpus.docs, tmp_path / "first", corpus.known)

    def build_killed() -> None:
        counter = itertools.count(1)
        patch_save_steps(lambda name, args: next(counter) == after_rename and os.kill(os.getpid(), signal.SIGKILL))
        sync(first.docs, first.index, load_config(), embedder)

    pid = fork_child(build_killed, tmp_path / "child-error.txt")
    assert os.WIFSIGNALED(wait(pid)), _child_error(tmp_path)
    assert not (first.index / persist.CURRENT).exists() and any(persist.is_state(p) for p in first.index.iterdir())
    bot = check_answers(first, embedder, assert_verbatim)
    assert bot.report.embedded_passages == 0 and len(bot.report.unchanged) == 1 + len(SOURCES)
    assert "had lost its CURRENT pointer; its last saved state checks out and is used again" in bot.report.messages[0]
    check_state(first)


def test_a_child_killed_inside_tqdm_does_not_lock_the_parent_out(tmp_path: Path) -> None:
    """The children below are killed at random moments, some of them inside a progress bar."""
    from tqdm.std import tqdm

    tqdm.get_lock()  # the parent's lock exists before the fork, as it does after any encode

    def hold_tqdm_lock() -> None:
        tqdm.get_lock().acquire()
        time.sleep(60)

    pid = fork_child(hold_tqdm_lock, tmp_path / "child-error.txt")
    time.sleep(0.5)
    assert os.WIFSIGNALED(kill(pid)), _child_error(tmp_path)
    parts = tqdm.get_lock().locks  # a multiprocessing and a threading lock
    taken = [part.acquire(timeout=5) for part in parts]
    for part, ok in zip(parts, taken):
        if ok:
            part.release()
    assert all(taken), "a killed child kept tqdm's lock: the next progress bar would hang"


def test_random_kills_during_updates_never_corrupt_the_index(tmp_path: Path, embedder: Embedder,
                                                             assert_verbatim: Verbatim) -> None:
    corpus = make_corpus(tmp_path, embedder)
    started = time.perf_counter()
    corpus.write("notes-b.txt", 2)
    sync(corpus.docs, corpus.index, load_config(), embedder)
    cycle = time.perf_counter() - started  # one update here; kills land anywhere within the next few
    rng = random.Random(20261129)
    saves = 0
    for kill_number in range(22):
        before = pointer(corpus)
        pid = fork_child(partial(update_forever, corpus, embedder, kill_number), tmp_path / "child-error.txt")
        time.sleep(rng.uniform(0.0, 4 * cycle))
        status = kill(pid)
        assert os.WIFSIGNALED(status), _child_error(tmp_path)
        saves += pointer(corpus) != before
        check_state(corpus)
        check_answers(corpus, embedder, assert_verbatim)
    assert saves >= 3, "the updater hardly ever saved: the kills did not hit running updates"


def test_two_processes_updating_one_index_leave_it_consistent(tmp_path: Path, embedder: Embedder,
                                                              assert_verbatim: Verbatim) -> None:
    corpus = make_corpus(tmp_path, embedder)

    def update(name: str) -> None:
        patch_save_steps(lambda step, args: time.sleep(0.05))  # a slow disk: saves overlap unless locked out
        for turn in range(1, 9):
            corpus.write(name, turn % VERSIONS)
            sync(corpus.docs, corpus.index, load_config(), embedder)

    pids = [fork_child(partial(update, name), tmp_path / f"error-{name}") for name in SOURCES]
    for pid in pids:
        assert wait(pid) == 0, "\n".join(p.read_text() for p in tmp_path.glob("error-*"))
    data = check_state(corpus)
    on_disk = {p.name: sha(p.read_text(encoding="utf-8")) for p in corpus.docs.iterdir() if not p.name.startswith(".")}
    assert {name: e["sha256"] for name, e in data.documents.items()} == on_disk  # the last sync saw both last writes
    bot = check_answers(corpus, embedder, assert_verbatim)
    assert bot.report.embedded_passages == 0


# -- damaged files ----------------------------------------------------------------------------

def _edit_passage_text(version: Path) -> None:
    lines = (version / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["text"] = record["text"].replace("Panjshir", "Panjsheer")
    (version / "passages.jsonl").write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n", encoding="utf-8")


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


DAMAGE: dict[str, Callable[[Path, Path], object]] = {
    "edited passage text": lambda index, version: _edit_passage_text(version),
    "truncated sentence vectors": lambda index, version: _truncate(version / "sentences.npy"),
    "flipped byte in faiss": lambda index, version: _flip_a_byte(version / "passages.faiss"),
    "truncated manifest": lambda index, version: _truncate(version / "manifest.json"),
    "version folder deleted": lambda index, version: shutil.rmtree(version),
}
POINTER_DAMAGE: dict[str, Callable[[Path], object]] = {
    "empty pointer": lambda index: (index / persist.CURRENT).write_bytes(b""),
    "garbled pointer": lambda index: (index / persist.CURRENT).write_bytes(b"\xff\xfe nonsense"),
    "pointer to a missing folder": lambda index: (index / persist.CURRENT).write_text("v-gone 00\n"),
}


@pytest.fixture(scope="module")
def pristine_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    qa.load(docs=ROOT / "seeds", index=root / "index", embedder=embedder, reader="none")
    return root / "index"


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_index_files_are_detected_and_rebuilt(pristine_index: Path, seed_dir: Path, tmp_path: Path,
                                                      embedder: Embedder, damage: str, assert_verbatim: Verbatim) -> None:
    index = Path(shutil.copytree(pristine_index, tmp_path / "index"))
    DAMAGE[damage](index, index / pointer_name(index))
    bot = qa.load(docs=seed_dir, index=index, embedder=embedder, reader="none")
    assert any("damaged" in m and "rebuilding" in m for m in bot.report.messages), bot.report.messages
    assert bot.report.embedded_passages == len(bot.store.passages) > 0
    ans = bot.ask(VILLAGES)
    assert ans.text == "512"
    assert_verbatim(bot, ans)
    again = qa.load(docs=seed_dir, index=index, embedder=embedder, reader="none")
    assert again.report.embedded_passages == 0 and not again.report.messages


@pytest.mark.parametrize("damage", sorted(POINTER_DAMAGE))
def test_a_damaged_pointer_to_a_sound_state_is_mended_without_embedding(
        pristine_index: Path, seed_dir: Path, tmp_path: Path, embedder: Embedder, damage: str) -> None:
    """The state CURRENT should have named was whole, yet a garbled CURRENT cost a full re-embed."""
    index = Path(shutil.copytree(pristine_index, tmp_path / "index"))
    state = pointer_name(index)
    POINTER_DAMAGE[damage](index)
    bot = qa.load(docs=seed_dir, index=index, embedder=embedder, reader="none")
    assert len(bot.report.messages) == 1 and "is damaged" in bot.report.messages[0], bot.report.messages
    assert "its last saved state that checks out is used instead" in bot.report.messages[0]
    assert bot.report.embedded_passages == 0 and pointer_name(index) == state
    assert bot.ask(VILLAGES).text == "512"
    assert not qa.load(docs=seed_dir, index=index, embedder=embedder, reader="none").report.messages


def pointer_name(index: Path) -> str:
    return (index / persist.CURRENT).read_text(encoding="utf-8").split()[0]


def _child_error(tmp_path: Path) -> str:
    path = tmp_path / "child-error.txt"
    return path.read_text(encoding="utf-8") if path.exists() else "the child was not killed"
