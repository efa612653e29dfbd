"""qa: extractive question answering over a folder of documents.

    import qa
    bot = qa.load(docs="seeds", index="embeddings")
    ans = bot.ask("When was Ahmad Massoud born?")
"""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from typing import Any  # noqa: E402

from .config import Config, ConfigError, load_config  # noqa: E402
from .documents import DocumentError  # noqa: E402
from .embedding import ModelError  # noqa: E402
from .errors import QAError  # noqa: E402
from .evaluation import EvalResult, evaluate  # noqa: E402
from .index import IndexFolderError  # noqa: E402
from .pipeline import QA, QuestionError, load  # noqa: E402
from .types import Answer, Hit, Passage, Quote, Sentence  # noqa: E402

__all__ = ["QA", "Answer", "Config", "ConfigError", "DocumentError", "EvalResult", "evaluate", "Hit", "IndexFolderError",
           "ModelError", "Passage", "QAError", "Quote", "QuestionError", "ReaderError", "Sentence", "load", "load_config"]


def __getattr__(name: str) -> Any:
    """``qa.ReaderError`` without importing torch with ``qa``: the reader's module loads it."""
    if name == "ReaderError":
        from .reader import ReaderError

        return ReaderError
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
