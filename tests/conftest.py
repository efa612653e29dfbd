"""Shared fixtures: the real packaged model (loaded once) and tmp copies of the real documents."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    from qa.embedding import Embedder

    return Embedder.load()


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(ROOT / "seeds", tmp_path / "seeds"))


@pytest.fixture
def squad_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(ROOT / "benchmarks" / "squad2-dev" / "docs", tmp_path / "squad"))


@pytest.fixture
def tmp_index(tmp_path: Path) -> Path:
    return tmp_path / "embeddings"
