"""Shared fixtures: the real packaged model (loaded once) and tmp copies of the real documents.

Names are stable, other test files rely on them: ``embedder``, ``seed_dir``,
``squad_dir``, ``tmp_index``; also ``one_torch_thread`` and ``assert_verbatim``; and per module
``seed_copy`` with ``bot`` (the shipped reader) and ``heuristic`` (``reader="none"``) over it; ``bot_over``
loads one over documents a test writes.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import qa
from qa import QA, Answer
from qa.embedding import Embedder

ROOT = Path(__file__).resolve().parent.parent


class RepeatedBatches:
    """``forward`` of the session's model, remembering its output for each exact batch it was given.

    Hundreds of tests embed the same seed article (and the same SQuAD pages) afresh: the same token ids through the
    same weights, a second a build on a shared CPU. Everything around the model still runs every time (splitting,
    tokenizing, batching, pooling the sentences, progress, saving); only the transformer's arithmetic on a batch of
    token ids it has already seen in this session is looked up instead of done again. Keyed on every input tensor
    whole, and handed out as copies, so a caller that changes what it got cannot change what the next one gets.
    A bounded, least-recently-used memory (the big one-off documents of the property tests pass through it)."""

    def __init__(self, forward: Callable[[dict], dict], budget: int = 384 << 20) -> None:
        import os
        import threading
        from collections import OrderedDict

        self.forward, self.budget, self.size = forward, budget, 0
        self.memo: OrderedDict[tuple, dict] = OrderedDict()
        self.lock = threading.Lock()
        os.register_at_fork(after_in_child=self._new_lock)  # a child forked while a thread held it must not hang

    def _new_lock(self) -> None:
        import threading

        self.lock = threading.Lock()

    def __call__(self, features: dict) -> dict:
        key = tuple((name, str(t.dtype), tuple(t.shape), t.cpu().numpy().tobytes()) for name, t in sorted(features.items()))
        with self.lock:
            kept = self.memo.get(key)
            if kept is not None:
                self.memo.move_to_end(key)
        if kept is not None:
            return {name: t.clone() for name, t in kept.items()}
        out = self.forward(features)
        copy = {name: t.detach().clone() for name, t in out.items()}
        size = sum(t.element_size() * t.nelement() for t in copy.values())
        with self.lock:
            if key not in self.memo and size <= self.budget:
                self.memo[key], self.size = copy, self.size + size
                while self.size > self.budget:
                    _, old = self.memo.popitem(last=False)
                    self.size -= sum(t.element_size() * t.nelement() for t in old.values())
        return out


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2, loaded once per session (seconds on a shared CPU); its model's ``forward``
    remembers the batches it has run (``RepeatedBatches``)."""
    loaded = Embedder.load()
    if loaded.plain:
        loaded.model.forward = RepeatedBatches(loaded.model.forward)  # type: ignore[method-assign]
    return loaded


@pytest.fixture(scope="module")
def seed_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("seed")
    return Path(shutil.copytree(ROOT / "seeds", base / "seeds"))


@pytest.fixture(scope="module")
def bot(seed_copy: Path, embedder) -> qa.QA:  # type: ignore[no-untyped-def]
    """The shipped configuration: the default reader."""
    return qa.load(seed_copy, seed_copy.parent / "idx", embedder=embedder)


@pytest.fixture(scope="module")
def heuristic(seed_copy: Path, embedder) -> qa.QA:  # type: ignore[no-untyped-def]
    return qa.load(seed_copy, seed_copy.parent / "idx", embedder=embedder, reader="none")


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    """A writable copy of ``seeds/`` (the Panjshir article)."""
    return Path(shutil.copytree(ROOT / "seeds", tmp_path / "seeds"))


@pytest.fixture
def squad_dir(tmp_path: Path) -> Path:
    """A writable copy of ``benchmarks/squad2-dev/docs``."""
    return Path(shutil.copytree(ROOT / "benchmarks" / "squad2-dev" / "docs", tmp_path / "squad"))


@pytest.fixture
def tmp_index(tmp_path: Path) -> Path:
    """Where a test's index goes (not created: the first sync makes it)."""
    return tmp_path / "embeddings"


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One torch thread for a module: on 2 cores shared with a training job, a second OpenMP thread mostly waits."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def check_answer_is_verbatim(bot: QA, ans: Answer) -> None:
    """The answer, its quote, sources and alternatives all equal their document's text at their offsets."""
    store = bot.store
    for a in (ans, *ans.alternatives):
        if a.text is None:
            continue
        assert a.doc is not None and a.start is not None and a.end is not None
        assert store.text(a.doc)[a.start:a.end] == a.text
        assert a.quote is not None and a.quote.doc == a.doc
        assert store.text(a.quote.doc)[a.quote.start:a.quote.end] == a.quote.text
        assert a.quote.start <= a.start and a.end <= a.quote.end
    for h in ans.sources:
        assert store.text(h.doc)[h.start:h.end] == h.text


@pytest.fixture(scope="session")
def assert_verbatim() -> Callable[[QA, Answer], None]:
    """``assert_verbatim(bot, answer)``: every span the answer shows is its document's text at its offsets."""
    return check_answer_is_verbatim


@pytest.fixture
def bot_over(tmp_path: Path, embedder: Embedder) -> Callable[..., QA]:
    """``bot_over({"name.txt": "text", ...}, reader=...)``: a QA over a fresh folder holding just those files."""
    def load(files: dict[str, str], **settings: object) -> QA:
        docs = tmp_path / "docs"
        docs.mkdir(exist_ok=True)
        for name, text in files.items():
            (docs / name).write_text(text, encoding="utf-8")
        return qa.load(docs, tmp_path / "idx", embedder=embedder, **settings)
    return load
