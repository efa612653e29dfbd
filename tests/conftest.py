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


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2, loaded once per session (seconds on a shared CPU)."""
    return Embedder.load()


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
